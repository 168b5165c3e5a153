"""Load test of the production topology on this machine: gunicorn (sync workers), `flask erflow
worker` processes and PostgreSQL, started with scripts/serve_prod.sh on a throwaway cluster and
driven over HTTP by the real procedures.

    .venv/bin/python bench/load.py --duration 30      # a short run
    .venv/bin/python bench/load.py --duration 300     # the issue's 5-minute run

Clients (threads, one HTTP keep-alive connection each; every user signs in with
POST /api/v1/auth/token first):
- enterprises (buying units) start real `trade` processes at a steady rate — in Zhejiang counties a
  same-county transfer of a unit's surplus (R19), in Hebei districts a green-channel purchase of
  0.5 t from the county reserve (R29) — and poll their queue to sign the contract and report the
  permit change;
- two handlers per county certify the tradable amount, confirm the deposit and the settlement;
- two reviewers per county review the trades' subjects and complete the synthetic five-step review
  (bench/fixtures/load_review.bpmn) that carries most of the completion load, taking the next step
  of the same instance from the answer; the two of a county work the same queue from opposite
  ends and compete for the same tasks, so some completions answer 409 ("already done") — counted,
  not errors — and the loser lists its queue again;
- handlers start synthetic reviews; an inbox reader lists a random reviewer's queue.
Afterwards the database is checked (bench/_load_checks.py): no completion lost or duplicated, each
409 was someone else's completion, each start made one instance, each completed trade has one
certificate and moved exactly its rights, and `ledger-check` finds no difference.

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
import sys
import threading
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

import _common
from _common import DURABLE_PG, ROOT, database, percentiles, show, vacuum_analyze
from _load_checks import BAD, check_effects
from _load_setup import PASSWORD, SYNTHETIC_STEPS, County, prepare, trade_start
from _topology import cpu_seconds, free_port, machine_cpu, serve, stop_serving

TARGET_RATE = 100.0
TARGET_COMPLETE_P95 = 200.0
TARGET_INBOX_P95 = 100.0
COMPLETION = "task completion"
# What each client submits, by BPMN task id (the forms in forms/ and the bench's review form)
TASK_DATA = {
    "certify": {"certify_decision": "certified", "opinion": "富余排污权认定通过"},
    "subject_review": {"review_decision": "approved", "opinion": "交易主体审核通过"},
    "priority_buyback": {"buyback_decision": "decline", "opinion": "放弃优先回购"},
    "confirm_deposit": {"deposit_reference": "BZJ-BENCH"},
    "sign_contract": {"contract_decision": "sign"},
    "confirm_settlement": {"settlement_outcome": "paid", "settlement_reference": "JS-BENCH"},
    "permit_change": {"permit_change_no": "BG-BENCH"},
    **{f"review{i}": {"decision": "approve", "opinion": "同意"}
       for i in range(1, SYNTHETIC_STEPS + 1)},
}


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.samples: dict[str, list[float]] = collections.defaultdict(list)
        self.errors: collections.Counter = collections.Counter()
        self.acks: dict[str, list[int]] = collections.defaultdict(list)  # task → statuses
        self.already_done: collections.Counter = collections.Counter()  # 409 per process
        self.done_in_window: collections.Counter = collections.Counter()  # 200 per process
        self.started: list[int] = []  # synthetic instances
        self.trades: list[int] = []
        self.idle = 0  # a reviewer found its queue empty (the backlog ran out: raise --backlog)
        self.finished: list[tuple[float, float]] = []  # completions (when, ms) while measuring

    def record(self, kind: str, ms: float, status: int, ok: set[int], measuring: bool) -> None:
        """A call's time (while measuring) and, whenever it happens, an unexpected status."""
        with self.lock:
            if measuring:
                self.samples[kind].append(ms)
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
        headers = {}
        if token or self.token:
            headers["Authorization"] = f"Bearer {token or self.token}"
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


def sign_in(base: str, username: str) -> Client:
    """A client holding the user's API token (POST /api/v1/auth/token, API.md)."""
    client = Client(base)
    status, body = client.call("POST", "/api/v1/auth/token",
                               {"username": username, "password": PASSWORD})
    if status != 200:
        raise RuntimeError(f"sign-in of {username} answered {status}: {body}")
    client.token = body["token"]
    return client


