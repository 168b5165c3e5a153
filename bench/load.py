"""Load test of the production topology on this machine: gunicorn (sync workers), `flask erflow
worker` processes and PostgreSQL, started with scripts/serve_prod.sh on a throwaway cluster and
driven over HTTP.

    .venv/bin/python bench/load.py                    # 60 s
    .venv/bin/python bench/load.py --duration 300     # the issue's 5-minute run

Clients (threads, one HTTP keep-alive session each):
- reviewers, one per county: list their queue (GET /api/v1/tasks) and complete tasks
  (POST /api/v1/tasks/{id}/complete), taking the next step of the same instance from the answer;
- starters, bureau handlers: start processes (POST /api/v1/processes/bench_load/instances) at a
  steady rate;
- inbox readers: list a random reviewer's queue at a steady rate.
The process (bench/fixtures/load_review.bpmn) has five reviewer steps in a row. A backlog of
instances is started before the clock runs. Afterwards the database is checked: every acknowledged
completion happened exactly once, no completion happened without an acknowledgement, and every
acknowledged start made one instance (lost or duplicated effects must be 0).

Targets (issue 7, 2 cores): ≥ 100 task completions/s sustained; completion p95 ≤ 200 ms; inbox
p95 ≤ 100 ms under that load.
"""
from __future__ import annotations

import argparse
import collections
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import requests
from _common import DURABLE_PG, ROOT, database, make_app, percentiles, show

DIAGRAM = Path(__file__).resolve().parent / "fixtures" / "load_review.bpmn"
FORM = Path(__file__).resolve().parent / "fixtures" / "forms" / "bench_review.schema.json"
STEPS = 5
TARGET_RATE = 100.0
TARGET_COMPLETE_P95 = 200.0
TARGET_INBOX_P95 = 100.0


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = collections.defaultdict(list)
        self.errors: collections.Counter = collections.Counter()
        self.completed: list[str] = []  # task ids acknowledged 200
        self.failed: list[str] = []  # task ids answered with an error (effect must be absent)
        self.started: list[int] = []
        self.idle = 0  # a reviewer found its queue empty (the backlog ran out: raise --backlog)
        self.finished: list[tuple[str, float, float]] = []  # (kind, when, ms) while measuring

    def record(self, kind: str, ms: float, status: int, ok: set[int]) -> None:
        with self.lock:
            self.samples[kind].append(ms)
            self.finished.append((kind, time.perf_counter(), ms))
            if status not in ok:
                self.errors[(kind, status)] += 1


