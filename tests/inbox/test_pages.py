"""Inbox pages: lists, claim (CSRF), the task form (server validation, input kept, 409 race),
the instance page with its diagram, starting a process."""
from __future__ import annotations

import re

from app.engine.models import HumanTask
from app.extensions import db


def csrf(page_html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page_html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def open_task(name: str) -> HumanTask:
    return db.session.query(HumanTask).filter_by(name=name, state="open").one()


def test_index_needs_login_and_renders_in_chinese_and_english(client, login, staff,
                                                             start_allocation):
    assert client.get("/inbox").status_code == 302
    start_allocation(staff["handler"])
    login(client, staff["handler"])
    html = client.get("/inbox").get_data(as_text=True)
    assert "待办" in html and "已办" in html and "我发起的" in html and "拟定核定量" in html
    assert "认领" in html
    html = client.get("/inbox?lang=en").get_data(as_text=True)
    assert "Started by me" in html and "Claim" in html
    for tab in ("done", "mine"):
        assert client.get(f"/inbox?tab={tab}").status_code == 200
    html = client.get("/inbox?tab=todo&q=zzz-nothing&overdue=1&sort=priority").get_data(
        as_text=True)
    assert "拟定核定量" not in html


def test_claim_needs_csrf_and_then_works(client, login, staff, start_allocation):
    start_allocation(staff["handler"])
    login(client, staff["handler"])
    task = open_task("draft")
    assert client.post(f"/inbox/tasks/{task.id}/claim").status_code == 400  # no CSRF token
    token = csrf(client.get("/inbox").get_data(as_text=True))
    resp = client.post(f"/inbox/tasks/{task.id}/claim", data={"csrf_token": token})
    assert resp.status_code == 302
    db.session.expire_all()
    assert open_task("draft").assignee_id == staff["handler"].id
    html = client.get("/inbox").get_data(as_text=True)
    assert "退回" in html


def test_task_form_renders_schema_with_labels_and_ui_order(client, login, staff,
                                                          start_allocation):
    start_allocation(staff["handler"])
    login(client, staff["handler"])
    html = client.get(f"/inbox/tasks/{open_task('draft').id}").get_data(as_text=True)
    assert 'for="f-amounts-COD"' in html and 'name="amounts.COD"' in html
    assert 'value="12.5000"' in html  # prefilled from the start data
    assert html.index("核定量（吨/年）") < html.index("核定依据") < html.index("经办意见")
    assert "例如 12.5000" in html  # ui:placeholder


def test_bad_submit_rerenders_with_input_kept_and_field_errors(client, login, staff,
                                                              start_allocation):
    start_allocation(staff["handler"])
    login(client, staff["handler"])
    task = open_task("draft")
    token = csrf(client.get(f"/inbox/tasks/{task.id}").get_data(as_text=True))
    resp = client.post(f"/inbox/tasks/{task.id}", data={
        "csrf_token": token, "amounts.COD": "12.123456", "basis": "许可证 ABC", "opinion": "草稿"})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'value="12.123456"' in html and "许可证 ABC" in html and "草稿" in html
    assert 'id="f-amounts-COD-error"' in html and "格式不正确" in html
    assert 'aria-invalid="true"' in html
    db.session.expire_all()
    assert open_task("draft").state == "open"


def test_submit_without_csrf_is_refused(client, login, staff, start_allocation):
    start_allocation(staff["handler"])
    login(client, staff["handler"])
    task = open_task("draft")
    resp = client.post(f"/inbox/tasks/{task.id}", data={"amounts.COD": "1"})
    assert resp.status_code == 400


def test_good_submit_completes_and_records_opinion(client, login, staff, start_allocation):
    info = start_allocation(staff["handler"])
    login(client, staff["handler"])
    task = open_task("draft")
    token = csrf(client.get(f"/inbox/tasks/{task.id}").get_data(as_text=True))
    resp = client.post(f"/inbox/tasks/{task.id}", data={
        "csrf_token": token, "amounts.COD": "12.5", "amounts.SO2": "", "opinion": "按许可证核定"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert open_task("approve")
    html = client.get(f"/inbox/instances/{info.id}").get_data(as_text=True)
    assert "按许可证核定" in html and "办理过程" in html


def test_409_race_shows_already_handled(client, app, login, staff, start_allocation, make_user):
    start_allocation(staff["handler"])
    rival = make_user(roles=["handler"], region_code="330106")
    login(client, staff["handler"])
    task = open_task("draft")
    token = csrf(client.get(f"/inbox/tasks/{task.id}").get_data(as_text=True))
    other = app.test_client()
    login(other, rival)
    token2 = csrf(other.get(f"/inbox/tasks/{task.id}").get_data(as_text=True))
    assert other.post(f"/inbox/tasks/{task.id}", data={
        "csrf_token": token2, "amounts.COD": "3"}).status_code == 302
    resp = client.post(f"/inbox/tasks/{task.id}", data={"csrf_token": token, "amounts.COD": "4"})
    assert resp.status_code == 409
    assert "该任务已被他人处理" in resp.get_data(as_text=True)


def test_R7_other_county_gets_404_on_task_and_instance_pages(client, login, staff,
                                                            start_allocation):
    info = start_allocation(staff["handler"])
    login(client, staff["other_county"])
    assert client.get(f"/inbox/tasks/{open_task('draft').id}").status_code == 404
    assert client.get(f"/inbox/instances/{info.id}").status_code == 404
    assert client.get(f"/inbox/instances/{info.id}/diagram").status_code == 404


def test_instance_page_carries_diagram_state(client, login, staff, start_allocation):
    info = start_allocation(staff["handler"])
    login(client, staff["handler"])
    html = client.get(f"/inbox/instances/{info.id}").get_data(as_text=True)
    assert "data-bpmn-viewer" in html and "bpmn-navigated-viewer.production.min.js" in html
    assert "&#34;draft&#34;" in html  # active step id passed as a data attribute
    assert "<script>" not in html  # CSP: no inline scripts
    state = client.get(f"/inbox/instances/{info.id}/diagram").json
    assert "draft" in state["active"] and "start" in state["completed"]
    xml = client.get(f"/inbox/instances/{info.id}/bpmn")
    assert xml.mimetype == "application/xml" and b"<bpmn:process" in xml.data


def test_start_pages(client, login, staff, deployed, make_enterprise):
    ent = make_enterprise(region_code="330106")
    login(client, staff["handler"])
    html = client.get("/inbox/start").get_data(as_text=True)
    assert "初始排污权核定" in html
    page = client.get("/inbox/start/allocation").get_data(as_text=True)
    token = csrf(page)
    bad = client.post("/inbox/start/allocation", data={"csrf_token": token,
                                                       "enterprise_id": "x1", "amounts.COD": "2"})
    assert bad.status_code == 422
    assert 'id="f-enterprise_id-error"' in bad.get_data(as_text=True)
    ok = client.post("/inbox/start/allocation", data={
        "csrf_token": token, "enterprise_id": str(ent.id), "amounts.COD": "2"})
    assert ok.status_code == 302 and "/inbox/instances/" in ok.headers["Location"]
    login(client, staff["reviewer"])
    assert client.get("/inbox/start/allocation").status_code == 403
