"""The transfer methods over HTTP (R20, R27a, R38): a listing sells at the listed price to its one
intended buyer or is bid up by several; a call auction's bids stay sealed until the close; a unit's
surplus transfer by auction runs the same public bidding as a reserve sale; open sales are
announced on the public portal without personal data. The auction itself: test_trade_bidding.py."""
from __future__ import annotations

import json

from app.ledger import services as ledger
from tests.acceptance import trade_http
from tests.acceptance.trade_http import CHANGAN, XIHU, open_reserve_sale

http = trade_http.http  # the fixture


def _bid(h, who, iid, price=None, expect=201, **extra):
    body = {**({"price_per_tonne": price} if price is not None else {}), **extra}
    return h.call("POST", f"/trades/{iid}/bids", who, expect=expect, json=body)


def _board(h, who, iid, expect=200):
    return h.call("GET", f"/trades/{iid}/bids", who, expect=expect)


def _close(h, iid, at="2026-03-10T00:00:00+08:00"):
    h.clock(at)
    assert h.run_due() == 1


def _deposits(h, iid):
    return {x["enterprise_id"]: x["deposit"]["status"]
            for x in _board(h, "h_xihu", iid)["items"]}


def test_R20_listing_single_buyer_pays_listed_price(http):
    a, unit_a = http.enterprise(XIHU)
    _, unit_b = http.enterprise(XIHU)
    iid = open_reserve_sale(http, unit_a, "listing", "4500.00")
    board = _board(http, unit_a, iid)
    assert (board["method"], board["phase"], board["sealed"]) == ("listing", "open", False)
    assert board["min_next_price"] == "4500.00" and board["bids_count"] == 1
    # R20: during the listing period units register at the listed price, not another
    err = _bid(http, unit_b, iid, "4600.00", expect=422)["error"]
    assert err["rule"] == "R20" and "4500.00" in err["message"]
    assert _bid(http, unit_a, iid, "4500.00", expect=409)["error"]["rule"] == "R20"  # applied

    _close(http, iid)
    data = http.call("GET", f"/instances/{iid}", unit_a)["data"]
    assert data["bidding_phase"] == "closed" and data["bid_up_closes_at"] is None
    assert http.active(iid) == ["confirm_bidding"]  # one intended buyer: no bid-up
    http.do("h_xihu", "confirm_bidding", {"opinion": "挂牌期满仅一个意向受让方"}, iid=iid)
    data = http.call("GET", f"/instances/{iid}", unit_a)["data"]
    assert data["buyer_id"] == a and data["winning_price"] == "4500.00"
    assert data["price_per_tonne"] == data["listed_price"] == "4500.00"
    http.do(unit_a, "sign_contract", {"contract_decision": "sign"}, iid=iid)
    http.do("h_xihu", "confirm_settlement", {"settlement_reference": "JS-L1"}, iid=iid)
    data = http.call("GET", f"/instances/{iid}", unit_a)["data"]
    cert = http.call("GET", f"/public/certificates/{data['certificate']}")
    assert cert["method"] == "listing" and cert["price_per_tonne"] == "4500.00"
    assert data["deposit"]["status"] == "applied"


