"""Cross-region approval over HTTP, the paths tests/acceptance/test_trade_cross_region.py leaves
out: the province bureau approves a cross-city trade and the trade goes on to its contract,
settlement and certificate (R9, R24, R26, R37, R39); an approval left undone past its 10 working
days is escalated and stays open (R26 with R5 counting, escalated as R13's review is)."""
from __future__ import annotations

from tests.acceptance import trade_http
from tests.acceptance.trade_http import CHANGAN, HEBEI, LUNAN

http = trade_http.http  # the fixture


def _to_approval(h):
    """长安区 (石家庄) sells 2 t NOx to a unit of 路南区 (唐山): the common superior is 河北省."""
    seller, seller_user = h.enterprise(CHANGAN)
    buyer, unit = h.enterprise(LUNAN)
    h.lot(seller, "NOx", "4.0000")
    inst = h.start(unit, seller, {"NOx": "2.0000"}, "6500.00")
    assert inst["data"]["cross_region"] is True and inst["data"]["approving_region"] == HEBEI
    h.do("h_ca", "certify", {"certify_decision": "certified", "opinion": "可交易"})
    h.do("r_ca", "subject_review", {"review_decision": "approved", "opinion": "符合"})
    assert h.active(inst["id"]) == ["approve_cross_region"]
    return inst["id"], seller, seller_user, buyer, unit


def test_R9_R26_cross_city_trade_approved_by_the_province_goes_on_to_its_certificate(http):
    iid, seller, seller_user, buyer, unit = _to_approval(http)
    task = http.todo("r_hb", "approve_cross_region")[0]
    assert task["region_code"] == HEBEI and task["due_at"] == "2026-03-17T00:00:00+08:00"
    assert http.todo("r_sjz", "approve_cross_region") == []  # the city is not the superior
    http.do("r_hb", "approve_cross_region", {"approval_decision": "approved", "opinion": "同意"})
    assert http.active(iid) == ["confirm_deposit"]
    data = http.call("GET", f"/instances/{iid}", unit)["data"]
    assert data["approving_region"] == HEBEI and data["outcome"] is None
    http.do("h_ca", "confirm_deposit", {"deposit_reference": "BZJ-HB-1"})
    http.do(unit, "sign_contract", {"contract_decision": "sign", "opinion": "签订"})
    http.do("h_ca", "confirm_settlement", {"settlement_reference": "JS-HB-1"})
    final = http.call("GET", f"/instances/{iid}", unit)
    assert [t["name"] for t in final["active_tasks"]] == ["permit_change"]
    number = final["data"]["certificate"]
    assert number and http.call("GET", f"/public/certificates/{number}")["valid"] is True
    # R22: transferred surplus keeps its remaining term; R37: 2 t moved across the two cities
    lots = http.call("GET", f"/enterprises/{buyer}/holdings", unit)["lots"]
    assert [(lot["tonnes"], lot["valid_to"], lot["certificate"]) for lot in lots] == [
        ("2.0000", "2030-12-31", number)]
    assert http.call("GET", f"/enterprises/{seller}/holdings", seller_user)["balances"] == {
        "NOx": "2.0000"}


def test_R26_overdue_cross_region_approval_is_escalated_and_stays_open(http):
    iid, *_ = _to_approval(http)
    due = http.todo("r_hb", "approve_cross_region")[0]["due_at"]
    assert due == "2026-03-17T00:00:00+08:00"  # R5: 10 working days from Mon 03-02
    http.clock("2026-03-16T23:59:00+08:00")
    assert http.run_due() == 0
    http.clock(due)
    assert http.run_due() == 1
    task = http.todo("r_hb", "approve_cross_region")[0]
    assert task["escalated"] is True and task["light"] == "red"
    assert http.active(iid) == ["approve_cross_region"]  # never silently closed
    http.do("r_hb", "approve_cross_region", {"approval_decision": "approved", "opinion": "同意"})
    assert http.active(iid) == ["confirm_deposit"]
