"""R12 refusals in the page's language: the objection page and the API answer in Chinese by
default — exactly the text they always gave — and in English on an English page or for an API
caller sending Accept-Language: en (app/errors.py)."""
from __future__ import annotations

from datetime import datetime, timedelta

from app.common import clock
from app.engine.models import ProcessInstance
from app.extensions import db
from tests.allocation.test_objection_page import _form_url, _published
from tests.inbox.test_pages import csrf

FILED_ZH = "公示期内只能申请一次复核，已受理的复核申请正在处理"
FILED_EN = ("Only one objection may be filed during the publication period; the one received is "
            "being reviewed")


def _message_url(iid: int) -> str:
    return f"/api/v1/instances/{iid}/messages/objection"


def test_R12_second_objection_api_chinese_by_default_english_on_request(
        client, staff, deployed, make_enterprise, make_user, api_token):
    iid, unit = _published(staff, make_enterprise, make_user)
    headers = api_token(unit)
    first = client.post(_message_url(iid), headers=headers, json={"data": {"reason": "第一次"}})
    assert first.status_code == 202, first.json
    again = client.post(_message_url(iid), headers=headers, json={"data": {"reason": "再次"}})
    assert again.status_code == 409
    assert again.json == {"error": {"code": "conflict", "message": FILED_ZH, "rule": "R12"}}
    english = client.post(_message_url(iid), headers={**headers, "Accept-Language": "en"},
                          json={"data": {"reason": "again"}})
    assert english.status_code == 409
    assert english.json == {"error": {"code": "conflict", "message": FILED_EN, "rule": "R12"}}


def test_R12_closed_window_names_its_closing_time_in_both_languages(
        client, staff, deployed, make_enterprise, make_user, api_token):
    iid, unit = _published(staff, make_enterprise, make_user)
    closes = datetime.fromisoformat(db.session.get(ProcessInstance, iid).summary[
        "window_closes_at"])
    clock.set_now(closes + timedelta(hours=1))
    shown = f"{clock.local(closes) - timedelta(days=1):%Y-%m-%d} 24:00"  # R6
    headers = api_token(unit)
    late = client.post(_message_url(iid), headers=headers, json={"data": {"reason": "迟到"}})
    assert late.status_code == 409
    assert late.json["error"]["message"] == f"公示期已于 {shown} 结束，不再受理复核申请"
    late = client.post(_message_url(iid), headers={**headers, "Accept-Language": "en-GB,en"},
                       json={"data": {"reason": "late"}})
    assert late.json["error"]["message"] == (
        f"The publication period ended at {shown}; objections are no longer taken")


def test_R12_objection_page_shows_the_refusal_in_the_page_language(
        client, login, staff, deployed, make_enterprise, make_user):
    iid, unit = _published(staff, make_enterprise, make_user)
    login(client, unit)
    token = csrf(client.get(_form_url(iid)).get_data(as_text=True))
    assert client.post(_form_url(iid), data={"csrf_token": token, "reason": "第一次"}
                       ).status_code == 302
    again = client.post(_form_url(iid), data={"csrf_token": token, "reason": "补充"})
    assert again.status_code == 409
    assert f"{FILED_ZH}（R12）" in again.get_data(as_text=True)
    client.get(_form_url(iid) + "?lang=en")
    again = client.post(_form_url(iid), data={"csrf_token": token, "reason": "more"})
    html = again.get_data(as_text=True)
    assert again.status_code == 409
    assert f"{FILED_EN} (R12)" in html and "只能申请一次复核" not in html
    assert ">more</textarea>" in html  # what the unit typed is kept