def test_R20_R27a_listing_several_intended_buyers_bid_it_up_highest_wins(http):
    a, unit_a = http.enterprise(XIHU)
    b, unit_b = http.enterprise(XIHU)
    c, unit_c = http.enterprise(XIHU)
    _, unit_d = http.enterprise(XIHU)
    iid = open_reserve_sale(http, unit_a, "listing", "4500.00")
    mine = _bid(http, unit_b, iid, project_name="B厂项目")  # no price: the listed price
    assert mine["price_per_tonne"] == "4500.00" and mine["deposit"]["amount"] == "1350.00"
    assert _bid(http, unit_b, iid, expect=409)["error"]["rule"] == "R20"  # registered once
    http.clock("2026-03-03T10:00:00+08:00")
    _bid(http, unit_c, iid, "4500.00")
    assert _bid(http, unit_c, iid, "4600.00", expect=409)["error"]["rule"] == "R20"

    # listing period over with three intended buyers: they bid it up for 1 working day (R5)
    _close(http, iid)
    assert http.active(iid) == []
    data = http.call("GET", f"/instances/{iid}", unit_a)["data"]
    assert data["bidding_phase"] == "bid_up"
    assert data["bid_up_closes_at"] == "2026-03-12T00:00:00+08:00"  # 24:00 Wed 03-11
    board = _board(http, unit_b, iid)
    assert (board["phase"], board["min_next_price"]) == ("bid_up", "4600.00")
    assert board["closes_at"] == "2026-03-12T00:00:00+08:00"
    err = _bid(http, unit_d, iid, "5000.00", expect=409)["error"]  # did not register in time
    assert err["rule"] == "R20" and "意向受让方" in err["message"]
    assert _bid(http, unit_a, iid, "4600.00", expect=409)["error"]["rule"] == "R20"  # best
    err = _bid(http, unit_b, iid, "4550.00", expect=422)["error"]
    assert err["rule"] == "R20" and "4600.00" in err["message"]
    _bid(http, unit_b, iid, "4600.00")
    _bid(http, unit_c, iid, "4700.00")
    _bid(http, unit_b, iid, "4800.00")
    assert _board(http, unit_c, iid)["best_price"] == "4800.00"

    http.clock("2026-03-11T23:59:00+08:00")
    assert http.run_due() == 0
    _close(http, iid, "2026-03-12T00:00:00+08:00")
    assert _bid(http, unit_c, iid, "9000.00", expect=409)["error"]["rule"] == "R20"
    assert http.active(iid) == ["confirm_bidding"]
    http.do("h_xihu", "confirm_bidding", {}, iid=iid)
    data = http.call("GET", f"/instances/{iid}", unit_b)["data"]
    assert data["buyer_id"] == b and data["winning_price"] == "4800.00"
    assert data["listed_price"] == "4500.00" and data["project"]["name"] == "B厂项目"
    assert _deposits(http, iid) == {a: "refunded", b: "held", c: "refunded"}


def test_R20_call_auction_bids_are_sealed_until_close(http):
    a, unit_a = http.enterprise(XIHU)
    b, unit_b = http.enterprise(XIHU)
    c, unit_c = http.enterprise(XIHU)
    _, unit_d = http.enterprise(XIHU)
    iid = open_reserve_sale(http, unit_a, "call_auction", "4200.00")
    data = http.call("GET", f"/instances/{iid}", unit_a)["data"]
    assert data["reserve_price"] == "4000.00" and data["listed_price"] is None  # ZJ fee standard

    mine = _bid(http, unit_b, iid, "4500.00")
    assert mine["mine"] is True and mine["price_per_tonne"] == "4500.00"
    assert _bid(http, unit_b, iid, "4600.00", expect=409)["error"]["rule"] == "R20"  # one bid
    assert _bid(http, unit_a, iid, "4300.00", expect=409)["error"]["rule"] == "R20"  # applied
    err = _bid(http, unit_d, iid, "3999.00", expect=422)["error"]  # below the reserve price
    assert err["rule"] == "R20" and "4000.00" in err["message"]
    http.clock("2026-03-03T10:00:00+08:00")
    _bid(http, unit_c, iid, "4500.00")  # equal to B's, later

    # sealed: each bidder sees only its own bid, the bureau none, nobody the best
    board = _board(http, unit_b, iid)
    assert board["sealed"] is True and board["bids_count"] == 3 and board["best_price"] is None
    assert [(x["price_per_tonne"], x["enterprise_id"]) for x in board["items"]] == [
        ("4500.00", b)]
    assert board["min_next_price"] == "4000.00"
    board = _board(http, unit_a, iid)
    assert [x["price_per_tonne"] for x in board["items"]] == ["4200.00"]
    bureau = _board(http, "h_xihu", iid)
    assert bureau["sealed"] is True and bureau["items"] == [] and bureau["bids_count"] == 3
    http.call("GET", f"/instances/{iid}", unit_b, expect=404)  # a bidder is no party yet
    public = http.call("GET", "/public/sales")["items"]
    assert [(s["price_kind"], s["price_per_tonne"]) for s in public] == [("reserve", "4000.00")]
    assert "4200" not in json.dumps(public) and "4500" not in json.dumps(public)

    _close(http, iid)
    board = _board(http, unit_b, iid)  # opened at the close
    assert board["sealed"] is False and board["phase"] is None
    assert [x["price_per_tonne"] for x in board["items"]] == ["4500.00", "4500.00", "4200.00"]
    assert [x["enterprise_id"] for x in board["items"]] == [b, None, None]
    http.do("h_xihu", "confirm_bidding", {}, iid=iid)
    data = http.call("GET", f"/instances/{iid}", unit_b)["data"]
    assert data["buyer_id"] == b and data["winning_price"] == "4500.00"  # the earlier of equal
    assert _deposits(http, iid) == {a: "refunded", b: "held", c: "refunded"}


