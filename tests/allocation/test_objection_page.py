"""The unit's objection web form (申请复核, R12–R14): offered on "my applications" while the
allocation is under publication, delivered as the `objection` message through the same service as
the API, refused after the window (R12, with its closing time) or a second time, keeping what the
unit typed; CSRF, labels and help on the form."""
from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from app.common import clock
from app.engine.models import AuditEvent, HumanTask, ProcessInstance
from app.extensions import db
from app.inbox import services
from tests.inbox.test_form_help import _parse
from tests.inbox.test_pages import csrf

PDF = b"%PDF-1.4\n% evidence\n"


def _open(instance_id: int, name: str) -> HumanTask:
    return db.session.scalar(select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.name == name, HumanTask.state == "open"))


def _published(staff, make_enterprise, make_user):
    """An allocation of a county-A unit, drafted, approved and published; the unit's user."""
    ent = make_enterprise(region_code="330106")
    info = services.start(user=staff["handler"], key="allocation",
                          data={"enterprise_id": ent.id, "amounts": {"COD": "12.5"}})
    services.complete(user=staff["handler"], task_id=_open(info.id, "draft").id,
                      data={"amounts": {"COD": "12.5000"}, "basis": "许可证"})
    services.complete(user=staff["approver"], task_id=_open(info.id, "approve").id,
                      data={"decision": "approve", "opinion": "同意公示"})
    db.session.commit()
    return info.id, make_user(roles=["enterprise"], enterprise=ent)


def _form_url(iid: int) -> str:
    return f"/allocation/instances/{iid}/objection"


def test_R12_objection_through_the_web_form_reaches_the_review(client, login, staff, deployed,
                                                               make_enterprise, make_user):
    iid, unit = _published(staff, make_enterprise, make_user)
    login(client, unit)
    mine = client.get("/my/applications").get_data(as_text=True)
    assert 'data-testid="objection-button"' in mine and "提出异议" in mine
    assert _form_url(iid) in mine
    page = client.get(_form_url(iid)).get_data(as_text=True)
    form = _parse(page)
    controls = {c["name"]: c for c in form.controls if c.get("name") != "csrf_token"}
    assert set(controls) == {"reason", "files"}
    for control in controls.values():
        assert control["id"] in form.labels
        assert f"{control['id']}-help" in control.get("aria-describedby", "").split()
    assert "10 MB" in form.text_by_id["f-files-help"] and "pdf" in form.text_by_id["f-files-help"]
    resp = client.post(_form_url(iid), data={
        "csrf_token": csrf(page), "reason": "实际产能已按环评批复扩大，请复核 COD 核定量",
        "files": (io.BytesIO(PDF), "监测报告.pdf")},
        content_type="multipart/form-data")
    assert resp.status_code == 302 and "/my/applications" in resp.headers["Location"]
    inst = db.session.get(ProcessInstance, iid)
    db.session.refresh(inst)
    objection = inst.summary["objection"]
    assert objection["reason"].startswith("实际产能") and objection["due_at"]
    assert [a["filename"] for a in objection["attachments"]] == ["监测报告.pdf"]
    review = _open(iid, "review_objection")
    assert review is not None and review.role == "reviewer"
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.instance_id == iid, AuditEvent.action == "message_received"))
    assert event.actor_id == unit.id  # delivered as the unit, as the API does
    login(client, staff["reviewer"])
    inbox = client.get("/inbox").get_data(as_text=True)
    assert f"/inbox/tasks/{review.id}" in inbox
    login(client, unit)
    mine = client.get("/my/applications").get_data(as_text=True)
    assert 'data-testid="objection-button"' not in mine
    assert 'data-testid="objection-filed"' in mine


def test_R12_second_objection_is_refused_with_a_clear_message(client, login, staff, deployed,
                                                              make_enterprise, make_user):
    iid, unit = _published(staff, make_enterprise, make_user)
    login(client, unit)
    token = csrf(client.get(_form_url(iid)).get_data(as_text=True))
    assert client.post(_form_url(iid), data={"csrf_token": token, "reason": "第一次"}
                       ).status_code == 302
    page = client.get(_form_url(iid)).get_data(as_text=True)
    assert "只能申请一次复核" in page and 'id="objection-form"' not in page
    again = client.post(_form_url(iid), data={"csrf_token": token, "reason": "再补充一点理由"})
    html = again.get_data(as_text=True)
    assert again.status_code == 409
    assert "只能申请一次复核" in html and "（R12）" in html
    assert "再补充一点理由" in html  # the typed text is kept
    reasons = [e.detail["payload"]["reason"] for e in db.session.scalars(select(AuditEvent).where(
        AuditEvent.instance_id == iid, AuditEvent.action == "message_received"))]
    assert reasons == ["第一次"]


