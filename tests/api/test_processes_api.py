"""/api/v1/processes: versions, XML, deploying (admin, 422 with line, key must match), starting."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# the tiny fixture diagram with its user tasks on a form forms/ holds (every user task needs one)
SIMPLE = re.sub(r'value="[a-z]+\.schema\.json"', 'value="allocation_review.schema.json"',
                (ROOT / "tests" / "fixtures" / "bpmn" / "simple.bpmn").read_text(encoding="utf-8"))
XML = {"Content-Type": "application/xml"}


def test_list_versions_and_xml(client, staff, api_token, deployed):
    h = api_token(staff["handler"])
    assert client.get("/api/v1/processes").status_code == 401
    procs = client.get("/api/v1/processes", headers=h).json
    alloc = next(p for p in procs if p["key"] == "allocation")
    assert set(alloc) == {"key", "name", "version", "deployed_at"} and alloc["version"] == 1
    versions = client.get("/api/v1/processes/allocation/versions", headers=h).json
    assert [v["version"] for v in versions] == [1]
    resp = client.get("/api/v1/processes/allocation/versions/1/bpmn", headers=h)
    assert resp.status_code == 200 and resp.mimetype == "application/xml"
    assert b'id="allocation"' in resp.data
    assert client.get("/api/v1/processes/allocation/versions/9/bpmn", headers=h).status_code == 404
    assert client.get("/api/v1/processes/nope/versions", headers=h).status_code == 404


def test_deploy_new_version_admin_only(client, staff, api_token, make_user, deployed):
    admin = api_token(make_user(roles=["admin"]))
    h = api_token(staff["handler"])
    url = "/api/v1/processes/simple/versions"
    assert client.post(url, headers={**h, **XML}, data=SIMPLE).status_code == 403
    resp = client.post(url, headers={**admin, **XML}, data=SIMPLE)
    assert resp.status_code == 201 and resp.json == {"key": "simple", "version": 1,
                                                     "changed": True}
    changed = SIMPLE.replace("简单流程", "简单流程二")
    assert client.post(url, headers={**admin, **XML}, data=changed).json["version"] == 2
    same = client.post(url, headers={**admin, **XML}, data=changed)
    assert same.status_code == 200 and same.json["version"] == 2
    assert client.post(url, headers={**admin, "Content-Type": "application/json"},
                       data=SIMPLE).status_code == 415


def test_deploy_invalid_xml_is_422_with_line_and_old_version_keeps_running(
        client, staff, api_token, make_user, deployed):
    admin = api_token(make_user(roles=["admin"]))
    url = "/api/v1/processes/allocation/versions"
    broken = "<?xml version='1.0'?>\n<bpmn:definitions>\n  <oops>\n</bpmn:definitions>"
    resp = client.post(url, headers={**admin, **XML}, data=broken)
    assert resp.status_code == 422
    assert resp.json["error"]["fields"]["line"]
    versions = client.get("/api/v1/processes/allocation/versions", headers=admin).json
    assert [v["version"] for v in versions] == [1]


def test_deploy_key_must_match_the_process_id(client, make_user, api_token, deployed):
    admin = api_token(make_user(roles=["admin"]))
    resp = client.post("/api/v1/processes/other/versions", headers={**admin, **XML}, data=SIMPLE)
    assert resp.status_code == 422 and "key" in resp.json["error"]["fields"]
    assert client.get("/api/v1/processes/simple/versions", headers=admin).status_code == 404


def test_deploy_size_limit(client, make_user, api_token, deployed):
    admin = api_token(make_user(roles=["admin"]))
    huge = SIMPLE + "<!--" + "x" * (3 * 1024 * 1024) + "-->"
    resp = client.post("/api/v1/processes/simple/versions", headers={**admin, **XML}, data=huge)
    assert resp.status_code == 413


def test_start_instance_roles_and_validation(client, staff, api_token, make_enterprise, make_user,
                                             deployed):
    ent = make_enterprise(region_code="330106")
    url = "/api/v1/processes/allocation/instances"
    body = {"data": {"enterprise_id": ent.id, "amounts": {"COD": "12.5", "SO2": "3.2"}}}
    assert client.post(url, headers=api_token(staff["reviewer"]), json=body).status_code == 403
    unit = make_user(roles=["enterprise"], enterprise=ent)
    assert client.post(url, headers=api_token(unit), json=body).status_code == 403
    bad = client.post(url, headers=api_token(staff["handler"]),
                      json={"data": {"enterprise_id": ent.id, "amounts": {"XX": "1"}}})
    assert bad.status_code == 422 and "amounts.XX" in bad.json["error"]["fields"]
    resp = client.post(url, headers=api_token(staff["handler"]), json=body)
    assert resp.status_code == 201, resp.json
    inst = resp.json
    assert inst["key"] == "allocation" and inst["status"] == "running"
    assert inst["data"]["amounts"] == {"COD": "12.5000", "SO2": "3.2000"}
    assert [t["name"] for t in inst["active_tasks"]] == ["draft"]
    assert client.post("/api/v1/processes/nope/instances", headers=api_token(staff["handler"]),
                       json=body).status_code == 404


def test_R7_a_handler_cannot_start_work_of_another_county(client, staff, api_token,
                                                         make_enterprise, deployed):
    ent = make_enterprise(region_code="330106")
    resp = client.post("/api/v1/processes/allocation/instances",
                       headers=api_token(staff["other_county"]),
                       json={"data": {"enterprise_id": ent.id, "amounts": {"COD": "1"}}})
    assert resp.status_code == 403
    from app.engine.models import ProcessInstance
    from app.extensions import db

    assert db.session.query(ProcessInstance).count() == 0