def test_R20_surplus_transfer_by_auction_runs_public_bidding(http):
    seller, unit_s = http.enterprise(XIHU)
    a, unit_a = http.enterprise(XIHU)
    b, unit_b = http.enterprise(XIHU)
    http.lot(seller, "COD", "3.0000")
    iid = http.start(unit_a, seller, {"COD": "1.0000"}, "4500.00", method="auction")["id"]
    data = http.call("GET", f"/instances/{iid}", unit_a)["data"]
    assert data["bidding"] is True and data["reserve_price"] is None  # ZJ surplus: no floor
    assert data["bid_increment"] == "100.00"
    http.do("h_xihu", "certify", {"certify_decision": "certified", "opinion": "可交易"}, iid=iid)
    http.do("r_xihu", "subject_review", {"review_decision": "approved", "opinion": "符合"},
            iid=iid)
    assert _bid(http, unit_b, iid, "4600.00", expect=409)["error"]["rule"] == "R20"  # not yet
    http.do("h_xihu", "confirm_deposit", {"deposit_reference": "BZJ-S"}, iid=iid)
    assert http.active(iid) == []  # bidding, announced
    sale = http.call("GET", "/public/sales")["items"]
    assert [(s["instance_id"], s["seller_kind"], s["method"]) for s in sale] == [
        (iid, "enterprise", "auction")]

    err = _bid(http, unit_s, iid, "5000.00", expect=422)["error"]  # the seller cannot bid
    assert "seller" in err["fields"]
    assert _bid(http, unit_b, iid, "4550.00", expect=422)["error"]["rule"] == "R20"
    _bid(http, unit_b, iid, "4600.00", project_name="B厂扩建")
    seen = _board(http, unit_s, iid)  # the seller sees the prices, not who bid
    assert [(x["price_per_tonne"], x["enterprise_id"]) for x in seen["items"]] == [
        ("4600.00", None), ("4500.00", None)]

    _close(http, iid)
    http.do("h_xihu", "confirm_bidding", {}, iid=iid)
    data = http.call("GET", f"/instances/{iid}", unit_b)["data"]
    assert data["buyer_id"] == b and data["price_per_tonne"] == "4600.00"
    http.do(unit_b, "sign_contract", {"contract_decision": "sign"}, iid=iid)
    http.do("h_xihu", "confirm_settlement", {"settlement_reference": "JS-S"}, iid=iid)
    assert http.call("GET", f"/enterprises/{b}/holdings", unit_b)["balances"] == {
        "COD": "1.0000"}
    assert http.call("GET", f"/enterprises/{seller}/holdings", unit_s)["balances"] == {
        "COD": "2.0000"}
    assert http.call("GET", f"/enterprises/{a}/holdings", unit_a)["balances"] == {}
    assert _deposits(http, iid) == {a: "refunded", b: "applied"}
    assert ledger.ledger_check() == []