class Client:
    """One keep-alive HTTP/1.1 connection (http.client). It costs a fraction of `requests`' CPU
    per call, which matters: the clients share this machine's two cores with the server.
    A GET is retried once on a dropped connection; a POST never is (its effect is counted)."""

    def __init__(self, base: str, token: str | None = None) -> None:
        parts = urllib.parse.urlsplit(base)
        self.host, self.port, self.token = parts.hostname, parts.port, token
        self.conn: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, body=None, token: str | None = None):
        """(status, parsed JSON or None); status 0 when the connection failed."""
        headers = {"Authorization": f"Bearer {token or self.token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.conn.request(method, path, body=data, headers=headers)
                resp = self.conn.getresponse()
                raw = resp.read()
                break
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if method != "GET" or attempt:
                    return 0, None
        is_json = resp.getheader("Content-Type", "").startswith("application/json")
        return resp.status, (json.loads(raw) if raw and is_json else None)


def print_over_time(stats: Stats, began: float, elapsed: float, buckets: int = 10) -> None:
    """Completions per second and completion p95 in each tenth of the run: "sustained" means the
    last tenth looks like the first."""
    width = elapsed / buckets
    rows = [[] for _ in range(buckets)]
    for kind, when, ms in stats.finished:
        if kind == "task completion":
            rows[min(buckets - 1, max(0, int((when - began) / width)))].append(ms)
    cells = []
    for i, samples in enumerate(rows):
        p95 = percentiles(samples)["p95"] if samples else 0.0
        cells.append(f"{i * width:4.0f}s {len(samples) / width:5.1f}/s p95 {p95:4.0f}")
    print("task completions over time:")
    for start in range(0, buckets, 5):
        print("  " + " | ".join(cells[start:start + 5]))


def cpu_seconds() -> collections.Counter:
    """CPU seconds used so far by each part of the topology (from /proc), to show where the two
    cores go: web (gunicorn), timer workers, PostgreSQL, these load clients, everything else."""
    tick = os.sysconf("SC_CLK_TCK")
    used: collections.Counter = collections.Counter()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            args = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        seconds = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
        if int(entry.name) == os.getpid():
            part = "load clients (this script)"
        elif "gunicorn" in args:
            part = "web (gunicorn)"
        elif "erflow worker" in args:
            part = "timer workers"
        elif args.startswith("postgres") or "/postgres" in args.split(" ")[0]:
            part = "PostgreSQL"
        else:
            part = "other processes"
        used[part] += seconds
    return used


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- set-up ----------------------------------------------------------------------------------------

def prepare(url: str, counties: int, backlog: int) -> dict:
    """Regions, one reviewer and one handler per county, the form and diagram, a backlog."""
    env = {**os.environ, "DATABASE_URL": url, "ERFLOW_ENV": "development", "PYTHONPATH": str(ROOT)}
    subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "db", "upgrade"], env=env,
                   cwd=ROOT, check=True, capture_output=True)
    from sqlalchemy import select

    from app import engine
    from app.auth.models import Region
    from app.auth.services import create_user, issue_token
    from app.common.regions import seed_regions
    from app.extensions import db

    app = make_app(url, ERFLOW_PASSWORD_HASH_METHOD="scrypt:1024:8:1")
    with app.app_context():
        seed_regions()
        codes = list(db.session.scalars(
            select(Region.code).where(Region.level == "county", Region.code.startswith("33"))
            .order_by(Region.code).limit(counties)))
        engine.save_form_file(filename=FORM.name, content=json.loads(FORM.read_text("utf-8")),
                              author_id=None, comment="bench")
        engine.deploy({DIAGRAM.name: DIAGRAM.read_text("utf-8")}, actor_id=None)
        people = {"reviewers": {}, "handlers": {}}
        for code in codes:
            for role, bucket in (("reviewer", "reviewers"), ("handler", "handlers")):
                user = create_user(username=f"{role}_{code}", password="bench-pass-1",
                                   roles=[role], region_code=code, display_name=f"{role} {code}")
                db.session.flush()
                people[bucket][code] = {"id": user.id, "token": issue_token(user=user).token}
        db.session.commit()
        t0 = time.perf_counter()
        for i in range(backlog):
            code = codes[i % len(codes)]
            engine.start("bench_load", {}, actor_id=people["handlers"][code]["id"],
                         handling_region=code)
            db.session.commit()
            if i and i % 500 == 0:
                rate = i / (time.perf_counter() - t0)
                print(f"  backlog: {i}/{backlog} instances ({rate:.0f}/s)", flush=True)
        db.engine.dispose()
    return people


def serve(url: str, port: int, web_workers: int, threads: int, erflow_workers: int, log: Path,
          worker_class: str = "sync"):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ERFLOW_")}
    env.update(DATABASE_URL=url, PORT=str(port), WEB_WORKERS=str(web_workers),
               WEB_THREADS=str(threads), ERFLOW_WORKERS=str(erflow_workers), DEPLOY_BPMN="0",
               WEB_WORKER_CLASS=worker_class,
               SEED_DEMO="0", ERFLOW_LOG_LEVEL="WARNING", SECRET_KEY="bench-secret")
    out = open(log, "wb")
    proc = subprocess.Popen(["bash", str(ROOT / "scripts/serve_prod.sh")], env=env, cwd=ROOT,
                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"serve_prod.sh exited; see {log}")
        try:
            if requests.get(f"{base}/readyz", timeout=5).status_code == 200:
                return proc, base
        except requests.RequestException:
            pass
        time.sleep(0.2)
    stop_serving(proc)
    raise RuntimeError(f"the topology never became ready; see {log}")