class Run:
    """What every client shares: the server, the stats, stop and measuring flags."""

    def __init__(self, base: str, stats: Stats) -> None:
        self.base, self.stats = base, stats
        self.stop, self.measuring = threading.Event(), threading.Event()

    def timed(self, client: Client, kind: str, ok: set[int], method: str, path: str,
              body=None, token: str | None = None):
        t0 = time.perf_counter()
        status, answer = client.call(method, path, body, token)
        self.stats.record(kind, (time.perf_counter() - t0) * 1000, status, ok,
                          self.measuring.is_set())
        return status, answer

    def listing(self, client: Client, kind: str, query: str) -> list[dict]:
        status, body = self.timed(client, kind, {200}, "GET", f"/api/v1/tasks?{query}")
        return body["items"] if status == 200 else []

    def complete(self, client: Client, task: dict) -> tuple[int, dict | None]:
        """Complete `task` with its form's data: (status, the answer — the instance — on 200).
        A 409 is another client's completion of the same task (checked afterwards)."""
        process, data = task["process_key"], TASK_DATA.get(task["name"])
        if data is None:
            with self.stats.lock:
                self.stats.errors[(f"no data for task {task['name']}", 0)] += 1
            return 0, None
        t0 = time.perf_counter()
        status, body = client.call("POST", f"/api/v1/tasks/{task['id']}/complete",
                                   {"data": data})
        ms = (time.perf_counter() - t0) * 1000
        measuring = self.measuring.is_set()
        self.stats.record(COMPLETION, ms, status, {200, 409}, measuring)
        self.stats.record(f"{COMPLETION} ({process})", ms, status, {200, 409}, measuring)
        with self.stats.lock:
            self.stats.acks[task["id"]].append(status)
            if measuring:
                if status == 200:
                    self.stats.done_in_window[process] += 1
                    self.stats.finished.append((time.perf_counter(), ms))
                elif status == 409:
                    self.stats.already_done[process] += 1
        return status, (body if status == 200 else None)


def mine(task: dict, role: str, region: str) -> bool:
    return (task["role"] == role and task["region_code"] == region
            and task.get("assignee") is None and task["state"] == "open")


# -- clients ---------------------------------------------------------------------------------------

def reviewer(run: Run, county: County, username: str, trade_poll: float,
             from_end: bool, pace: float | None = None, phase: float = 0.0) -> None:
    """Its own queue (synthetic steps, following each instance to its next step) and, every
    `trade_poll` seconds, the trades waiting for a subject review. The county's two reviewers
    work the same page from opposite ends, so they meet where they cross; the one told "already
    done" (409) drops the rest of the page and lists its queue again, as a person would.
    `pace`: seconds between the synthetic completions it offers (open loop, --review-rate); a
    reviewer that falls behind catches up by at most a second's worth, it never bursts. None:
    the next completion follows the last answer at once (closed loop, the machine's capacity).
    `phase` (0–1): where in the `trade_poll` period its trade listings fall (see `phases`)."""
    client = sign_in(run.base, username)
    queue: collections.deque[dict] = collections.deque()
    next_trades = time.monotonic() + phase * trade_poll
    next_due = time.monotonic()
    while not run.stop.is_set():
        if time.monotonic() >= next_trades:
            next_trades = time.monotonic() + trade_poll
            found = run.listing(client, "inbox (reviewer, trades)", "view=todo&process=trade")
            random.shuffle(found)
            queue.extendleft(found)
        if not queue:
            found = run.listing(client, "inbox (reviewer's own queue)", "view=todo&per_page=50")
            queue.extend(reversed(found) if from_end else found)
            if not queue:
                with run.stats.lock:
                    run.stats.idle += 1
                run.stop.wait(0.05)
            continue
        if pace is not None and queue[0]["process_key"] == "bench_load":
            now = time.monotonic()
            next_due = max(next_due + pace, now - 1.0)
            if next_due > now:
                run.stop.wait(next_due - now)
        status, answer = run.complete(client, queue.popleft())
        if answer:
            queue.extendleft(t for t in answer["active_tasks"]
                             if mine(t, "reviewer", county.code))
        elif status == 409:
            queue.clear()


def handler(run: Run, county: County, username: str, poll: float) -> None:
    """Trade steps of the county's handlers: certification, deposit, settlement."""
    client = sign_in(run.base, username)
    while not run.stop.is_set():
        found = run.listing(client, "inbox (handler's own queue)", "view=todo&sort=due")
        random.shuffle(found)
        for task in found:
            if run.stop.is_set():
                break
            if run.complete(client, task)[0] == 409:
                break  # the county's other handler works this page too: list again
        if not found:
            run.stop.wait(poll)


