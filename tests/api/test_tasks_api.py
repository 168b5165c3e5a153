"""/api/v1/tasks and /api/v1/instances over the real allocation diagram: lists, claim, complete,
jurisdiction (R7), the race (409), form validation (422), the objection window (R12)."""
from __future__ import annotations

from datetime import timedelta

from app.common import clock
from app.extensions import db


def todo(client, headers, **params):
    resp = client.get("/api/v1/tasks", headers=headers, query_string=params)
    assert resp.status_code == 200, resp.json
    return resp.json


def only_task(client, headers, name):
    items = [t for t in todo(client, headers)["items"] if t["name"] == name]
    assert len(items) == 1, items
    return items[0]


def unit_user(make_user, inst):
    """A user of the applicant unit of `inst`."""
    from app.auth.models import Enterprise

    return make_user(roles=["enterprise"],
                     enterprise=db.session.get(Enterprise, inst["data"]["enterprise_id"]))


def approve(client, staff, api_token, info):
    h = api_token(staff["handler"])
    draft = only_task(client, h, "draft")
    resp = client.post(f"/api/v1/tasks/{draft['id']}/complete", headers=h,
                       json={"data": {"amounts": {"COD": "12.5000"}, "opinion": "按许可证核定"}})
    assert resp.status_code == 200, resp.json
    a = api_token(staff["approver"])
    task = only_task(client, a, "approve")
    resp = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=a,
                       json={"data": {"decision": "approve", "opinion": "同意公示"}})
    assert resp.status_code == 200, resp.json
    return resp.json


def test_task_list_shape_and_auth(client, staff, api_token, start_allocation):
    start_allocation(staff["handler"])
    assert client.get("/api/v1/tasks").status_code == 401
    body = todo(client, api_token(staff["handler"]))
    assert set(body) == {"items", "total", "page", "per_page"} and body["total"] == 1
    task = body["items"][0]
    for key in ("id", "instance_id", "process_key", "name", "title", "role", "region_code",
                "assignee", "priority", "created_at", "due_at", "provisional", "light",
                "business_key", "summary"):
        assert key in task
    assert task["name"] == "draft" and task["role"] == "handler" and task["light"] == "none"
    assert task["created_at"].endswith("+08:00")
    bad = client.get("/api/v1/tasks", headers=api_token(staff["handler"]),
                     query_string={"view": "nope"})
    assert bad.status_code == 400


def test_get_task_has_form_and_prefill(client, staff, api_token, start_allocation):
    start_allocation(staff["handler"])
    h = api_token(staff["handler"])
    task = only_task(client, h, "draft")
    body = client.get(f"/api/v1/tasks/{task['id']}", headers=h).json
    assert body["form"]["schema"]["title"] == "拟定初始排污权核定量"
    assert body["form"]["ui"]["ui:order"][0] == "amounts"
    assert body["data"]["amounts"] == {"COD": "12.5000"}


def test_R7_other_county_cannot_list_open_claim_or_complete(client, staff, api_token,
                                                            start_allocation):
    start_allocation(staff["handler"])
    task = only_task(client, api_token(staff["handler"]), "draft")
    other = api_token(staff["other_county"])
    assert todo(client, other)["total"] == 0
    assert client.get(f"/api/v1/tasks/{task['id']}", headers=other).status_code == 404
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=other).status_code in (403, 404)
    resp = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=other,
                       json={"data": {"amounts": {"COD": "1"}}})
    assert resp.status_code in (403, 404)
    assert client.get(f"/api/v1/instances/{task['instance_id']}", headers=other).status_code == 404


def test_claim_unclaim_and_claim_conflict(client, staff, api_token, start_allocation, make_user):
    start_allocation(staff["handler"])
    h1 = api_token(staff["handler"])
    second = make_user(roles=["handler"], region_code="330106")
    h2 = api_token(second)
    task = only_task(client, h1, "draft")
    resp = client.post(f"/api/v1/tasks/{task['id']}/claim", headers=h1)
    assert resp.status_code == 200 and resp.json["assignee"] == staff["handler"].username
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=h2).status_code == 409
    assert todo(client, h2)["total"] == 0  # claimed by another: off their list
    resp = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=h2,
                       json={"data": {"amounts": {"COD": "1"}}})
    assert resp.status_code == 403
    assert client.post(f"/api/v1/tasks/{task['id']}/unclaim", headers=h2).status_code == 403
    resp = client.post(f"/api/v1/tasks/{task['id']}/unclaim", headers=h1)
    assert resp.status_code == 200 and resp.json["assignee"] is None
    assert client.post(f"/api/v1/tasks/{task['id']}/unclaim", headers=h1).status_code == 409
    # a reviewer holds no handler role: 403
    assert client.post(f"/api/v1/tasks/{task['id']}/claim",
                       headers=api_token(staff["reviewer"])).status_code == 403


