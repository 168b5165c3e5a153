"""Administrators' diagram API: malformed XML and XML bombs refused with 422 and no effect on
running instances; validate, draft, deploy with a reason, versions, diff, rollback, migration."""
from __future__ import annotations

from pathlib import Path

from app import engine

ROOT = Path(__file__).resolve().parents[2]
ALLOCATION = (ROOT / "bpmn" / "allocation.bpmn").read_text(encoding="utf-8")
BOMB = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol3;</bpmn:definitions>"""


def _admin(make_user, api_token):
    return api_token(make_user(roles=["admin"]))


def _running(info):
    inst = engine.get_instance(info.id)
    return inst.version, inst.status, [t.name for t in inst.active_tasks]


def test_malformed_xml_and_xml_bomb_are_refused_without_effect(
    client, make_user, api_token, staff, start_allocation
):
    info = start_allocation(staff["handler"])
    before = _running(info)
    h = _admin(make_user, api_token)
    for url in ("/api/v1/admin/processes/allocation/deploy",
                "/api/v1/admin/processes/allocation/validate",
                "/api/v1/admin/processes/allocation/drafts"):
        for xml in ("<bpmn:definitions><unclosed>", BOMB):
            resp = client.post(url, headers=h, json={"xml": xml, "comment": "攻击"})
            assert resp.status_code == 422, (url, resp.json)
            assert resp.json["error"]["code"] == "validation_failed"
    # the raw-XML endpoint of API.md refuses the bomb too
    resp = client.post("/api/v1/processes/allocation/versions", data=BOMB,
                       headers={**h, "Content-Type": "application/xml"})
    assert resp.status_code == 422
    assert [v["version"] for v in client.get("/api/v1/admin/processes/allocation/versions",
                                             headers=h).json] == [1]
    assert _running(info) == before
    assert engine.latest_draft("allocation") is None


def test_invalid_diagram_names_the_element_and_old_version_keeps_serving(
    client, make_user, api_token, staff, start_allocation
):
    info = start_allocation(staff["handler"])
    h = _admin(make_user, api_token)
    no_form = ALLOCATION.replace(
        '<spiffworkflow:property name="formJsonSchemaFilename" '
        'value="allocation_approve.schema.json" />',
        "",
    )
    resp = client.post("/api/v1/admin/processes/allocation/deploy", headers=h,
                       json={"xml": no_form, "comment": "去掉表单"})
    assert resp.status_code == 422 and resp.json["error"]["fields"]["element_id"] == ["approve"]
    assert engine.version_list("allocation")[0].version == 1
    assert _running(info)[0] == 1


def test_deploy_needs_a_reason_and_lists_who_when_why(client, make_user, api_token, deployed):
    h = _admin(make_user, api_token)
    changed = ALLOCATION.replace('name="审批核定量"', 'name="审批核定量（新）"')
    url = "/api/v1/admin/processes/allocation/deploy"
    assert client.post(url, headers=h, json={"xml": changed}).status_code == 422
    ok = client.post("/api/v1/admin/processes/allocation/validate", headers=h,
                     json={"xml": changed})
    assert ok.status_code == 200 and ok.json["valid"] and ok.json["version"] == 2
    resp = client.post(url, headers=h, json={"xml": changed, "comment": "任务改名"})
    assert resp.status_code == 201 and resp.json == {"key": "allocation", "version": 2,
                                                     "changed": True}
    versions = client.get("/api/v1/admin/processes/allocation/versions", headers=h).json
    assert [(v["version"], v["comment"]) for v in versions][0] == (2, "任务改名")
    assert versions[0]["deployed_by"] is not None and versions[0]["running"] == 0
    diff = client.get("/api/v1/admin/processes/allocation/diff?base=1&other=2", headers=h).json
    assert diff["changed"] == ["approve"] and diff["added"] == [] and diff["removed"] == []
    back = client.post("/api/v1/admin/processes/allocation/versions/1/rollback", headers=h,
                       json={"comment": "回退"})
    assert back.status_code == 201 and back.json["version"] == 3


def test_drafts_are_saved_and_read_back(client, make_user, api_token, deployed):
    h = _admin(make_user, api_token)
    resp = client.post("/api/v1/admin/processes/allocation/drafts", headers=h,
                       json={"xml": ALLOCATION, "comment": "草稿一"})
    assert resp.status_code == 201
    latest = client.get("/api/v1/admin/processes/allocation/drafts/latest", headers=h).json
    assert latest["comment"] == "草稿一" and latest["xml"] == ALLOCATION
    assert engine.version_list("allocation")[0].version == 1  # a draft deploys nothing


def test_admin_only(client, api_token, staff, deployed):
    h = api_token(staff["handler"])
    assert client.get("/api/v1/admin/processes/allocation/versions", headers=h).status_code == 403
    assert client.post("/api/v1/admin/processes/allocation/deploy", headers=h,
                       json={"xml": ALLOCATION, "comment": "x"}).status_code == 403


def test_migration_list_and_move(client, make_user, api_token, staff, start_allocation):
    info = start_allocation(staff["handler"])  # waiting at "draft"
    h = _admin(make_user, api_token)
    changed = ALLOCATION.replace('name="审批核定量"', 'name="审批核定量（新）"')
    client.post("/api/v1/admin/processes/allocation/deploy", headers=h,
                json={"xml": changed, "comment": "任务改名"})
    items = client.get("/api/v1/admin/processes/allocation/migrations", headers=h).json["items"]
    assert [(i["instance_id"], i["compatible"]) for i in items] == [(info.id, True)]
    resp = client.post(f"/api/v1/admin/instances/{info.id}/migrate", headers=h, json={})
    assert resp.status_code == 200 and resp.json["to_version"] == 2
    assert engine.get_instance(info.id).version == 2