def stop_serving(proc: subprocess.Popen) -> None:
    """TERM to serve_prod.sh, which stops gunicorn and the workers (its own children)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# -- clients ---------------------------------------------------------------------------------------

def reviewer(base: str, token: str, stop: threading.Event, measuring: threading.Event,
             stats: Stats) -> None:
    client = Client(base, token)
    queue: collections.deque[str] = collections.deque()
    while not stop.is_set():
        if not queue:
            t0 = time.perf_counter()
            status, body = client.call("GET", "/api/v1/tasks?view=todo&per_page=50")
            if measuring.is_set():
                stats.record("inbox (reviewer's own queue)", (time.perf_counter() - t0) * 1000,
                             status, {200})
            if status == 200:
                queue.extend(t["id"] for t in body["items"])
            if not queue:
                with stats.lock:
                    stats.idle += 1
                stop.wait(0.05)
            continue
        task_id = queue.popleft()
        t0 = time.perf_counter()
        status, body = client.call("POST", f"/api/v1/tasks/{task_id}/complete",
                                   {"data": {"decision": "approve", "opinion": "同意"}})
        ms = (time.perf_counter() - t0) * 1000
        if measuring.is_set():
            stats.record("task completion", ms, status, {200})
        with stats.lock:
            (stats.completed if status == 200 else stats.failed).append(task_id)
        if status == 200:
            queue.extendleft(t["id"] for t in body["active_tasks"])


def paced(rate: float, stop: threading.Event, action) -> None:
    """Call `action()` `rate` times a second (open loop) until `stop`."""
    interval = 1.0 / rate
    due = time.perf_counter()
    while not stop.is_set():
        action()
        due += interval
        pause = due - time.perf_counter()
        if pause > 0:
            stop.wait(pause)


def starter(base, tokens, rate, stop, measuring, stats) -> None:
    client = Client(base)

    def start() -> None:
        t0 = time.perf_counter()
        status, body = client.call("POST", "/api/v1/processes/bench_load/instances",
                                   {"data": {}}, token=random.choice(tokens))
        if measuring.is_set():
            stats.record("process start", (time.perf_counter() - t0) * 1000, status, {201})
        if status == 201:
            with stats.lock:
                stats.started.append(body["id"])

    paced(rate, stop, start)


def inbox_reader(base, tokens, rate, stop, measuring, stats) -> None:
    client = Client(base)

    def read() -> None:
        t0 = time.perf_counter()
        status, _ = client.call("GET", "/api/v1/tasks?view=todo&per_page=50&sort=due",
                                token=random.choice(tokens))
        if measuring.is_set():
            stats.record("inbox listing", (time.perf_counter() - t0) * 1000, status, {200})

    paced(rate, stop, read)


# -- checks ----------------------------------------------------------------------------------------

def check_effects(url: str, stats: Stats, handler_ids: list[int]) -> dict[str, int]:
    """Lost or duplicated effects, from the database."""
    from sqlalchemy import func, select

    from app.engine.models import AuditEvent, HumanTask, ProcessInstance
    from app.extensions import db

    app = make_app(url)
    with app.app_context():
        audits = collections.Counter(db.session.scalars(
            select(AuditEvent.task_id).where(AuditEvent.action == "task_completed")))
        states = dict(db.session.execute(select(HumanTask.id, HumanTask.state)).all())
        acknowledged = collections.Counter(stats.completed)
        started = db.session.scalar(select(func.count()).select_from(ProcessInstance).where(
            ProcessInstance.id.in_(stats.started))) if stats.started else 0
        total_bench = db.session.scalar(select(func.count()).select_from(ProcessInstance))
        db.engine.dispose()
    lost = sum(1 for t in acknowledged if audits[t] == 0 or states.get(t) != "completed")
    duplicated = sum(1 for t, n in acknowledged.items() if n > 1 or audits[t] > 1)
    unacknowledged = sum(1 for t in set(stats.failed) if audits[t] > 0 and t not in acknowledged)
    return {
        "acknowledged completions": len(stats.completed),
        "completions recorded": sum(audits.values()),
        "lost completions": lost,
        "duplicated completions": duplicated,
        "completions without acknowledgement": unacknowledged,
        "acknowledged starts": len(stats.started),
        "lost starts": len(set(stats.started)) - started,
        "duplicated starts": len(stats.started) - len(set(stats.started)),
        "instances in the database": total_bench,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--reviewers", type=int, default=8, help="concurrent reviewer clients")
    parser.add_argument("--start-rate", type=float, default=4.0, help="process starts per second")
    parser.add_argument("--inbox-rate", type=float, default=10.0, help="inbox listings per second")
    parser.add_argument("--web-workers", type=int, default=2 * (os.cpu_count() or 2) + 1)
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    parser.add_argument("--threads", type=int, default=1, help="per process (gthread only)")
    parser.add_argument("--erflow-workers", type=int, default=2)
    parser.add_argument("--backlog", type=int, default=None,
                        help="instances started before the run (default: enough for 150/s)")
    args = parser.parse_args()
    backlog = args.backlog or int(150 * (args.duration + args.warmup) / STEPS) + 50
    pg_settings = ", ".join(f"{k}={v}" for k, v in DURABLE_PG.items())
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    print(f"load test — {args.duration:.0f} s measured after {args.warmup:.0f} s warm-up; "
          f"{args.reviewers} reviewers, {args.start_rate}/s starts, {args.inbox_rate}/s inbox "
          f"listings; gunicorn {args.web_workers} {args.worker_class} workers"
          f"{f' × {args.threads} threads' if args.worker_class == 'gthread' else ''}, "
          f"{args.erflow_workers} timer workers, PostgreSQL ({pg_settings}); "
          f"{os.cpu_count()} cores", flush=True)
    with database("postgres", DURABLE_PG) as url:
        t0 = time.perf_counter()
        people = prepare(url, args.reviewers, backlog)
        print(f"set-up: {backlog} instances ({backlog * STEPS} open steps) in "
              f"{time.perf_counter() - t0:.0f} s", flush=True)
        proc, base = serve(url, _free_port(), args.web_workers, args.threads,
                           args.erflow_workers, out / "load-serve.log", args.worker_class)
        stats, stop, measuring = Stats(), threading.Event(), threading.Event()
        reviewer_tokens = [p["token"] for p in people["reviewers"].values()]
        handler_tokens = [p["token"] for p in people["handlers"].values()]
        threads = [threading.Thread(target=reviewer, args=(base, tok, stop, measuring, stats))
                   for tok in reviewer_tokens]
        threads.append(threading.Thread(target=starter, args=(
            base, handler_tokens, args.start_rate, stop, measuring, stats)))
        threads.append(threading.Thread(target=inbox_reader, args=(
            base, reviewer_tokens, args.inbox_rate, stop, measuring, stats)))
        try:
            for t in threads:
                t.start()
            time.sleep(args.warmup)
            with stats.lock:
                done_before = len(stats.completed)
            cpu_before = cpu_seconds()
            measuring.set()
            began = time.perf_counter()
            time.sleep(args.duration)
            measuring.clear()
            elapsed = time.perf_counter() - began
            cpu_used = cpu_seconds()
            cpu_used.subtract(cpu_before)
            with stats.lock:
                done_in_window = len(stats.completed) - done_before
            stop.set()
            for t in threads:
                t.join(60)
        finally:
            stop_serving(proc)
        print(f"\nresults over {elapsed:.1f} s:")
        for kind, samples in sorted(stats.samples.items()):
            target = {"task completion": TARGET_COMPLETE_P95,
                      "inbox listing": TARGET_INBOX_P95}.get(kind)
            show(f"{kind} ({len(samples) / elapsed:6.1f}/s)", percentiles(samples), target)
        rate = done_in_window / elapsed
        print_over_time(stats, began, elapsed)
        print(f"CPU during the measured window ({os.cpu_count()} cores = "
              f"{os.cpu_count() * 100}%):")
        for part, seconds in sorted(cpu_used.items(), key=lambda item: -item[1]):
            if seconds > 0:
                per = f"  {seconds / max(done_in_window, 1) * 1000:5.2f} ms per completion"
                print(f"  {part:<28} {seconds / elapsed * 100:5.0f}%{per}")
        verdict = "OK" if rate >= TARGET_RATE else f"UNDER target {TARGET_RATE:.0f}/s"
        print(f"task completions sustained: {rate:.1f}/s  {verdict}")
        if stats.idle:
            print(f"note: reviewers found an empty queue {stats.idle} times (raise --backlog)")
        errors = dict(stats.errors)
        print(f"errors (call, status → count): {errors or 'none'}")
        effects = check_effects(url, stats, [p["id"] for p in people["handlers"].values()])
        for key, value in effects.items():
            print(f"  {key:<40} {value}")
        bad = (effects["lost completions"] + effects["duplicated completions"]
               + effects["completions without acknowledgement"] + effects["lost starts"]
               + effects["duplicated starts"])
        print(f"lost or duplicated effects: {bad}  {'OK' if bad == 0 else 'FAIL'}")
        return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
