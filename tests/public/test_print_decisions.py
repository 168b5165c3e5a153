"""Every decision step prints a review decision (审查决定书), whatever its decision field is called
and whatever bureau lane it sits in: the certification (handler lane, certify_decision), the
trading-subject review (review_decision) and the cross-region approval by the common superior
bureau (approval_decision, R9/R26), each under the deciding bureau's name with a document number.
An enterprise's own choice (signing the contract) is not a review decision."""
from __future__ import annotations

from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from tests.acceptance import trade_http
from tests.acceptance.trade_http import SHANGCHENG, XIHU

http = trade_http.http  # the fixture


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def _decision_page(client, login, username, iid, lang="zh_CN"):
    login(client, _user(username))
    return client.get(f"/documents/decisions/{iid}?lang={lang}")


def test_R26_every_decision_step_prints_with_its_bureau_and_number(client, login, http):
    seller, _ = http.enterprise(SHANGCHENG)
    buyer, unit = http.enterprise(XIHU)
    http.lot(seller, "SO2", "4.0000")
    inst = http.start(unit, seller, {"SO2": "1.5000"}, "1200.00")
    iid, key = inst["id"], inst["business_key"]
    assert _decision_page(client, login, unit, iid).status_code == 404  # nothing decided yet

    # 1. certification of the seller's surplus: the seller's county, handler lane
    http.do("h_sc", "certify", {"certify_decision": "certified", "opinion": "可交易"})
    html = _decision_page(client, login, unit, iid).get_data(as_text=True)
    assert "审查决定书" in html and f"{key}-JD01" in html
    assert "上城" in html.split('data-testid="doc-bureau"', 1)[1].split("</p>", 1)[0]
    assert 'data-testid="decision-step">可交易排污权认定<' in html
    assert 'data-testid="decision-value">予以认定<' in html and "可交易" in html

    # 2. trading-subject review (review_decision)
    http.do("r_sc", "subject_review", {"review_decision": "approved", "opinion": "主体合格"})
    html = _decision_page(client, login, unit, iid).get_data(as_text=True)
    assert f"{key}-JD02" in html and 'data-testid="decision-value">审核通过<' in html
    assert "主体合格" in html

    # 3. cross-region approval by the common superior bureau (杭州市, R9/R26)
    http.do("r_hz", "approve_cross_region", {"approval_decision": "approved",
                                             "opinion": "同意跨区"})
    html = _decision_page(client, login, unit, iid).get_data(as_text=True)
    assert f"{key}-JD03" in html and 'data-testid="decision-value">批准<' in html
    bureau = html.split('data-testid="doc-bureau">', 1)[1].split("</p>", 1)[0]
    assert bureau.startswith("杭州市") and "上城" not in bureau
    en = _decision_page(client, login, unit, iid, lang="en").get_data(as_text=True)
    assert 'data-testid="decision-value">Approve<' in en  # the form's own word, in English
    assert "Common superior bureau approves the cross-region trade" in en and "批准" not in en

    # the buyer's "my applications" offers the printout
    login(client, _user(unit))
    mine = client.get("/my/applications?lang=zh_CN").get_data(as_text=True)
    assert f"/documents/decisions/{iid}" in mine

    # R7: a bureau outside the trade's jurisdiction gets 404
    assert _decision_page(client, login, "r_ca", iid).status_code == 404


def test_an_enterprise_choice_is_no_review_decision(app):
    from app.engine.runtime import completion_detail
    from app.enterprise_portal.documents import is_bureau_decision

    signed = completion_detail({"contract_decision": "sign"}, "enterprise")
    assert signed == {"opinion": None, "decision": "sign", "decision_field": "contract_decision",
                      "lane": "enterprise"}
    assert not is_bureau_decision(signed)
    assert is_bureau_decision(completion_detail({"certify_decision": "certified"}, "handler"))
    assert is_bureau_decision({"decision": "approve", "opinion": "同意"})  # recorded before lanes
    assert not is_bureau_decision(completion_detail({"amounts": {}}, "handler"))
