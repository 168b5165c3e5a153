"""The selling unit of a surplus transfer hears of the decisions about its surplus, over HTTP: the
certification of the tradable amount (R19), the bidding result (R20), the settlement with its
certificate (R24) and a trade ended because the rights went to a trade that settled first (R37) —
not of the steps about the buyer (its subject review, its deposit). Each notice leads to "my
trades" (/my/trades), where the trade shows where it stands."""
from __future__ import annotations

import html
import re

from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.notifications.models import Notification
from tests.acceptance import trade_http
from tests.acceptance.trade_http import XIHU

http = trade_http.http  # the fixture


def _notices(username: str) -> list[tuple[str, str]]:
    """(title, link) of the user's decision notices, oldest first."""
    user = db.session.scalar(select(User).where(User.username == username))
    return [(n.title, n.link) for n in db.session.scalars(
        select(Notification).where(Notification.user_id == user.id,
                                   Notification.kind == "decision").order_by(Notification.id))]


def _page(app, login, username: str):
    user = db.session.scalar(select(User).where(User.username == username))
    return login(app.test_client(), user)


def _sale_card(page, iid: int) -> str:
    text = html.unescape(page.get("/my/trades").get_data(as_text=True))
    found = re.search(rf'id="sale-{iid}".*?</article>', text, re.S)
    assert found, f"trade {iid} not on the seller's page"
    return found.group(0)


def test_R19_R20_R24_seller_notified_of_certification_bidding_result_and_certificate(
        http, app, login):
    seller, unit_s = http.enterprise(XIHU)
    _, unit_a = http.enterprise(XIHU)
    _, unit_b = http.enterprise(XIHU)
    http.lot(seller, "COD", "3.0000")
    iid = http.start(unit_a, seller, {"COD": "1.0000"}, "4500.00", method="auction")["id"]
    number = http.call("GET", f"/instances/{iid}", unit_a)["business_key"]
    assert _notices(unit_s) == []

    http.do("h_xihu", "certify", {"certify_decision": "certified", "opinion": "可交易"}, iid=iid)
    link = f"/my/trades#sale-{iid}"
    assert _notices(unit_s) == [(f"可交易排污权认定（{number}）", link)]
    page = _page(app, login, unit_s)
    bell = html.unescape(page.get("/notifications").get_data(as_text=True))
    assert f"可交易排污权认定（{number}）" in bell
    card = _sale_card(page, iid)  # where the notice leads: the trade and its next step
    assert number in card and "COD 1.0000" in card and "交易主体审核" in card
    # the applicant hears of it as before
    assert [t for t, _ in _notices(unit_a)] == [f"可交易排污权认定（{number}）"]

    # the buyer's own steps are not the seller's business
    http.do("r_xihu", "subject_review", {"review_decision": "approved", "opinion": "符合"},
            iid=iid)
    http.do("h_xihu", "confirm_deposit", {"deposit_reference": "BZJ-S"}, iid=iid)
    assert len(_notices(unit_s)) == 1
    assert "竞价中" in _sale_card(page, iid)

    http.call("POST", f"/trades/{iid}/bids", unit_b, expect=201,
              json={"price_per_tonne": "4600.00"})
    http.clock("2026-03-10T00:00:00+08:00")
    assert http.run_due() == 1
    http.do("h_xihu", "confirm_bidding", {"opinion": "竞价有效"}, iid=iid)
    assert _notices(unit_s)[-1] == (f"确认竞价结果（{number}）", link)

    http.do(unit_b, "sign_contract", {"contract_decision": "sign"}, iid=iid)
    assert len(_notices(unit_s)) == 2
    http.do("h_xihu", "confirm_settlement", {"settlement_reference": "JS-S"}, iid=iid)
    assert _notices(unit_s)[-1] == (f"确认资金结算（{number}）", link)
    certificate = http.call("GET", f"/instances/{iid}", unit_b)["data"]["certificate"]
    assert f"已结算，已出具排污权电子凭证 {certificate}" in _sale_card(page, iid)
    assert page.get(f"/trading/trades/{iid}/certificate").status_code == 200


def test_R37_seller_notified_when_its_rights_went_to_a_trade_that_settled_first(http, app,
                                                                                login):
    seller, unit_s = http.enterprise(XIHU)
    http.lot(seller, "COD", "1.0000")
    trades = []
    for _ in range(2):  # both started while the tonne was there
        _, unit = http.enterprise(XIHU)
        iid = http.start(unit, seller, {"COD": "1.0000"}, "4500.00")["id"]
        http.do("h_xihu", "certify", {"certify_decision": "certified", "opinion": "可交易"},
                iid=iid)
        http.do("r_xihu", "subject_review", {"review_decision": "approved", "opinion": "符合"},
                iid=iid)
        http.do("h_xihu", "confirm_deposit", {"deposit_reference": f"BZJ-{iid}"}, iid=iid)
        http.do(unit, "sign_contract", {"contract_decision": "sign"}, iid=iid)
        trades.append(iid)
    first, second = trades
    http.do("h_xihu", "confirm_settlement", {"settlement_reference": "JS-1"}, iid=first)
    http.do("h_xihu", "confirm_settlement", {"settlement_reference": "JS-2"}, iid=second,
            expect=409)

    ended = [(t, link) for t, link in _notices(unit_s) if t.startswith("排污权交易已终止")]
    assert len(ended) == 1 and ended[0][1] == f"/my/trades#sale-{second}"
    assert "卖方排污权已不可交易" in ended[0][0]
    card = _sale_card(_page(app, login, unit_s), second)
    assert "卖方排污权已不可交易" in card and "交易终止" in card
