"""What one API call costs in process: SQL statements, Python function calls and CPU of a task
completion, a todo page of 50 rows and an authenticated no-op (`GET /auth/me`), through the Flask
test client against a throwaway durable PostgreSQL seeded like bench/load.py.

    .venv/bin/python bench/api_calls.py [--n 300]

The load bench's throughput on this VM drifts by half within an hour; statements and function
calls do not, so compare code with these (and CPU only back to back).
"""
from __future__ import annotations

import argparse
import collections
import cProfile
import pstats
import time

from _common import DURABLE_PG, database, make_app, percentiles, show
from _load_setup import PASSWORD, prepare
from sqlalchemy import event

REVIEW = {"decision": "approve", "opinion": "同意"}


def measure(label: str, call, n: int, statements: list[int]) -> None:
    """Run `call` n times: wall time, CPU, statements and (a second pass) function calls."""
    wall, cpu, counts = [], [], []
    for _ in range(n):
        statements[0] = 0
        t0, c0 = time.perf_counter(), time.process_time()
        call()
        cpu.append(time.process_time() - c0)
        wall.append((time.perf_counter() - t0) * 1000)
        counts.append(statements[0])
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(max(1, n // 3)):
        call()
    profile.disable()
    calls = pstats.Stats(profile).total_calls / max(1, n // 3)
    show(label, percentiles(wall))
    print(f"{'':<48} CPU {1000 * sum(cpu) / n:6.2f} ms  SQL statements {sum(counts) / n:5.2f}  "
          f"function calls {calls:8.0f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="calls of each kind")
    args = parser.parse_args()
    with database("postgres", DURABLE_PG) as url:
        # one county's queue must hold every completion of both passes (5 steps per instance)
        seed = prepare(url, surplus_counties=4, buyers=1, trades=10, backlog=args.n * 2)
        app = make_app(url)
        from app.extensions import db

        client = app.test_client()
        reviewer = seed.counties[0].reviewers[0]
        token = client.post("/api/v1/auth/token",
                            json={"username": reviewer, "password": PASSWORD}).get_json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        statements = [0]
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute",
                     lambda *_args: statements.__setitem__(0, statements[0] + 1))
        queue: collections.deque[str] = collections.deque()

        def listing() -> list[dict]:
            answer = client.get("/api/v1/tasks?view=todo&per_page=50&sort=due", headers=headers)
            assert answer.status_code == 200, answer.get_data(as_text=True)
            return answer.get_json()["items"]

        def complete() -> None:
            if not queue:
                found = client.get("/api/v1/tasks?view=todo&per_page=200", headers=headers)
                queue.extend(t["id"] for t in found.get_json()["items"])
            answer = client.post(f"/api/v1/tasks/{queue.popleft()}/complete", headers=headers,
                                 json={"data": REVIEW})
            assert answer.status_code == 200, answer.get_data(as_text=True)

        def me() -> None:
            assert client.get("/api/v1/auth/me", headers=headers).status_code == 200

        for _ in range(10):  # warm-up: statement and spec caches
            complete()
        print(f"API calls in process — {args.n} of each, durable PostgreSQL "
              f"({', '.join(f'{k}={v}' for k, v in DURABLE_PG.items())})")
        measure("task completion (POST /tasks/{id}/complete)", complete, args.n, statements)
        measure("todo page, 50 rows (GET /tasks)", listing, args.n, statements)
        measure("authenticated no-op (GET /auth/me)", me, args.n, statements)


if __name__ == "__main__":
    main()
