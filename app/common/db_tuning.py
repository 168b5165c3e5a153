"""Per-connection database settings: what production SQLite needs, and (PostgreSQL) a liveness
check of a pooled connection only when it has been idle."""
from __future__ import annotations

import time

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

# A pooled connection unused for longer than this is pinged before a request gets it (a database
# restart or an idle-connection timeout in between is then invisible to the request). One in
# steady use is not: a ping per checkout was a round trip on every request (bench/load.py).
IDLE_PING_SECONDS = 10.0


def ping_when_idle(engine: Engine, idle_seconds: float = IDLE_PING_SECONDS) -> None:
    """Like `pool_pre_ping`, but only for connections idle more than `idle_seconds`. A dead one
    raises DisconnectionError, which makes the pool drop it and connect afresh. A connection that
    dies while in use fails its request (503, app/ops) and the pool is invalidated as before."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn, record):
        if record is not None:
            record.info["erflow_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn, record, _proxy):
        since = record.info.get("erflow_idle_since")
        if since is None or time.monotonic() - since <= idle_seconds:
            return  # a new connection, or one in steady use
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except Exception as error:  # the driver's error for a dead socket
            raise exc.DisconnectionError() from error
        if alive is False:
            raise exc.DisconnectionError()


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