def test_R38_open_sale_announced_on_public_portal_without_personal_data(http, client):
    a, unit_a = http.enterprise(XIHU)
    _, green_unit = http.enterprise(CHANGAN)
    http.lot(f"reserve:{CHANGAN}", "SO2", "3.0000")
    http.start(green_unit, f"reserve:{CHANGAN}", {"SO2": "0.5000"}, "6000.00")  # R29: none
    http.lot(f"reserve:{XIHU}", "COD", "3.0000")
    iid = http.start(unit_a, f"reserve:{XIHU}", {"COD": "1.0000"}, "4500.00",
                     method="listing")["id"]
    http.do("r_xihu", "subject_review", {"review_decision": "approved", "opinion": "符合"},
            iid=iid)
    assert http.call("GET", "/public/sales")["total"] == 0  # not announced before the deposit
    http.do("h_xihu", "confirm_deposit", {"deposit_reference": "BZJ-私人账户"}, iid=iid)

    body = http.call("GET", "/public/sales")  # no login
    assert body["total"] == 1
    (sale,) = body["items"]
    assert sale == {
        "instance_id": iid, "method": "listing", "seller": "西湖区储备", "seller_kind": "reserve",
        "region_code": XIHU, "region_name": "西湖区", "amounts": {"COD": "1.0000"},
        "price_kind": "listed", "price_per_tonne": "4500.00", "bid_increment": "100.00",
        "deposit_ratio": "0.30", "deposit_amount": "1350.00",
        "announced_at": "2026-03-02T09:00:00+08:00", "closes_at": "2026-03-10T00:00:00+08:00",
        "bid_url": f"/api/v1/trades/{iid}/bids", "how_to_bid": sale["how_to_bid"],
    }
    assert "挂牌价" in sale["how_to_bid"] and f"POST /api/v1/trades/{iid}/bids" in sale[
        "how_to_bid"] and f"/trading/trades/{iid}/bid " in sale["how_to_bid"]
    # filters: region subtree, pollutant, seller or region name
    assert http.call("GET", "/public/sales", query_string={"region": "330100"})["total"] == 1
    assert http.call("GET", "/public/sales", query_string={"region": CHANGAN})["total"] == 0
    assert http.call("GET", "/public/sales", query_string={"pollutant": "SO2"})["total"] == 0
    assert http.call("GET", "/public/sales", query_string={"q": "西湖"})["total"] == 1
    http.call("GET", "/public/sales", query_string={"region": "999999"}, expect=422)

    # R38: no personal data and not the applicant: its name, user, credit code, bank reference
    page = client.get("/public/sales")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "交易公告" in html and "挂牌转让" in html and "4500.00 元/吨" in html
    assert "1350.00 元" in html and f"/api/v1/trades/{iid}/bids" in html
    applicant = http.call("GET", f"/instances/{iid}", unit_a)
    name = http.call("GET", f"/trades/{iid}/contract", unit_a)["buyer"]
    for text in (json.dumps(body, ensure_ascii=False), html):
        for secret in (name, unit_a, "BZJ-私人账户", applicant["business_key"]):
            assert secret not in text
    assert client.get("/api/v1/openapi.json").get_json()["paths"]["/public/sales"]["get"]

    http.clock("2026-03-10T00:00:00+08:00")  # the listing period is over: no longer open
    assert http.call("GET", "/public/sales")["total"] == 0
    assert "目前没有正在竞价的交易" in client.get("/public/sales").get_data(as_text=True)


def test_R20_bids_page_from_the_task_seals_a_call_auction_until_close(http, app, login):
    """The bureau confirming the result sees the bids from its task page; during a call auction
    the page shows neither prices nor bidders, after the close every bidder."""
    from sqlalchemy import select

    from app.auth.models import User
    from app.extensions import db

    a, unit_a = http.enterprise(XIHU)
    _, unit_b = http.enterprise(XIHU)
    iid = open_reserve_sale(http, unit_a, "call_auction", "4200.00")
    _bid(http, unit_b, iid, "4700.00")
    handler = db.session.scalar(select(User).where(User.username == "h_xihu"))
    page = login(app.test_client(), handler)
    html = page.get(f"/trading/trades/{iid}/bids").get_data(as_text=True)
    assert 'data-testid="sealed"' in html and "4700.00" not in html and "4200.00" not in html

    _close(http, iid)
    task = [t for t in http.todo("h_xihu", "confirm_bidding") if t["instance_id"] == iid][0]
    html = page.get(f"/inbox/tasks/{task['id']}").get_data(as_text=True)
    assert f"/trading/trades/{iid}/bids" in html and "竞价记录" in html
    html = page.get(f"/trading/trades/{iid}/bids").get_data(as_text=True)
    assert "4700.00" in html and "4200.00" in html and 'data-testid="sealed"' not in html
    names = [x["enterprise_name"] for x in _board(http, "h_xihu", iid)["items"]]
    assert all(name in html for name in names)
    outsider = db.session.scalar(select(User).where(User.username == "h_sc"))
    assert login(app.test_client(), outsider).get(f"/trading/trades/{iid}/bids").status_code == 404
