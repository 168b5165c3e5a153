"""Public bidding of a reserve sale by auction over HTTP (R20, R27a) and the R30 certification
escalation: three bidders, each bid beats the best by the minimum increment, the highest wins, the
losers' deposits are refunded, the winner's is applied; bids below the reserve price or after the
close are refused; the one-month certification deadline escalates without closing the task (R30).
Listing and call auction: test_trade_methods.py."""
from __future__ import annotations

from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from app.ledger import services as ledger
from app.notifications.models import Notification
from tests.acceptance import trade_http
from tests.acceptance.trade_http import CHANGAN, HAISHU, SHANGCHENG, XIHU

http = trade_http.http  # the fixture


def _bid(h, who, iid, price, expect=201, **extra):
    return h.call("POST", f"/trades/{iid}/bids", who, expect=expect,
                  json={"price_per_tonne": price, **extra})


def _to_bidding(h, unit, price="4000.00", tonnes="1.0000"):
    """A Zhejiang county reserve sale by auction, reviewed, deposit paid: bidding opens."""
    h.lot(f"reserve:{XIHU}", "COD", "3.0000")
    inst = h.start(unit, f"reserve:{XIHU}", {"COD": tonnes}, price, method="auction")
    iid = inst["id"]
    assert inst["data"]["bidding_closes_at"] is None and inst["data"]["bids_count"] == 0
    h.do("r_xihu", "subject_review", {"review_decision": "approved", "opinion": "符合"}, iid=iid)
    return iid