def enterprise(run: Run, county: County, rate: float, poll: float, serial,
               phase: float = 0.0) -> None:
    """The county's buying units: one trade application every 1/`rate` s (round robin over the
    units), and every `poll` s one unit's queue (contract signing, permit change); `phase`
    (0–1): where in those periods its calls fall (see `phases`)."""
    clients = [sign_in(run.base, name) for name in county.buyers]
    starts = polls = 0
    now = time.monotonic()
    next_start, next_poll = now + phase / rate, now + phase * poll
    while not run.stop.is_set():
        now = time.monotonic()
        if now >= next_start:
            next_start += 1.0 / rate
            buyer = clients[starts % len(clients)]
            starts += 1
            status, body = run.timed(buyer, "trade start", {201}, "POST",
                                     "/api/v1/processes/trade/instances",
                                     {"data": trade_start(county, next(serial))})
            if status == 201:
                with run.stats.lock:
                    run.stats.trades.append(body["id"])
        if now >= next_poll:
            next_poll += poll
            client = clients[polls % len(clients)]
            polls += 1
            for task in run.listing(client, "inbox (enterprise's own queue)", "view=todo"):
                run.complete(client, task)
        run.stop.wait(max(0.0, min(next_start, next_poll) - time.monotonic()))


def phases(n: int) -> list[float]:
    """Evenly spread phases for `n` clients calling on the same period. Clients started together
    would otherwise call in lockstep (all six counties' trade starts, then their six listings, in
    the same few milliseconds), a burst no province's users produce; each such listing then
    queued behind the others' work (enterprise listings: p50 55 ms against 8–12 ms of server
    time in the access log)."""
    return [i / n for i in range(n)]


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


def starter(run: Run, usernames: list[str], rate: float) -> None:
    """Handlers starting synthetic reviews (POST /api/v1/processes/bench_load/instances)."""
    clients = [sign_in(run.base, name) for name in usernames]

    def start() -> None:
        status, body = run.timed(random.choice(clients), "process start (bench_load)", {201},
                                 "POST", "/api/v1/processes/bench_load/instances", {"data": {}})
        if status == 201:
            with run.stats.lock:
                run.stats.started.append(body["id"])

    paced(rate, run.stop, start)


def inbox_reader(run: Run, usernames: list[str], rate: float) -> None:
    clients = [sign_in(run.base, name) for name in usernames]
    paced(rate, run.stop, lambda: run.listing(
        random.choice(clients), "inbox listing", "view=todo&per_page=50&sort=due"))


# -- report ------------------------------------------------------------------------------------

def print_over_time(stats: Stats, began: float, elapsed: float, buckets: int = 10) -> None:
    """Completions per second and completion p95 in each tenth of the run: "sustained" means the
    last tenth looks like the first."""
    width = elapsed / buckets
    rows: list[list[float]] = [[] for _ in range(buckets)]
    for when, ms in stats.finished:
        rows[min(buckets - 1, max(0, int((when - began) / width)))].append(ms)
    cells = []
    for i, samples in enumerate(rows):
        p95 = percentiles(samples)["p95"] if samples else 0.0
        cells.append(f"{i * width:4.0f}s {len(samples) / width:5.1f}/s p95 {p95:4.0f}")
    print("task completions (200) over time:")
    for start in range(0, buckets, 5):
        print("  " + " | ".join(cells[start:start + 5]))


def report(stats: Stats, elapsed: float, began: float, cpu_used, machine) -> float:
    print(f"\nresults over {elapsed:.1f} s (completion samples include 409 answers):")
    for kind, samples in sorted(stats.samples.items()):
        target = TARGET_COMPLETE_P95 if kind == COMPLETION else (
            TARGET_INBOX_P95 if kind.startswith("inbox") else None)
        show(f"{kind} ({len(samples) / elapsed:6.1f}/s)", percentiles(samples), target)
    done = sum(stats.done_in_window.values())
    print("task completions (200) per process: " + ", ".join(
        f"{key} {n / elapsed:.1f}/s ({n})" for key, n in sorted(stats.done_in_window.items())))
    print("409 already done (the county's other client was first): " + (", ".join(
        f"{key} {n}" for key, n in sorted(stats.already_done.items())) or "none"))
    print_over_time(stats, began, elapsed)
    cores = os.cpu_count() or 1
    print(f"CPU during the measured window ({cores} cores = {cores * 100}%):")
    for part, seconds in sorted(cpu_used.items(), key=lambda item: -item[1]):
        if seconds > 0:
            print(f"  {part:<28} {seconds / elapsed * 100:5.0f}%"
                  f"  {seconds / max(done, 1) * 1000:5.2f} ms per completion")
    busy, total = machine
    outside = busy - sum(v for k, v in cpu_used.items() if k != "other processes")
    print(f"  whole machine                {busy / elapsed * 100:5.0f}% busy of "
          f"{total / elapsed * 100:.0f}%; outside the topology and these clients "
          f"{max(outside, 0) / elapsed * 100:.0f}% (capacity is measured only when that is ~0)")
    rate = done / elapsed
    verdict = "OK" if rate >= TARGET_RATE else f"UNDER target {TARGET_RATE:.0f}/s"
    print(f"task completions sustained: {rate:.1f}/s  {verdict}")
    if stats.idle:
        print(f"note: reviewers found an empty queue {stats.idle} times (raise --backlog)")
    print(f"errors over the whole run, warm-up included (call, status → count): "
          f"{dict(stats.errors) or 'none'}")
    return rate