def test_complete_validates_form_422_with_fields(client, staff, api_token, start_allocation):
    start_allocation(staff["handler"])
    h = api_token(staff["handler"])
    task = only_task(client, h, "draft")
    resp = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=h,
                       json={"data": {"amounts": {"COD": "12.12345"}, "window_closes_at": "x"}})
    assert resp.status_code == 422
    fields = resp.json["error"]["fields"]
    assert "window_closes_at" in fields  # nothing may overwrite the process's own variables
    resp = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=h,
                       json={"data": {"amounts": {"COD": "12.12345"}}})
    assert resp.status_code == 422
    assert resp.json["error"]["fields"] == {"amounts.COD": ["格式不正确。"]}
    resp = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=h, json={"data": {}})
    assert resp.json["error"]["fields"] == {"amounts": ["此项为必填项。"]}
    assert client.post(f"/api/v1/tasks/{task['id']}/complete", headers=h,
                       data="x").status_code == 400


def test_complete_records_opinion_and_second_completion_is_409(client, staff, api_token,
                                                               start_allocation):
    start_allocation(staff["handler"])
    h = api_token(staff["handler"])
    task = only_task(client, h, "draft")
    data = {"data": {"amounts": {"COD": "12.5000"}, "opinion": "按许可证核定"}}
    resp = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=h, json=data)
    assert resp.status_code == 200
    inst = resp.json
    assert inst["status"] == "running" and [t["name"] for t in inst["active_tasks"]] == ["approve"]
    done = [e for e in inst["history"] if e["action"] == "task_completed"]
    assert done[0]["actor"] == staff["handler"].username and done[0]["task"] == "draft"
    assert done[0]["detail"]["opinion"] == "按许可证核定"
    again = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=h, json=data)
    assert again.status_code == 409
    done_list = todo(client, h, view="done")
    assert [t["id"] for t in done_list["items"]] == [task["id"]]


def test_R12_R13_objection_deadline_and_window(client, staff, api_token, start_allocation,
                                               make_user):
    info = start_allocation(staff["handler"])
    inst = approve(client, staff, api_token, info)
    assert inst["data"]["window_closes_at"]
    unit = unit_user(make_user, inst)
    u = api_token(unit)
    outsider = api_token(staff["other_county"])
    url = f"/api/v1/instances/{inst['id']}/messages/objection"
    assert client.post(url, headers=outsider, json={"data": {"reason": "x"}}).status_code == 404
    resp = client.post(url, headers=u, json={"data": {"reason": "产能核算有误"}})
    assert resp.status_code == 202, resp.json
    r = api_token(staff["reviewer"])
    review = only_task(client, r, "review_objection")
    assert review["due_at"] and review["light"] in ("green", "yellow")
    body = client.get(f"/api/v1/instances/{inst['id']}", headers=u).json
    assert any(d["rule"] == "R13" for d in body["deadlines"])
    # a second objection is refused (R12)
    again = client.post(url, headers=u, json={"data": {"reason": "再次"}})
    assert again.status_code == 409 and again.json["error"]["rule"] == "R12"


def test_R12_objection_after_the_window_names_the_closing_time(client, staff, api_token,
                                                               start_allocation, make_user):
    info = start_allocation(staff["handler"])
    inst = approve(client, staff, api_token, info)
    unit = unit_user(make_user, inst)
    clock.set_now(clock.now() + timedelta(days=40))
    resp = client.post(f"/api/v1/instances/{inst['id']}/messages/objection",
                       headers=api_token(unit), json={"data": {"reason": "迟到"}})
    assert resp.status_code == 409
    assert resp.json["error"]["rule"] == "R12" and "24:00" in resp.json["error"]["message"]


def test_instance_shape_and_cancel(client, staff, api_token, start_allocation, make_user):
    info = start_allocation(staff["handler"])
    h = api_token(staff["handler"])
    body = client.get(f"/api/v1/instances/{info.id}", headers=h).json
    assert set(body) >= {"id", "key", "version", "status", "business_key", "data",
                         "active_tasks", "history", "deadlines"}
    assert body["history"][0]["action"] == "started"
    assert client.get("/api/v1/instances/99999", headers=h).status_code == 404
    assert client.post(f"/api/v1/instances/{info.id}/cancel", headers=h).status_code == 403
    admin = make_user(roles=["admin"])
    resp = client.post(f"/api/v1/instances/{info.id}/cancel", headers=api_token(admin))
    assert resp.status_code == 200 and resp.json["status"] == "cancelled"
    assert todo(client, h)["total"] == 0
    again = client.post(f"/api/v1/instances/{info.id}/cancel", headers=api_token(admin))
    assert again.status_code == 409
    db.session.remove()
