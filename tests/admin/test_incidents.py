"""The incidents page: an administrator sees the failing step's error and traceback, fixes the cause
and runs the step again; other users cannot reach it."""
from __future__ import annotations

import re

from app import engine
from app.engine import hooks
from app.extensions import db
from tests.engine.conftest import deploy_fixture, engine_app, open_task  # noqa: F401


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_admin_sees_incident_and_retries_after_the_fix(
    deploy_fixture, make_user, login, client  # noqa: F811
):
    broken = {"on": True}

    def check(value):
        if broken["on"]:
            raise RuntimeError("基准价表缺少 SO2")

    hooks.register_script_function("check", check)
    deploy_fixture("simple.bpmn")
    inst = engine.start("simple", {}, actor_id=None, handling_region="330106")
    failed = engine.complete(open_task(inst, "fill").id, {"amount": "2"}, actor_id=None)
    db.session.commit()
    assert failed.status == "incident"

    admin = make_user(roles=["admin"])
    login(client, admin)
    listing = client.get("/admin/incidents")
    assert listing.status_code == 200
    assert "基准价表缺少 SO2" in listing.get_data(as_text=True)
    detail = client.get(f"/admin/incidents/{inst.id}").get_data(as_text=True)
    assert "RuntimeError" in detail  # the traceback is shown to administrators

    broken["on"] = False
    resp = client.post(f"/admin/incidents/{inst.id}/retry", data={"csrf_token": _csrf(detail)})
    assert resp.status_code == 302
    assert engine.get_instance(inst.id).status == "running"
    assert "基准价表缺少 SO2" not in client.get("/admin/incidents").get_data(as_text=True)


def test_incident_pages_are_for_administrators_only(make_user, login, client):
    reviewer = make_user(roles=["reviewer"], region_code="330106")
    login(client, reviewer)
    assert client.get("/admin/incidents").status_code == 403


def test_retry_requires_csrf_token(make_user, login, client):
    admin = make_user(roles=["admin"])
    login(client, admin)
    assert client.post("/admin/incidents/1/retry").status_code == 400


def test_incidents_api_lists_and_retries(deploy_fixture, make_user, api_token, client):  # noqa: F811
    broken = {"on": True}

    def check(value):
        if broken["on"]:
            raise RuntimeError("基准价表缺少 SO2")

    hooks.register_script_function("check", check)
    deploy_fixture("simple.bpmn")
    inst = engine.start("simple", {}, actor_id=None, handling_region="330106")
    engine.complete(open_task(inst, "fill").id, {"amount": "2"}, actor_id=None)
    db.session.commit()
    admin = api_token(make_user(roles=["admin"]))
    listing = client.get("/api/v1/admin/incidents", headers=admin).get_json()
    assert listing["total"] == 1 and listing["items"][0]["instance_id"] == inst.id
    assert listing["items"][0]["step"] == "complete"
    one = client.get(f"/api/v1/admin/incidents/{inst.id}", headers=admin).get_json()
    assert "RuntimeError" in one["traceback"]

    reviewer = api_token(make_user(roles=["reviewer"], region_code="330106"))
    assert client.post(f"/api/v1/instances/{inst.id}/retry", headers=reviewer).status_code == 403
    broken["on"] = False
    retried = client.post(f"/api/v1/instances/{inst.id}/retry", headers=admin)
    assert retried.status_code == 200 and retried.get_json()["status"] == "running"
    again = client.post(f"/api/v1/instances/{inst.id}/retry", headers=admin)
    assert again.status_code == 409
    assert client.get(f"/api/v1/admin/incidents/{inst.id}", headers=admin).status_code == 404