def test_R12_after_the_window_the_button_is_gone_and_a_post_keeps_the_reason(
        client, login, staff, deployed, make_enterprise, make_user):
    iid, unit = _published(staff, make_enterprise, make_user)
    login(client, unit)
    token = csrf(client.get(_form_url(iid)).get_data(as_text=True))
    closes = datetime.fromisoformat(db.session.get(ProcessInstance, iid).summary[
        "window_closes_at"])
    clock.set_now(closes + timedelta(hours=1))  # the worker has not run yet: the engine decides
    mine = client.get("/my/applications").get_data(as_text=True)
    assert 'data-testid="objection-button"' not in mine
    page = client.get(_form_url(iid)).get_data(as_text=True)
    assert "公示期已于" in page and 'id="objection-form"' not in page
    resp = client.post(_form_url(iid), data={"csrf_token": token, "reason": "迟到的复核理由"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409
    shown = clock.local(closes)
    assert "公示期已于" in html and "不再受理复核申请（R12）" in html
    assert f"{shown - timedelta(days=1):%Y-%m-%d} 24:00" in html  # the closing time (R6)
    assert ">迟到的复核理由</textarea>" in html
    assert db.session.get(ProcessInstance, iid).summary.get("objection") is None


def test_objection_needs_a_reason_and_refuses_bad_files(client, login, staff, deployed,
                                                       make_enterprise, make_user, app):
    iid, unit = _published(staff, make_enterprise, make_user)
    login(client, unit)
    token = csrf(client.get(_form_url(iid)).get_data(as_text=True))
    empty = client.post(_form_url(iid), data={"csrf_token": token, "reason": "  "})
    html = empty.get_data(as_text=True)
    assert empty.status_code == 422 and 'id="f-reason-error"' in html
    assert 'aria-describedby="f-reason-help f-reason-error"' in html
    bad = client.post(_form_url(iid), data={
        "csrf_token": token, "reason": "附上说明", "files": (io.BytesIO(b"MZ\x90"), "tool.exe")},
        content_type="multipart/form-data")
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'id="f-files-error"' in html and "附上说明" in html
    fake = client.post(_form_url(iid), data={
        "csrf_token": token, "reason": "附上说明", "files": (io.BytesIO(b"not a pdf"), "a.pdf")},
        content_type="multipart/form-data")
    assert fake.status_code == 422  # content checked, not only the name
    inst = db.session.get(ProcessInstance, iid)
    assert inst.summary.get("objection") is None
    folder = Path(app.config["ERFLOW_UPLOAD_DIR"]) / str(iid)
    assert not folder.exists() or not any(folder.iterdir())  # nothing of a refused one kept


def test_objection_form_demands_csrf_and_is_only_the_units_own(client, login, staff, deployed,
                                                               make_enterprise, make_user):
    iid, unit = _published(staff, make_enterprise, make_user)
    login(client, unit)
    resp = client.post(_form_url(iid), data={"reason": "没有令牌"})
    assert resp.status_code == 400
    assert db.session.get(ProcessInstance, iid).summary.get("objection") is None
    login(client, make_user(roles=["enterprise"]))
    assert client.get(_form_url(iid)).status_code == 404
    login(client, staff["handler"])
    assert client.get(_form_url(iid)).status_code == 403  # a page for the unit itself


def test_objection_page_in_english(client, login, staff, deployed, make_enterprise, make_user):
    iid, unit = _published(staff, make_enterprise, make_user)
    login(client, unit)
    html = client.get(_form_url(iid) + "?lang=en").get_data(as_text=True)
    assert "Reasons for the objection" in html and "Submit the objection" in html
    html = client.get(_form_url(iid) + "?lang=zh_CN").get_data(as_text=True)
    assert "申请复核的理由" in html and "提交复核申请" in html
