"""The start list offers only processes people start: one with a start form or a role in
START_ROLES. A call activity's process (cross_region_approval, R26/R32) is started by trades and
leases, so it is neither listed nor startable from the web with a raw JSON textarea."""
from __future__ import annotations

from app import engine
from app.extensions import db
from app.inbox import services

CALLED_ONLY = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="called_only" name="仅被调用的子流程" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>f1</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_R26_cross_region_approval_is_not_offered_as_a_start(client, login, staff, deployed):
    keys = {p.key for p in services.startable_processes(user=staff["handler"])}
    assert "allocation" in keys and "recovery" in keys
    assert "cross_region_approval" not in keys
    login(client, staff["handler"])
    html = client.get("/inbox/start").get_data(as_text=True)
    assert "初始排污权核定" in html
    assert "跨区域交易审批" not in html and "cross_region_approval" not in html
    assert client.get("/inbox/start/cross_region_approval").status_code == 403
    assert "Start data (JSON)" not in client.get("/inbox/start?lang=en").get_data(as_text=True)


def test_R26_cross_region_approval_cannot_be_started_through_the_api(client, staff, deployed,
                                                                     api_token):
    """Only a trade or a lease calls it; a hand-made approval would have no trade behind it."""
    for user in staff.values():
        headers = api_token(user)
        res = client.post("/api/v1/processes/cross_region_approval/instances",
                          json={"data": {}}, headers=headers)
        assert res.status_code == 403, (user.username, res.status_code)


def test_any_process_without_start_form_or_start_role_is_not_offered(staff, deployed):
    """The rule is general (a new call activity such as a mediation needs no name list)."""
    engine.deploy({"called_only.bpmn": CALLED_ONLY}, actor_id=staff["handler"].id)
    db.session.commit()
    for user in staff.values():
        assert "called_only" not in {p.key for p in services.startable_processes(user=user)}
