"""How a trade ends at its settlement over HTTP (R24, R27a, R37): a buyer who does not pay forfeits
its deposit and no rights move; a trade whose seller's surplus was sold meanwhile ends with the
refusal on record and the deposit refunded; a trade pinned to the diagram deployed before these
outcomes keeps running by its own rules."""
from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.ledger import services as ledger
from app.notifications.models import Notification
from tests.acceptance import trade_http
from tests.acceptance.harness import ROOT
from tests.acceptance.trade_http import XIHU

http = trade_http.http  # the fixture


def _signed_surplus_trade(h, seller, tonnes="1.0000", price="4500.00"):
    """A 西湖区 unit buys `seller`'s COD surplus by agreement: certified (R19), reviewed, deposit
    paid (R27a: 30% × price × tonnes), contract signed — waiting for the settlement."""
    buyer, unit = h.enterprise(XIHU)
    iid = h.start(unit, seller, {"COD": tonnes}, price)["id"]
    h.do("h_xihu", "certify", {"certify_decision": "certified", "opinion": "可交易"}, iid=iid)
    h.do("r_xihu", "subject_review", {"review_decision": "approved", "opinion": "符合"}, iid=iid)
    h.do("h_xihu", "confirm_deposit", {"deposit_reference": f"BZJ-{iid}"}, iid=iid)
    h.do(unit, "sign_contract", {"contract_decision": "sign"}, iid=iid)
    return buyer, unit, iid


def _notified(iid):
    return db.session.scalars(select(Notification.title).where(
        Notification.ref == f"trade:{iid}:ended")).all()


def test_R27a_buyer_who_does_not_pay_forfeits_deposit(http):
    seller, unit_s = http.enterprise(XIHU)
    http.lot(seller, "COD", "3.0000")
    buyer, unit, iid = _signed_surplus_trade(http, seller)
    task = http.todo("h_xihu", "confirm_settlement")[0]
    form = http.call("GET", f"/tasks/{task['id']}", "h_xihu")["form"]["schema"]
    assert form["properties"]["settlement_outcome"]["enum"] == ["paid", "not_paid"]
    url = f"/tasks/{task['id']}/complete"
    err = http.call("POST", url, "h_xihu", expect=422, json={"data": {}})["error"]
    assert "settlement_reference" in err["fields"]  # paid (the default) needs the voucher
    err = http.call("POST", url, "h_xihu", expect=422,
                    json={"data": {"settlement_outcome": "not_paid"}})["error"]
    assert "opinion" in err["fields"]  # not paid: say what happened

    inst = http.call("POST", url, "h_xihu", json={"data": {
        "settlement_outcome": "not_paid", "opinion": "两次书面催缴，买方仍未支付价款"}})
    assert inst["status"] == "completed" and inst["active_tasks"] == []
    data = inst["data"]
    assert data["outcome"] == "not_paid" and data["certificate"] is None
    assert data["deposit"]["status"] == "forfeited" and data["deposit"]["amount"] == "1350.00"
    assert data["end_reason"]["rule"] == "R27a"
    assert "未" in data["end_reason"]["message"] and "不予退还" in data["end_reason"]["message"]
    # no ledger move: the seller keeps its rights, the buyer gets none
    assert http.call("GET", f"/enterprises/{seller}/holdings", unit_s)["balances"] == {
        "COD": "3.0000"}
    assert http.call("GET", f"/enterprises/{buyer}/holdings", unit)["balances"] == {}
    assert http.call("GET", "/public/trades")["total"] == 0
    assert _notified(iid) and "不予退还" in _notified(iid)[0]
    assert ledger.ledger_check() == []


def test_R37_R27a_surplus_sold_meanwhile_ends_the_other_trade_deposit_refunded(http):
    seller, unit_s = http.enterprise(XIHU)
    http.lot(seller, "COD", "1.0000")
    first, unit_1, iid_1 = _signed_surplus_trade(http, seller)
    _, _, iid_2 = _signed_surplus_trade(http, seller)  # both started while the tonne was there
    http.do("h_xihu", "confirm_settlement", {"settlement_reference": "JS-1"}, iid=iid_1)
    err = http.do("h_xihu", "confirm_settlement", {"settlement_reference": "JS-2"}, iid=iid_2,
                  expect=409)["error"]
    assert err["rule"] == "R37"

    inst = http.call("GET", f"/instances/{iid_2}", "h_xihu")
    assert inst["status"] == "completed" and inst["active_tasks"] == []  # not stuck
    data = inst["data"]
    assert data["outcome"] == "rights_unavailable" and data["deposit"]["status"] == "refunded"
    assert data["end_reason"]["rule"] == "R37" and "不可交易" in data["end_reason"]["message"]
    assert [h["action"] for h in inst["history"]].count("refused") == 1
    assert _notified(iid_2) and "退还" in _notified(iid_2)[0]
    assert http.todo("h_xihu", "confirm_settlement") == []
    assert http.call("GET", f"/enterprises/{first}/holdings", unit_1)["balances"] == {
        "COD": "1.0000"}
    assert http.call("GET", f"/enterprises/{seller}/holdings", unit_s)["balances"] == {
        "COD": "0.0000"}
    assert ledger.ledger_check() == []