def checkpoints(began_wall: float, elapsed: float) -> None:
    """PostgreSQL's checkpoints during the measured window, from its log (log_checkpoints): after
    one, the first change of every page writes the whole page to the WAL, which costs CPU."""
    log = _common.PG_LOG
    if log is None or not log.exists():
        return
    seen = []
    for line in log.read_text(errors="replace").splitlines():
        if "checkpoint starting" not in line and "checkpoint complete" not in line:
            continue
        try:
            stamp = datetime.strptime(" ".join(line.split()[:2]), "%Y-%m-%d %H:%M:%S.%f")
        except ValueError:
            continue
        at = stamp.replace(tzinfo=UTC).timestamp() - began_wall
        if 0 <= at <= elapsed:
            seen.append(f"{at:.0f} s {'start' if 'starting' in line else 'done'}")
    print(f"PostgreSQL checkpoints in the measured window: {', '.join(seen) or 'none'}")


def cpu_by_endpoint(log: Path) -> None:
    """The web tier's CPU by endpoint over the whole run (warm-up included), from the access
    log's `cpu_ms` (app/ops/logging.py: a sync worker's CPU while it served the request)."""
    calls: collections.Counter = collections.Counter()
    cpu: collections.Counter = collections.Counter()
    for line in log.read_text(errors="replace").splitlines():
        if not line.startswith("{") or '"cpu_ms"' not in line:
            continue
        entry = json.loads(line)
        key = f"{entry['method']} {entry.get('endpoint')} {entry['status']}"
        calls[key] += 1
        cpu[key] += entry["cpu_ms"]
    total = sum(cpu.values()) or 1.0
    print("web CPU by endpoint (access log cpu_ms, whole run):")
    for key, ms in cpu.most_common():
        print(f"  {key:<48} {calls[key]:7d} calls  {ms / calls[key]:6.2f} ms each  "
              f"{100 * ms / total:5.1f}%")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--counties", type=int, default=4,
                        help="Zhejiang counties (synthetic reviews, surplus transfers); two "
                             "Hebei districts add green-channel purchases")
    parser.add_argument("--buyers", type=int, default=3, help="buying units per county")
    parser.add_argument("--trade-rate", type=float, default=1.0, help="trade starts per second")
    parser.add_argument("--start-rate", type=float, default=4.0,
                        help="synthetic review starts per second")
    parser.add_argument("--inbox-rate", type=float, default=10.0, help="inbox listings per second")
    parser.add_argument("--review-rate", type=float, default=None,
                        help="synthetic review completions offered per second, all reviewers "
                             "together (open loop: latency at that load); default: closed loop, "
                             "each reviewer completes its next step as soon as it has the answer "
                             "(the machine's capacity, latency at saturation)")
    parser.add_argument("--poll", type=float, default=3.0,
                        help="seconds between queue polls of idle handlers, enterprises and "
                             "reviewers (trades)")
    parser.add_argument("--web-workers", type=int, default=2 * (os.cpu_count() or 2) + 1)
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    parser.add_argument("--threads", type=int, default=1, help="per process (gthread only)")
    parser.add_argument("--erflow-workers", type=int, default=2)
    parser.add_argument("--cpu-by-endpoint", action="store_true",
                        help="log every request (access log at INFO, which costs some CPU) and "
                             "print the web tier's CPU per endpoint from the logs' cpu_ms")
    parser.add_argument("--backlog", type=int, default=None,
                        help="synthetic instances started before the run (default: enough for "
                             "150 completions/s)")
    args = parser.parse_args()
    seconds = args.duration + args.warmup + 10
    backlog = args.backlog or int(150 * seconds / SYNTHETIC_STEPS) + 50
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    offered = (f"{args.review_rate}/s synthetic completions offered (open loop)"
               if args.review_rate else "reviewers in closed loop (the capacity)")
    print(f"load test — {args.duration:.0f} s measured after {args.warmup:.0f} s warm-up; "
          f"{args.counties} Zhejiang counties + 2 Hebei districts, 2 reviewers and 2 handlers "
          f"each, {args.buyers} buying units each; {args.trade_rate}/s trade starts, "
          f"{args.start_rate}/s synthetic starts, {args.inbox_rate}/s inbox listings; {offered}; "
          f"gunicorn "
          f"{args.web_workers} {args.worker_class} workers"
          f"{f' × {args.threads} threads' if args.worker_class == 'gthread' else ''}, "
          f"{args.erflow_workers} timer workers, PostgreSQL "
          f"({', '.join(f'{k}={v}' for k, v in DURABLE_PG.items())}); {os.cpu_count()} cores",
          flush=True)
    with database("postgres", DURABLE_PG) as url:
        t0 = time.perf_counter()
        seed = prepare(url, surplus_counties=args.counties, buyers=args.buyers,
                       trades=int(args.trade_rate * seconds) + 10, backlog=backlog)
        vacuum_analyze(url)
        print(f"set-up: {backlog} synthetic instances ({backlog * SYNTHETIC_STEPS} open steps), "
              f"{sum(len(c.buyers) for c in seed.counties)} buying units, rights for "
              f"{2 * int(args.trade_rate * seconds)} trades, VACUUM ANALYZE in "
              f"{time.perf_counter() - t0:.0f} s", flush=True)
        serve_log = out / "load-serve.log"
        proc, base = serve(url, free_port(), args.web_workers, args.threads,
                           args.erflow_workers, serve_log, args.worker_class,
                           "INFO" if args.cpu_by_endpoint else "WARNING")
        stats = Stats()
        run = Run(base, stats)
        serial = iter(range(1, 10**9))
        threads = []
        synthetic = [c for c in seed.counties if c.kind == "surplus"]
        reviewers = sum(len(c.reviewers) for c in synthetic)
        pace = reviewers / args.review_rate if args.review_rate else None
        reviewer_phase = iter(phases(reviewers))
        for county, phase in zip(seed.counties, phases(len(seed.counties)), strict=True):
            for i, name in enumerate(county.reviewers if county.kind == "surplus" else ()):
                threads.append(threading.Thread(target=reviewer, args=(
                    run, county, name, args.poll, i % 2 == 1, pace, next(reviewer_phase))))
            for name in county.handlers:
                threads.append(threading.Thread(target=handler,
                                                args=(run, county, name, args.poll)))
            threads.append(threading.Thread(target=enterprise, args=(
                run, county, args.trade_rate / len(seed.counties), args.poll, serial, phase)))
        threads.append(threading.Thread(target=starter, args=(
            run, [c.handlers[0] for c in synthetic], args.start_rate)))
        threads.append(threading.Thread(target=inbox_reader, args=(
            run, [name for c in synthetic for name in c.reviewers], args.inbox_rate)))
        try:
            for t in threads:
                t.daemon = True
                t.start()
            time.sleep(args.warmup)
            cpu_before, machine_before = cpu_seconds(), machine_cpu()
            run.measuring.set()
            began, began_wall = time.perf_counter(), time.time()
            time.sleep(args.duration)
            run.measuring.clear()
            elapsed = time.perf_counter() - began
            cpu_used = cpu_seconds()
            cpu_used.subtract(cpu_before)
            machine = tuple(b - a for a, b in zip(machine_before, machine_cpu(), strict=True))
            run.stop.set()
            for t in threads:
                t.join(60)
        finally:
            stop_serving(proc)
        report(stats, elapsed, began, cpu_used, machine)
        checkpoints(began_wall, elapsed)
        if args.cpu_by_endpoint:
            cpu_by_endpoint(serve_log)
        effects = check_effects(url, stats, seed)
        print("effects, counted in the database:")
        for key, value in effects.items():
            print(f"  {key:<52} {value}")
        bad = sum(effects[key] for key in BAD)
        print(f"lost or duplicated effects: {bad}  {'OK' if bad == 0 else 'FAIL'}")
        return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
