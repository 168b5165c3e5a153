"""Shared helpers for the benchmarks: percentiles, a scratch app, and a throwaway PostgreSQL."""
from __future__ import annotations

import statistics
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # benchmarks import the app like the tests do


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)

    def pick(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    return {
        "n": len(ordered),
        "p50": pick(50),
        "p95": pick(95),
        "p99": pick(99),
        "mean": statistics.fmean(ordered),
    }


def show(label: str, stats: dict[str, float], target_p95: float | None = None) -> None:
    verdict = ""
    if target_p95 is not None:
        verdict = "  OK" if stats["p95"] <= target_p95 else f"  OVER target {target_p95} ms"
    print(
        f"{label:<48} n={stats['n']:<6} p50={stats['p50']:7.2f} ms  p95={stats['p95']:7.2f} ms"
        f"  p99={stats['p99']:7.2f} ms{verdict}",
        flush=True,
    )


# A production-like PostgreSQL for the load bench: durable commits, a buffer cache that holds
# the working set (this VM hands page cache back to the host quickly: 64 MB meant disk reads) and
# checkpoints every 15 minutes, as docs/operations.md recommends (PostgreSQL's default 5 minutes
# re-logs every hot page in full three times as often; a run on a fresh cluster then sees none).
DURABLE_PG = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on",
              "shared_buffers": "2GB", "max_wal_size": "2GB", "checkpoint_timeout": "15min"}


def vacuum_analyze(url: str) -> None:
    """VACUUM ANALYZE every table (as pgbench does before a run): the bulk-loaded backlog would
    otherwise be vacuumed and analysed by autovacuum in the middle of the measurement."""
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    with psycopg.connect(host=u.host, port=u.port, user=u.username, password=u.password,
                         dbname=u.database, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


PG_LOG: Path | None = None  # the log of the cluster `database` started (checkpoints, errors)


@contextmanager
def database(kind: str, pg_settings: dict[str, str] | None = None):
    """Yield a database URL: a temp SQLite file, or a temp PostgreSQL cluster (tests/pg.py)."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.sqlite3"
        return
    from psycopg import sql

    from tests.pg import start_server

    server = start_server(pg_settings)
    global PG_LOG
    PG_LOG = server._workdir / "postgres.log" if server._workdir else None
    try:
        server.drop("erflow_bench")
        server._execute(sql.SQL("CREATE DATABASE erflow_bench"))
        yield server.url("erflow_bench")
    finally:
        server.drop("erflow_bench")
        server.stop()


def make_app(url: str, **extra):
    from app import create_app

    config = {"SQLALCHEMY_DATABASE_URI": url, "ERFLOW_TEST_CLOCK": False, "TESTING": False}
    config.update(extra)
    return create_app(config)