def test_R20_R27a_reserve_auction_bids_beat_the_best_by_the_increment_highest_wins(http):
    a, unit_a = http.enterprise(XIHU)
    b, unit_b = http.enterprise(XIHU)
    c, unit_c = http.enterprise(XIHU)
    outsider, unit_o = http.enterprise(XIHU)
    iid = _to_bidding(http, unit_a)
    # R20: no bids before the announcement
    err = _bid(http, unit_b, iid, "4500.00", expect=409)["error"]
    assert err["rule"] == "R20"
    http.do("h_xihu", "confirm_deposit", {"deposit_reference": "BZJ-A"}, iid=iid)
    data = http.call("GET", f"/instances/{iid}", unit_a)["data"]
    # R5: 5 working days from the day after the announcement (Mon 03-02) → 24:00 Mon 03-09
    assert data["bidding_closes_at"] == "2026-03-10T00:00:00+08:00"
    assert data["bids_count"] == 1  # the applicant's offer is the first bid
    assert http.active(iid) == []  # waiting for the bidding period, no task yet

    # R20: reserve price = the fee standard (COD 4000 in Zhejiang); each bid beats the best so far
    # by the province's minimum increment (100 yuan/t seeded)
    err = _bid(http, unit_b, iid, "3999.00", expect=422)["error"]
    assert err["rule"] == "R20" and "4000.00" in err["message"]
    err = _bid(http, unit_b, iid, "4050.00", expect=422)["error"]
    assert err["rule"] == "R20" and "4100.00" in err["message"]
    http.clock("2026-03-03T10:00:00+08:00")
    mine = _bid(http, unit_b, iid, "4500.00", project_name="B厂扩建项目")
    assert mine["mine"] is True and mine["enterprise_id"] == b
    assert mine["deposit"]["status"] == "held" and mine["deposit"]["amount"] == "1200.00"
    assert _bid(http, unit_c, iid, "4550.00", expect=422)["error"]["rule"] == "R20"
    http.clock("2026-03-04T10:00:00+08:00")
    _bid(http, unit_c, iid, "4800.00", project_name="C厂新建项目")
    err = _bid(http, unit_c, iid, "4900.00", expect=409)["error"]  # already the best
    assert err["rule"] == "R20"
    http.clock("2026-03-05T10:00:00+08:00")
    assert _bid(http, unit_a, iid, "4800.00", expect=422)["error"]["rule"] == "R20"  # equal
    _bid(http, unit_a, iid, "4900.00")
    _bid(http, unit_c, iid, "5000.00")
    http.call("POST", f"/trades/{iid}/bids", "h_xihu", expect=403,
              json={"price_per_tonne": "9000.00"})

    # the best is visible to bidders: every price but only their own identity; the bureau sees
    # everyone; others nothing
    seen = http.call("GET", f"/trades/{iid}/bids", unit_b)
    assert seen["total"] == 5 and seen["bids_count"] == 5
    assert (seen["method"], seen["phase"], seen["sealed"]) == ("auction", "open", False)
    assert seen["best_price"] == "5000.00" and seen["min_next_price"] == "5100.00"
    assert seen["closes_at"] == "2026-03-10T00:00:00+08:00"
    assert [x["price_per_tonne"] for x in seen["items"]] == [
        "5000.00", "4900.00", "4800.00", "4500.00", "4000.00"]
    assert [x["enterprise_id"] for x in seen["items"]] == [None, None, None, b, None]
    assert all(x["enterprise_name"] is None for x in seen["items"] if not x["mine"])
    bureau = http.call("GET", f"/trades/{iid}/bids", "h_xihu")["items"]
    assert [x["enterprise_id"] for x in bureau] == [c, a, c, b, a]
    http.call("GET", f"/trades/{iid}/bids", unit_o, expect=404)
    http.call("GET", f"/trades/{iid}/bids", "h_sc", expect=404)  # another county's bureau
    assert http.call("GET", f"/instances/{iid}", unit_a)["data"]["bids_count"] == 5

    # the timer closes the bidding through the clock-driven worker
    http.clock("2026-03-09T23:59:00+08:00")
    assert http.run_due() == 0
    http.clock("2026-03-10T00:00:00+08:00")
    assert http.run_due() == 1
    err = _bid(http, unit_b, iid, "9000.00", expect=409)["error"]
    assert err["rule"] == "R20"
    assert http.active(iid) == ["confirm_bidding"]
    http.do("h_xihu", "confirm_bidding", {"opinion": "竞价有效"}, iid=iid)

    # the highest bid wins; the winner is now the buyer
    inst = http.call("GET", f"/instances/{iid}", unit_c)
    data = inst["data"]
    assert data["buyer_id"] == c and data["winning_price"] == "5000.00"
    assert data["price_per_tonne"] == "5000.00" and data["total_price"] == "5000.00"
    assert data["bidding_phase"] == "awarded" and data["listed_price"] == "4000.00"
    assert data["project"]["name"] == "C厂新建项目"
    assert data["deposit"]["status"] == "held"
    assert http.todo(unit_a, "sign_contract") == []
    assert [t["instance_id"] for t in http.todo(unit_c, "sign_contract")] == [iid]
    states = {x["id"]: x["status"] for x in http.call("GET", f"/trades/{iid}/bids", "h_xihu")[
        "items"]}
    assert sorted(states.values()) == ["lost", "lost", "lost", "lost", "won"]
    deposits = {x["enterprise_id"]: x["deposit"]["status"] for x in bureau}
    assert set(deposits) == {a, b, c}
    now = {x["enterprise_id"]: x["deposit"]["status"]
           for x in http.call("GET", f"/trades/{iid}/bids", "h_xihu")["items"]}
    assert now == {a: "refunded", b: "refunded", c: "held"}
    # the bidders that did not win are told so, in their own language (R20, R27a)
    told = db.session.execute(select(User.enterprise_id, Notification.title).join(
        User, User.id == Notification.user_id).where(Notification.ref == f"bid-lost:{iid}")).all()
    assert sorted(e for e, _ in told) == sorted([a, b])
    assert all(title.startswith("竞价结果：未竞得") for _, title in told)

    http.do(unit_c, "sign_contract", {"contract_decision": "sign", "opinion": "签订"}, iid=iid)
    contract = http.call("GET", f"/trades/{iid}/contract", unit_c)
    assert contract["buyer"] == http.call("GET", f"/trades/{iid}/bids", "h_xihu")["items"][0][
        "enterprise_name"]
    assert contract["price_per_tonne"] == "5000.00"
    http.do("h_xihu", "confirm_settlement", {"settlement_reference": "JS-BID"}, iid=iid)
    data = http.call("GET", f"/instances/{iid}", unit_c)["data"]
    assert data["deposit"]["status"] == "applied" and data["certificate"]
    cert = http.call("GET", f"/public/certificates/{data['certificate']}")
    assert cert["buyer"] == contract["buyer"] and cert["price_per_tonne"] == "5000.00"
    assert http.call("GET", f"/enterprises/{c}/holdings", unit_c)["balances"] == {
        "COD": "1.0000"}
    assert http.call("GET", f"/enterprises/{a}/holdings", unit_a)["balances"] == {}
    final = {x["enterprise_id"]: x["deposit"]
             for x in http.call("GET", f"/trades/{iid}/bids", "h_xihu")["items"]}
    assert final[c]["status"] == "applied"
    assert final[a]["status"] == final[b]["status"] == "refunded"
    assert ledger.ledger_check() == []


def test_R20_bidder_checks_reuse_the_buyer_checks(http):
    a, unit_a = http.enterprise(XIHU)
    iid = _to_bidding(http, unit_a)
    http.do("h_xihu", "confirm_deposit", {"deposit_reference": "BZJ-A"}, iid=iid)
    # R26: a unit of another county would need an approval this same-county sale did not get
    _, unit_sc = http.enterprise(SHANGCHENG)
    assert _bid(http, unit_sc, iid, "5000.00", expect=422)["error"]["rule"] == "R26"
    _, unit_hs = http.enterprise(HAISHU)
    assert _bid(http, unit_hs, iid, "5000.00", expect=422)["error"]["rule"] == "R26"
    # R9: another province
    _, unit_hb = http.enterprise(CHANGAN)
    assert _bid(http, unit_hb, iid, "5000.00", expect=422)["error"]["rule"] == "R9"
    # malformed price
    err = _bid(http, unit_a, iid, "abc", expect=422)["error"]
    assert "price_per_tonne" in err["fields"]


