"""The one error handler (app/errors.py): a domain error keeps its Chinese text as written and is
shown in the request's language; HTTP and CSRF errors read in the page's language, while the API
keeps Werkzeug's text; API callers choose English with Accept-Language or ?lang=en."""
from __future__ import annotations

import pytest
from flask_babel import lazy_gettext as _l

from app.errors import RuleViolation, ValidationFailed, joined, source_text

CLOSED = "公示期已于 %(closes)s 结束，不再受理复核申请"  # one of app/allocation's messages
CLOSED_ZH = "公示期已于 2026-03-31 24:00 结束，不再受理复核申请"
CLOSED_EN = "The publication period ended at 2026-03-31 24:00; objections are no longer taken"


def _refusal() -> RuleViolation:
    return RuleViolation("R12", _l(CLOSED, closes="2026-03-31 24:00"), status=409)


@pytest.fixture
def boom(app):
    """Pages that raise a rule refusal and a field error (the app has served nothing yet)."""

    def refuse():
        raise _refusal()

    def invalid():
        raise ValidationFailed(_l("附件过大"), fields={"file": [_l("单个附件不得超过 %(mb)s MB",
                                                                  mb=10)]})

    app.add_url_rule("/boom", "boom", refuse)
    app.add_url_rule("/api/v1/boom", "api_boom", refuse)
    app.add_url_rule("/api/v1/invalid", "api_invalid", invalid)
    return app


def test_message_and_str_stay_the_chinese_text_as_written(app):
    err = _refusal()
    assert err.message == str(err) == CLOSED_ZH
    assert err.localized() == CLOSED_ZH  # no request: the default language
    nested = _l("%(where)s：%(reason)s", where="a.bpmn", reason=_l(CLOSED, closes="x"))
    assert source_text(nested) == "a.bpmn：公示期已于 x 结束，不再受理复核申请"
    assert source_text("plain") == "plain"


def test_a_joined_list_reads_with_the_language_s_separator(app):
    items = joined([_l("附件为空"), "COD"])
    err = ValidationFailed(_l("参数值无效：%(value)s", value=items))
    assert err.message == "参数值无效：附件为空、COD"
    with app.test_request_context("/x?lang=en"):
        assert err.localized() == "Invalid value: The file is empty, COD"


def test_R12_refusal_page_in_chinese_by_default_and_in_english_on_request(client, boom):
    page = client.get("/boom")
    assert page.status_code == 409
    html = page.get_data(as_text=True)
    assert CLOSED_ZH in html and "操作冲突" in html and "R12" in html
    html = client.get("/boom?lang=en").get_data(as_text=True)
    assert CLOSED_EN in html and "Conflict" in html and "公示期" not in html


def test_R12_api_answers_chinese_unless_the_caller_asks_for_english(client, boom):
    plain = client.get("/api/v1/boom")
    assert plain.status_code == 409
    assert plain.json == {"error": {"code": "rule_violation", "message": CLOSED_ZH, "rule": "R12"}}
    english = client.get("/api/v1/boom", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert english.json["error"] == {"code": "rule_violation", "message": CLOSED_EN,
                                     "rule": "R12"}
    assert client.get("/api/v1/boom?lang=en").json["error"]["message"] == CLOSED_EN
    chinese = client.get("/api/v1/boom", headers={"Accept-Language": "zh-CN,en;q=0.5"})
    assert chinese.json["error"]["message"] == CLOSED_ZH
    # a page session's language is not an API caller's preference
    client.get("/login?lang=en")
    assert client.get("/api/v1/boom").json["error"]["message"] == CLOSED_ZH


def test_field_messages_follow_the_language_too(client, boom):
    body = client.get("/api/v1/invalid").json["error"]
    assert body["message"] == "附件过大" and body["fields"] == {"file": ["单个附件不得超过 10 MB"]}
    body = client.get("/api/v1/invalid", headers={"Accept-Language": "en"}).json["error"]
    assert body["message"] == "The file is too large"
    assert body["fields"] == {"file": ["A file may not exceed 10 MB"]}


def test_http_errors_read_in_the_page_language(client):
    html = client.get("/no-such-page").get_data(as_text=True)
    assert "404 未找到" in html and "您访问的页面不存在。" in html and "requested URL" not in html
    html = client.get("/no-such-page?lang=en").get_data(as_text=True)
    assert "404 Not found" in html and "The page you asked for does not exist." in html


def test_csrf_refusal_reads_in_the_page_language(client):
    resp = client.post("/login", data={"username": "x", "password": "y"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "表单已过期或并非从本站提交" in html and "CSRF" not in html
    client.get("/login?lang=en")
    html = client.post("/login", data={"username": "x", "password": "y"}).get_data(as_text=True)
    assert "The form has expired or did not come from this site" in html


def test_api_http_errors_keep_werkzeug_text(client):
    body = client.get("/api/v1/no-such-thing").json["error"]
    assert body["code"] == "not_found" and body["message"].startswith("The requested URL")