def test_R20_R24_trade_pinned_to_the_previous_diagram_keeps_its_rules(http):
    """Instances stay on their version: an auction opened by the diagram deployed before the
    methods differed accepts a bid equal to the best (its rule then), and its settlement form has
    no outcome to choose; a trade started after the new deploy follows the new rules."""
    old = (ROOT / "tests/fixtures/bpmn/trade_before_methods.bpmn").read_bytes()
    http.call("POST", "/processes/trade/versions", "root", expect=201, data=old,
              headers={"Content-Type": "application/xml"})
    a, unit_a = http.enterprise(XIHU)
    b, unit_b = http.enterprise(XIHU)
    http.lot(f"reserve:{XIHU}", "COD", "3.0000")
    iid = http.start(unit_a, f"reserve:{XIHU}", {"COD": "1.0000"}, "4000.00",
                     method="auction")["id"]
    http.deploy("trade")  # the current diagram: new trades only
    assert http.call("GET", f"/instances/{iid}", unit_a)["version"] == 2
    http.do("r_xihu", "subject_review", {"review_decision": "approved", "opinion": "符合"},
            iid=iid)
    http.do("h_xihu", "confirm_deposit", {"deposit_reference": "BZJ-OLD"}, iid=iid)
    assert http.call("GET", f"/instances/{iid}", unit_a)["data"]["bidding_phase"] is None
    http.call("POST", f"/trades/{iid}/bids", unit_b, expect=201,
              json={"price_per_tonne": "4000.00"})  # equal to the best: allowed then
    http.call("POST", f"/trades/{iid}/bids", unit_a, expect=422,
              json={"price_per_tonne": "3999.00"})
    http.clock("2026-03-10T00:00:00+08:00")
    assert http.run_due() == 1
    assert http.active(iid) == ["confirm_bidding"]
    http.do("h_xihu", "confirm_bidding", {}, iid=iid)
    assert http.call("GET", f"/instances/{iid}", unit_a)["data"]["buyer_id"] == a  # earlier
    http.do(unit_a, "sign_contract", {"contract_decision": "sign"}, iid=iid)
    task = [t for t in http.todo("h_xihu", "confirm_settlement") if t["instance_id"] == iid][0]
    form = http.call("GET", f"/tasks/{task['id']}", "h_xihu")["form"]["schema"]
    assert "settlement_outcome" not in form["properties"]
    http.do("h_xihu", "confirm_settlement", {"settlement_reference": "JS-OLD"}, iid=iid)
    data = http.call("GET", f"/instances/{iid}", unit_a)["data"]
    assert data["certificate"] and data["deposit"]["status"] == "applied"

    new = http.start(unit_b, f"reserve:{XIHU}", {"COD": "1.0000"}, "4000.00",
                     method="auction")
    assert new["version"] == 3
    assert ledger.ledger_check() == []


def test_R37_settlement_refused_on_the_task_page_ends_the_trade_too(http, app, login):
    """The web inbox takes the same path: the handler's page offers paid / not paid, and a
    settlement of rights sold meanwhile is refused there and the trade ends."""
    from app.auth.models import User
    from tests.inbox.test_pages import csrf

    seller, _ = http.enterprise(XIHU)
    http.lot(seller, "COD", "1.0000")
    _, _, iid_1 = _signed_surplus_trade(http, seller)
    _, _, iid_2 = _signed_surplus_trade(http, seller)
    http.do("h_xihu", "confirm_settlement", {"settlement_reference": "JS-1"}, iid=iid_1)
    task = [t for t in http.todo("h_xihu", "confirm_settlement") if t["instance_id"] == iid_2][0]
    handler = db.session.scalar(select(User).where(User.username == "h_xihu"))
    page = login(app.test_client(), handler)
    html = page.get(f"/inbox/tasks/{task['id']}").get_data(as_text=True)
    assert "价款已到账" in html and "买方未支付价款" in html
    resp = page.post(f"/inbox/tasks/{task['id']}", data={
        "csrf_token": csrf(html), "settlement_outcome": "paid", "settlement_reference": "JS-2"})
    assert resp.status_code in (409, 422) and "不足" in resp.get_data(as_text=True)
    data = http.call("GET", f"/instances/{iid_2}", "h_xihu")["data"]
    assert data["outcome"] == "rights_unavailable" and data["deposit"]["status"] == "refunded"
    assert ledger.ledger_check() == []


def test_R37_trade_pinned_to_the_previous_diagram_is_refused_as_before(http):
    """The previous diagram has no such outcome: the refusal changes nothing there (409, R37)."""
    from tests.acceptance.trade_http import CHANGAN

    old = (ROOT / "tests/fixtures/bpmn/trade_before_methods.bpmn").read_bytes()
    http.call("POST", "/processes/trade/versions", "root", expect=201, data=old,
              headers={"Content-Type": "application/xml"})
    http.lot(f"reserve:{CHANGAN}", "SO2", "0.5000")
    ids = []
    for _ in range(2):  # R29 green channel: straight to the contract
        _, unit = http.enterprise(CHANGAN)
        iid = http.start(unit, f"reserve:{CHANGAN}", {"SO2": "0.5000"}, "5000.00")["id"]
        http.do(unit, "sign_contract", {"contract_decision": "sign"}, iid=iid)
        ids.append(iid)
    http.do("h_ca", "confirm_settlement", {"settlement_reference": "A"}, iid=ids[0])
    err = http.do("h_ca", "confirm_settlement", {"settlement_reference": "B"}, iid=ids[1],
                  expect=409)["error"]
    assert err["rule"] == "R37"
    assert http.active(ids[1]) == ["confirm_settlement"]
    assert ledger.ledger_check() == []