def test_R20_agreement_trade_has_no_bidding(http):
    _, unit = http.enterprise(CHANGAN)
    http.lot(f"reserve:{CHANGAN}", "SO2", "3.0000")
    iid = http.start(unit, f"reserve:{CHANGAN}", {"SO2": "0.5000"}, "6000.00")["id"]
    _, other = http.enterprise(CHANGAN)
    http.call("POST", f"/trades/{iid}/bids", other, expect=404,
              json={"price_per_tonne": "7000.00"})
    assert http.active(iid) == ["sign_contract"]


def test_R30_missed_certification_month_escalates_and_task_stays_open(http):
    steel, _ = http.enterprise(CHANGAN, grade="A", industry="钢铁")
    buyer, unit = http.enterprise(CHANGAN)
    http.lot(steel, "SO2", "4.0000")
    iid = http.start(unit, steel, {"SO2": "1.0000"}, "5000.00")["id"]
    data = http.call("GET", f"/instances/{iid}", "h_ca")["data"]
    assert data["certify_due_at"] == "2026-04-03T00:00:00+08:00"  # one month: 24:00 04-02
    assert data["certification_escalated"] is False
    http.clock("2026-04-02T23:59:00+08:00")
    assert http.run_due() == 0
    http.clock("2026-04-03T00:00:00+08:00")
    assert http.run_due() == 1
    task = http.todo("h_ca", "certify")[0]
    assert task["escalated"] is True and task["light"] == "red"
    assert [t["instance_id"] for t in http.todo("a_ca", "certify")] == [iid]  # R30 escalated
    inst = http.call("GET", f"/instances/{iid}", "h_ca")
    assert inst["data"]["certification_escalated"] is True
    assert [(e["rule"], e["task"]) for e in inst["data"]["escalations"]] == [("R30", "certify")]
    assert [t["name"] for t in inst["active_tasks"]] == ["certify"]  # not dropped
    assert any(h["action"] == "escalated" for h in inst["history"])
    http.do("h_ca", "certify", {"certify_decision": "certified", "opinion": "可交易"})
    assert http.active(iid) == ["subject_review"]
    data = http.call("GET", f"/instances/{iid}", "h_ca")["data"]
    assert data["certification_escalated"] is True  # stays on the record after the late decision


def test_R30_month_counts_to_the_corresponding_day_or_the_month_end(app):
    from app.trading.services import month_days

    assert month_days("2026-03-02T09:00:00+08:00", 1) == 31  # → 04-02
    assert month_days("2026-01-31T09:00:00+08:00", 1) == 28  # → 02-28 (no 02-31)
    assert month_days("2026-12-15T09:00:00+08:00", 1) == 31  # → 2027-01-15


def test_R16_bidder_with_an_overdue_fee_notice_is_refused(http):
    from datetime import date, datetime
    from decimal import Decimal

    from app.common.clock import SHANGHAI
    from app.extensions import db
    from app.ledger.models import FeeNotice

    a, unit_a = http.enterprise(XIHU)
    debtor, unit_d = http.enterprise(XIHU)
    iid = _to_bidding(http, unit_a)
    http.do("h_xihu", "confirm_deposit", {"deposit_reference": "BZJ-A"}, iid=iid)
    due = datetime(2026, 2, 27, tzinfo=SHANGHAI)
    db.session.add(FeeNotice(
        number="FN-BID-1", enterprise_id=debtor, region_code=XIHU, bureau_name="西湖区生态环境分局",
        province_code="330000", valid_from=date(2026, 1, 1), valid_to=date(2030, 12, 31),
        lines=[], amount=Decimal("1234.50"), finalised_at=due, issue_due_at=due, issued_at=due,
        due_at=due))
    db.session.commit()
    err = _bid(http, unit_d, iid, "5000.00", expect=422)["error"]
    assert err["rule"] == "R16" and "FN-BID-1" in err["message"]


def test_R27a_winner_other_than_the_applicant_refusing_to_sign_forfeits_its_deposit(http):
    a, unit_a = http.enterprise(XIHU)
    b, unit_b = http.enterprise(XIHU)
    iid = _to_bidding(http, unit_a)
    http.do("h_xihu", "confirm_deposit", {"deposit_reference": "BZJ-A"}, iid=iid)
    _bid(http, unit_b, iid, "4100.00")
    http.clock("2026-03-10T00:00:00+08:00")
    assert http.run_due() == 1
    http.do("h_xihu", "confirm_bidding", {}, iid=iid)
    http.do(unit_b, "sign_contract", {"contract_decision": "refuse", "opinion": "放弃"}, iid=iid)
    inst = http.call("GET", f"/instances/{iid}", unit_b)
    assert inst["data"]["outcome"] == "forfeited" and inst["data"]["deposit"]["status"] == (
        "forfeited")
    states = {x["enterprise_id"]: x["deposit"]["status"]
              for x in http.call("GET", f"/trades/{iid}/bids", "h_xihu")["items"]}
    assert states == {a: "refunded", b: "forfeited"}
