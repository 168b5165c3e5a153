"""Operations: liveness and readiness, request ids and JSON logs, the backup command (migrations
upgrading a populated database: test_migrations.py)."""
from __future__ import annotations

import json
import logging
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from app import create_app
from app.extensions import db
from app.ops.health import migration_heads
from app.ops.logging import ContextFilter, JsonFormatter
from app.ops.models import WorkerHeartbeat
from tests.db import test_db_kind


def _stamp_head() -> None:
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS alembic_version "
                          "(version_num VARCHAR(32) NOT NULL)"))
        conn.execute(text("DELETE FROM alembic_version"))
        for head in migration_heads():
            conn.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": head})


def test_healthz_needs_no_database(app, client):
    app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.json == {"status": "ok"}


def test_readyz_wants_migrations_at_head(app, client):
    resp = client.get("/readyz")  # tables from create_all, no alembic_version: not migrated
    assert resp.status_code == 503
    assert resp.json["checks"]["migrations"]["ok"] is False
    _stamp_head()
    resp = client.get("/readyz")
    assert resp.status_code == 200, resp.json
    assert resp.json["checks"]["database"] == {"ok": True}


def test_readyz_reports_the_worker_heartbeat_age(app, client):
    _stamp_head()
    assert client.get("/readyz").json["checks"]["worker"]["alive"] is False
    now = datetime.now(UTC)
    db.session.add(WorkerHeartbeat(name="h:1", host="h", pid=1, started_at=now, beat_at=now,
                                   fired_total=0))
    db.session.commit()
    worker = client.get("/readyz").json["checks"]["worker"]
    assert worker["alive"] is True and worker["age_seconds"] < 5

    row = db.session.get(WorkerHeartbeat, "h:1")
    row.beat_at = now - timedelta(minutes=10)
    db.session.commit()
    assert client.get("/readyz").status_code == 200  # a stale worker is reported…
    app.config["ERFLOW_READY_REQUIRE_WORKER"] = True
    resp = client.get("/readyz")  # …and fails readiness when the deployment asks for it
    assert resp.status_code == 503 and resp.json["checks"]["worker"]["alive"] is False


def test_the_worker_command_beats(app):
    app.config["ERFLOW_TEST_CLOCK"] = True
    result = app.test_cli_runner().invoke(args=["erflow", "worker", "--once"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.query(WorkerHeartbeat).count() == 1


def test_request_id_is_echoed_or_made(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers[
        "X-Request-ID"] == "abc-123"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id <script>"}).headers[
        "X-Request-ID"]
    assert made != "bad id <script>" and len(made) == 32


def test_access_log_is_json_with_request_and_instance_ids(app, client, caplog, make_user,
                                                          api_token):
    headers = {**api_token(make_user(roles=["reviewer"])), "X-Request-ID": "req-42"}
    with caplog.at_level(logging.INFO, logger="erflow.access"):
        client.get("/api/v1/instances/77", headers=headers)
    record = next(r for r in caplog.records if r.name == "erflow.access")
    ContextFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-42" and line["instance_id"] == 77
    assert line["status"] == 404 and line["path"] == "/api/v1/instances/77"
    assert line["level"] == "INFO" and "duration_ms" in line and line["user_id"]
    # the request's own CPU (what to look at first when the web tier runs hot) and its route
    assert 0 <= line["cpu_ms"] and line["endpoint"] == "api.get_instance"


@pytest.mark.skipif(test_db_kind() != "sqlite", reason="SQLite's online backup")
def test_backup_copies_a_sqlite_database_online(app, tmp_path):
    now = datetime.now(UTC)
    db.session.add(WorkerHeartbeat(name="h:2", host="h", pid=2, started_at=now, beat_at=now,
                                   fired_total=3))
    db.session.commit()
    target = tmp_path / "copy.sqlite3"
    result = app.test_cli_runner().invoke(args=["erflow", "backup", "-o", str(target)])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT fired_total FROM worker_heartbeat").fetchone() == (3,)


def test_backup_prints_pg_dump_for_postgresql(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://erf:pw@db.internal:5433/"
                      "erflow", "SECRET_KEY": "t"})
    result = app.test_cli_runner().invoke(args=["erflow", "backup", "-o", str(tmp_path / "x")])
    assert result.exit_code == 0, result.output
    assert "pg_dump --format=custom" in result.output and "--host=db.internal" in result.output
    assert "--port=5433" in result.output and "pw" not in result.output.replace("PGPASSWORD", "")
