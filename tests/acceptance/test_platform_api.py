"""The platform scenario driven only through HTTP (API.md): an administrator sets up people and
a unit, deploys the allocation diagram, a handler starts an allocation, tasks are claimed and
completed by different users, the unit objects inside the window (R12), the clock moves so the
review goes overdue and escalates (R13), the window closes and the allocation becomes final (R14);
a late objection is refused with the closing time (R12). Only the first administrator is made
directly, as `flask erflow create-admin` does."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.auth.credit_code import make_credit_code
from app.auth.services import create_user
from app.extensions import db

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Accept-2025!"


@pytest.fixture
def http(client, make_region_tree):
    make_region_tree()  # reference data (R7), as `flask erflow init-db` seeds it
    create_user(username="root", password=PASSWORD, roles=["admin"], display_name="管理员")
    db.session.commit()

    class Http:
        def token(self, username: str) -> dict:
            resp = client.post("/api/v1/auth/token",
                               json={"username": username, "password": PASSWORD})
            assert resp.status_code == 200, resp.json
            return {"Authorization": f"Bearer {resp.json['token']}"}

        def call(self, method: str, url: str, who: dict | None = None, expect: int = 200,
                 **kw):
            headers = {**(who or {}), **kw.pop("headers", {})}
            resp = client.open(f"/api/v1{url}", method=method, headers=headers, **kw)
            assert resp.status_code == expect, (method, url, resp.status_code, resp.get_json())
            return resp.get_json()

    return Http()


def _todo(http, who, name):
    items = http.call("GET", "/tasks", who)["items"]
    return [t for t in items if t["name"] == name]


def test_allocation_scenario_over_http(http):
    root = http.token("root")
    # the administrator sets up the unit and the bureau staff of 杭州市西湖区 (330106)
    ent = http.call("POST", "/admin/enterprises", root, expect=201, json={
        "name": "杭州验收化工有限公司", "credit_code": make_credit_code(4242),
        "region_code": "330106", "source_type": "industrial", "industry": "化工",
        "permit_no": "91330106ACC0001P", "permit_class": "key", "auto_monitoring": True,
        "grade": "B"})["id"]
    for username, roles, extra in (
        ("handler1", ["handler"], {"region_code": "330106"}),
        ("handler2", ["handler"], {"region_code": "330106"}),
        ("approver1", ["approver"], {"region_code": "330106"}),
        ("reviewer1", ["reviewer"], {"region_code": "330106"}),
        ("reviewer_gs", ["reviewer"], {"region_code": "330105"}),
        ("unit1", ["enterprise"], {"enterprise_id": ent}),
    ):
        http.call("POST", "/admin/users", root, expect=201, json={
            "username": username, "password": PASSWORD, "display_name": username,
            "roles": roles, **extra})
    h1, h2 = http.token("handler1"), http.token("handler2")
    approver, reviewer = http.token("approver1"), http.token("reviewer1")
    other, unit = http.token("reviewer_gs"), http.token("unit1")

    http.call("PUT", "/test/clock", json={"now": "2025-09-16T09:00:00+08:00"})
    xml = (ROOT / "bpmn" / "allocation.bpmn").read_bytes()
    deployed = http.call("POST", "/processes/allocation/versions", root, expect=201, data=xml,
                         headers={"Content-Type": "application/xml"})
    assert deployed["key"] == "allocation"

    inst = http.call("POST", "/processes/allocation/instances", h1, expect=201,
                     json={"data": {"enterprise_id": ent, "amounts": {"COD": "12.5",
                                                                      "SO2": "3.2"}}})
    iid = inst["id"]
    # both handlers see the draft; handler2 claims it, handler1 then cannot complete it
    draft = _todo(http, h1, "draft")[0]
    assert _todo(http, h2, "draft")[0]["id"] == draft["id"]
    http.call("POST", f"/tasks/{draft['id']}/claim", h2)
    assert _todo(http, h1, "draft") == []
    http.call("POST", f"/tasks/{draft['id']}/complete", h1, expect=403,
              json={"data": {"amounts": {"COD": "1"}}})
    http.call("POST", f"/tasks/{draft['id']}/complete", h2, expect=422,
              json={"data": {"amounts": {"COD": "abc"}}})
    http.call("POST", f"/tasks/{draft['id']}/complete", h2,
              json={"data": {"amounts": {"COD": "12.5000", "SO2": "3.2000"},
                             "opinion": "依许可证核定"}})
    http.call("POST", f"/tasks/{draft['id']}/complete", h2, expect=409,
              json={"data": {"amounts": {"COD": "12.5000"}}})

    # the approver of the same county approves; another county sees nothing (R7)
    step = _todo(http, approver, "approve")[0]
    assert http.call("GET", "/tasks", other)["total"] == 0
    http.call("GET", f"/tasks/{step['id']}", other, expect=404)
    form = http.call("GET", f"/tasks/{step['id']}", approver)["form"]
    assert form["schema"]["required"] == ["decision", "opinion"]
    inst = http.call("POST", f"/tasks/{step['id']}/complete", approver,
                     json={"data": {"decision": "approve", "opinion": "同意公示"}})
    # R6: published 9-16, day 15 is 10-01 (National Day) → closes 24:00 of the workday 10-09
    assert inst["data"]["window_closes_at"] == "2025-10-10T00:00:00+08:00"
    pubs = http.call("GET", "/public/publications")
    assert [p["instance_id"] for p in pubs["items"]] == [iid]

    # the unit objects inside the window (R12); a reviewer gets 10 working days (R13)
    http.call("POST", f"/instances/{iid}/messages/objection", unit, expect=202,
              json={"data": {"reason": "COD 核定依据的产能数据有误"}})
    review = _todo(http, reviewer, "review_objection")[0]
    # R5: from 9-17, 10 working days incl. the make-up Sunday 9-28 → 24:00 of 9-29
    assert review["due_at"] == "2025-09-30T00:00:00+08:00"
    http.call("POST", f"/tasks/{review['id']}/claim", reviewer)

    # the review goes overdue: the worker escalates it to the approver (R13), still open
    http.call("PUT", "/test/clock", json={"now": "2025-09-30T09:00:00+08:00"})
    assert http.call("POST", "/test/run-due")["fired"] >= 1
    overdue = http.call("GET", "/tasks", reviewer, query_string={"overdue": "true"})["items"]
    assert [t["light"] for t in overdue] == ["red"]
    assert _todo(http, approver, "review_objection"), "escalated review reaches the approver"
    http.call("POST", f"/tasks/{review['id']}/complete", reviewer,
              json={"data": {"decision": "uphold", "opinion": "经核实，维持原核定量"}})

    # the window has closed (R12): the allocation is final (R14); late objections are refused
    http.call("PUT", "/test/clock", json={"now": "2025-10-10T09:00:00+08:00"})
    http.call("POST", "/test/run-due")
    final = http.call("GET", f"/instances/{iid}", unit)
    assert final["status"] == "completed"
    assert final["data"]["final_amounts"] == {"COD": "12.5000", "SO2": "3.2000"}
    late = http.call("POST", f"/instances/{iid}/messages/objection", unit, expect=409,
                     json={"data": {"reason": "再议"}})
    assert late["error"]["rule"] == "R12" and "2025-10-09 24:00" in late["error"]["message"]

    history = final["history"]
    actions = [e["action"] for e in history]
    assert actions[0] == "started" and "message_received" in actions and actions[-1] == "completed"
    opinions = [(e["actor"], e["detail"].get("opinion")) for e in history
                if e["action"] == "task_completed"]
    assert opinions == [("handler2", "依许可证核定"), ("approver1", "同意公示"),
                        ("reviewer1", "经核实，维持原核定量")]
    done = http.call("GET", "/tasks", reviewer, query_string={"view": "done"})["items"]
    assert [t["name"] for t in done] == ["review_objection"]
