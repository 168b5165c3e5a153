"""The production topology for bench/load.py: scripts/serve_prod.sh (gunicorn, timer workers) on
a given PostgreSQL, started and stopped, and where the machine's CPU goes while it runs."""
from __future__ import annotations

import collections
import http.client
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from _common import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(url: str, port: int, web_workers: int, threads: int, erflow_workers: int, log: Path,
          worker_class: str = "sync", log_level: str = "WARNING"):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ERFLOW_")}
    env.update(DATABASE_URL=url, PORT=str(port), WEB_WORKERS=str(web_workers),
               WEB_THREADS=str(threads), ERFLOW_WORKERS=str(erflow_workers), DEPLOY_BPMN="0",
               WEB_WORKER_CLASS=worker_class,
               SEED_DEMO="0", ERFLOW_LOG_LEVEL=log_level, SECRET_KEY="bench-secret")
    out = open(log, "wb")
    proc = subprocess.Popen(["bash", str(ROOT / "scripts/serve_prod.sh")], env=env, cwd=ROOT,
                            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"serve_prod.sh exited; see {log}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return proc, base
        except OSError:
            pass
        finally:
            conn.close()
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


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far (/proc/stat): how much of it other
    work took during the run, processes that came and went included."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / tick, sum(fields[:8]) / tick


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
