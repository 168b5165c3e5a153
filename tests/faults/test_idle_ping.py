"""Pooled connections are pinged only after being idle (app/common/db_tuning.ping_when_idle): a
connection the database dropped while it sat idle in the pool is replaced before a request gets
it; one in steady use costs no round trip per request."""
from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from psycopg import sql
from sqlalchemy import event

from app.common import db_tuning
from app.extensions import db
from tests.db import test_db_kind

pytestmark = pytest.mark.skipif(test_db_kind() != "postgres",
                                reason="pg_terminate_backend needs PostgreSQL")


def _drop_pooled_connections(server, database: str) -> None:
    server._execute(sql.SQL(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = {} AND pid <> pg_backend_pid()").format(sql.Literal(database)))


def _statements(engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_a: seen.append(statement))
    return seen


def test_a_connection_dropped_while_idle_is_replaced_before_the_request(
        app, client, make_user, api_token, monkeypatch, request):
    server = request.getfixturevalue("pg_server")
    headers = api_token(make_user(roles=["reviewer"], region_code="330106"))
    db.session.commit()
    db.session.remove()  # every connection back in the pool
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    _drop_pooled_connections(server, db.engine.url.database)

    later = time.monotonic() + db_tuning.IDLE_PING_SECONDS + 1  # the pool sat idle meanwhile
    monkeypatch.setattr(db_tuning, "time", SimpleNamespace(monotonic=lambda: later))
    resp = client.get("/api/v1/auth/me", headers=headers)
    assert resp.status_code == 200, resp.json


def test_a_connection_in_steady_use_is_not_pinged(app, client, make_user, api_token):
    headers = api_token(make_user(roles=["reviewer"], region_code="330106"))
    db.session.commit()
    db.session.remove()
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    pings: list[int] = []
    dialect = db.engine.dialect
    real_ping = dialect.do_ping
    try:
        dialect.do_ping = lambda conn: pings.append(1) or real_ping(conn)
        for _ in range(3):
            assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    finally:
        dialect.do_ping = real_ping
    assert pings == []
