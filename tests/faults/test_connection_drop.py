"""A database connection dropped in the middle of a request (pg_terminate_backend): a clean 503,
no partial effect, and the next request works."""
from __future__ import annotations

import threading

import pytest
from psycopg import sql
from sqlalchemy import func, select

from app import engine
from app.engine.models import AuditEvent, HumanTask, ProcessInstance
from app.extensions import db
from tests.db import test_db_kind
from tests.faults import probe
from tests.faults.conftest import effects

pytestmark = pytest.mark.skipif(test_db_kind() != "postgres",
                                reason="pg_terminate_backend needs PostgreSQL")


def test_connection_killed_mid_request_gives_503_without_partial_effect(
        app, client, fault_diagrams, make_user, api_token, request):
    server = request.getfixturevalue("pg_server")
    reviewer = make_user(roles=["reviewer"], region_code="330106")
    headers = api_token(reviewer)
    info = engine.start("fault_task", {"tag": "ok"}, actor_id=None, handling_region="330106")
    db.session.commit()
    task_id = info.active_tasks[0].id
    seen_version = db.session.get(ProcessInstance, info.id).lock_version

    probe.GATE.armed = True
    result: dict = {}

    def complete() -> None:
        result["resp"] = client.post(f"/api/v1/tasks/{task_id}/complete", headers=headers,
                                     json={"data": {"opinion": "同意"}})

    worker = threading.Thread(target=complete)
    worker.start()
    assert probe.GATE.entered.wait(30), "the request never reached the step"
    server._execute(sql.SQL("SELECT pg_terminate_backend({})").format(
        sql.Literal(probe.GATE.backend_pid)))
    probe.GATE.release.set()
    worker.join(30)

    resp = result["resp"]
    assert resp.status_code == 503
    assert resp.json["error"]["code"] == "service_unavailable"
    assert resp.headers["X-Request-ID"]

    db.session.expire_all()
    assert db.session.get(HumanTask, task_id).state == "open"
    inst = db.session.get(ProcessInstance, info.id)
    assert (inst.status, inst.lock_version) == ("running", seen_version)  # no incident either
    assert effects(info.id) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.instance_id == info.id, AuditEvent.action == "task_completed")) == 0

    probe.GATE.armed = False
    again = client.post(f"/api/v1/tasks/{task_id}/complete", headers=headers,
                        json={"data": {"opinion": "同意"}})
    assert again.status_code == 200, again.json
    assert again.json["status"] == "completed"
    assert effects(info.id) == 1
    assert client.get("/readyz").json["checks"]["database"]["ok"] is True
