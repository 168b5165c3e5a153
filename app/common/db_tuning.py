"""Per-connection database settings that production SQLite needs (PostgreSQL needs none)."""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine


def tune_sqlite(engine: Engine) -> None:
    """WAL lets readers run beside the one writer; synchronous=NORMAL syncs at checkpoints instead
    of every commit (durable across application crashes, which is what a step needs); a busy
    timeout makes concurrent writers wait for the lock instead of failing at once."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.close()
