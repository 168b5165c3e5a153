"""Trades end to end over HTTP with the test clock (API.md "trade"): a same-county surplus transfer
(R19, R22, R24, R27a, R37, R39), green channel at 0.9 t and not at 1.0 t (R29), settlement
escalated when missed (R24), a forged certificate rejected (R39)."""
from __future__ import annotations

from app.engine.models import HumanTask
from app.extensions import db
from tests.acceptance import trade_http
from tests.acceptance.trade_http import CHANGAN, SJZ, XIHU

http = trade_http.http  # the fixture

SUMMARY_KEYS = {"green_channel", "cross_region", "approving_region", "deposit", "price_per_tonne",
                "contract_signed_at", "settle_due_at", "certificate"}


def test_R19_R22_R24_R37_R39_same_county_surplus_transfer_end_to_end(http):
    seller, seller_user = http.enterprise(XIHU)
    buyer, unit = http.enterprise(XIHU)
    http.lot(seller, "COD", "5.0000")
    inst = http.start(unit, seller, {"COD": "2.0000"}, "5000.00")
    iid, data = inst["id"], inst["data"]
    assert SUMMARY_KEYS <= set(data)
    assert data["green_channel"] is False and data["cross_region"] is False
    assert data["approving_region"] is None and data["price_per_tonne"] == "5000.00"
    assert data["deposit"] == {"ratio": "0.30", "amount": "3000.00", "status": "due"}
    assert http.active(iid) == ["certify"]

    http.do("h_xihu", "certify", {"certify_decision": "certified", "opinion": "可交易"})
    assert http.active(iid) == ["subject_review"]
    http.do("r_xihu", "subject_review", {"review_decision": "approved", "opinion": "符合"})
    assert http.active(iid) == ["confirm_deposit"]
    http.do("h_xihu", "confirm_deposit", {"deposit_reference": "BZJ-001"})
    data = http.call("GET", f"/instances/{iid}", unit)["data"]
    assert data["deposit"]["status"] == "held" and data["deposit"]["amount"] == "3000.00"

    http.clock("2026-03-03T10:00:00+08:00")
    http.do(unit, "sign_contract", {"contract_decision": "sign", "opinion": "签订"})
    data = http.call("GET", f"/instances/{iid}", unit)["data"]
    assert data["contract_signed_at"].startswith("2026-03-03T10:00")
    assert data["settle_due_at"] == "2026-03-18T00:00:00+08:00"  # R5: 10 working days
    http.do("h_xihu", "confirm_settlement", {"settlement_reference": "JS-001"})

    final = http.call("GET", f"/instances/{iid}", unit)
    assert final["status"] == "running" and [t["name"] for t in final["active_tasks"]] == [
        "permit_change"]
    number = final["data"]["certificate"]
    assert final["data"]["deposit"]["status"] == "applied"
    # R22: transferred surplus keeps its remaining term; R37: the lot is split
    holdings = http.call("GET", f"/enterprises/{buyer}/holdings", unit)
    assert holdings["balances"] == {"COD": "2.0000"}
    assert [(lot["valid_to"], lot["certificate"]) for lot in holdings["lots"]] == [
        ("2030-12-31", number)]
    assert http.call("GET", f"/enterprises/{seller}/holdings", seller_user)["balances"] == {
        "COD": "3.0000"}
    # R39: the public check
    check = http.call("GET", f"/public/certificates/{number}")
    assert check["valid"] is True and check["number"] == number
    assert check["amounts"] == {"COD": "2.0000"}
    http.do(unit, "permit_change", {"permit_change_no": "BG-2026-1"})
    assert http.call("GET", f"/instances/{iid}", unit)["status"] == "completed"


def test_R39_forged_certificate_number_is_rejected(http):
    http.call("GET", "/public/certificates/PWQ-2026-330106-000001-0123456789", expect=404)
    seller, _ = http.enterprise(CHANGAN)
    buyer, unit = http.enterprise(CHANGAN)
    http.lot(f"reserve:{CHANGAN}", "SO2", "2.0000")
    iid = http.start(unit, f"reserve:{CHANGAN}", {"SO2": "0.5000"}, "6000.00")["id"]
    http.do(unit, "sign_contract", {"contract_decision": "sign"})
    http.do("h_ca", "confirm_settlement", {"settlement_reference": "JS-9"})
    number = http.call("GET", f"/instances/{iid}", unit)["data"]["certificate"]
    assert http.call("GET", f"/public/certificates/{number}")["valid"] is True
    serial = number.split("-")[3]
    changed = number.replace(f"-{serial}-", f"-{int(serial) + 1:06d}-")
    http.call("GET", f"/public/certificates/{changed}", expect=404)
    sig = number[-1]
    http.call("GET", f"/public/certificates/{number[:-1]}{'0' if sig != '0' else '1'}",
              expect=404)


def test_R29_green_channel_0_9999_tonnes_from_county_reserve(http):
    buyer, unit = http.enterprise(CHANGAN)
    http.lot(f"reserve:{CHANGAN}", "SO2", "3.0000")
    inst = http.start(unit, f"reserve:{CHANGAN}", {"SO2": "0.9999"}, "5000.00",
                      method="listing")
    iid, data = inst["id"], inst["data"]
    assert data["green_channel"] is True and data["deposit"] is None
    assert data["method"] == "agreement"  # R29: bought from the reserve by agreement
    # no certification, subject review or deposit: straight to the contract
    assert http.active(iid) == ["sign_contract"]
    assert http.todo("r_ca", "subject_review") == []
    rows = db.session.query(HumanTask).filter_by(instance_id=iid).all()
    assert rows and all("green_channel" in r.flags.split(",") for r in rows)
    http.do(unit, "sign_contract", {"contract_decision": "sign"})
    http.do("h_ca", "confirm_settlement", {"settlement_reference": "JS-2"})
    data = http.call("GET", f"/instances/{iid}", unit)["data"]
    assert data["registration"] == "simplified" and data["certificate"]
    # R22: rights sold from a reserve are valid 5 years from the deal
    lots = http.call("GET", f"/enterprises/{buyer}/holdings", unit)["lots"]
    assert [(lot["valid_from"], lot["valid_to"]) for lot in lots] == [
        ("2026-03-02", "2031-03-01")]


def test_R29_one_tonne_is_not_green(http):
    buyer, unit = http.enterprise(CHANGAN)
    http.lot(f"reserve:{CHANGAN}", "SO2", "3.0000")
    inst = http.start(unit, f"reserve:{CHANGAN}", {"SO2": "1.0000"}, "5000.00")
    assert inst["data"]["green_channel"] is False
    assert http.active(inst["id"]) == ["subject_review"]
    assert http.todo("r_ca", "subject_review")[0]["instance_id"] == inst["id"]
    http.do("r_ca", "subject_review", {"review_decision": "approved", "opinion": "符合"})
    assert http.active(inst["id"]) == ["confirm_deposit"]


def test_R24_settlement_deadline_missed_is_escalated(http):
    buyer, unit = http.enterprise(CHANGAN)
    http.lot(f"reserve:{CHANGAN}", "SO2", "3.0000")
    iid = http.start(unit, f"reserve:{CHANGAN}", {"SO2": "0.5000"}, "5000.00")["id"]
    http.clock("2026-03-02T10:00:00+08:00")
    http.do(unit, "sign_contract", {"contract_decision": "sign"})
    due = http.call("GET", f"/instances/{iid}", unit)["data"]["settle_due_at"]
    assert due == "2026-03-17T00:00:00+08:00"
    http.clock("2026-03-16T23:59:00+08:00")
    assert http.run_due() == 0
    http.clock("2026-03-17T00:00:00+08:00")
    assert http.run_due() == 1
    task = http.todo("h_ca", "confirm_settlement")[0]
    assert task["escalated"] is True and task["light"] == "red"
    # escalated, not dropped: the bureau can still confirm
    http.do("h_ca", "confirm_settlement", {"settlement_reference": "JS-late"})
    assert http.call("GET", f"/instances/{iid}", unit)["data"]["certificate"]


def test_R24_R25_R39_contract_mediation_and_pages(http, client):
    seller, seller_user = http.enterprise(XIHU)
    buyer, unit = http.enterprise(XIHU)
    outsider, stranger = http.enterprise(XIHU)
    http.lot(seller, "COD", "5.0000")
    iid = http.start(unit, seller, {"COD": "1.0000"}, "5000.00")["id"]
    contract = http.call("GET", f"/trades/{iid}/contract", unit)
    assert contract["amounts"] == {"COD": "1.0000"} and contract["total_price"] == "5000.00"
    assert contract["print_url"].endswith(f"/trading/trades/{iid}/contract")
    http.call("GET", f"/trades/{iid}/contract", stranger, expect=404)
    # R25: a party asks for mediation while the trade is open; one mediation at a time; the
    # bureau over a transfer between units mediates, it is no party (tests/acceptance/
    # test_trade_mediation.py follows a mediation to its outcome)
    http.call("POST", f"/trades/{iid}/mediation", unit, expect=422, json={"reason": ""})
    row = http.call("POST", f"/trades/{iid}/mediation", unit, expect=201,
                    json={"reason": "价款争议"})
    assert row["party"] == "buyer" and row["status"] == "open"
    err = http.call("POST", f"/trades/{iid}/mediation", seller_user, expect=409,
                    json={"reason": "价款争议"})["error"]
    assert err["rule"] == "R25"
    err = http.call("POST", f"/trades/{iid}/mediation", "h_xihu", expect=403,
                    json={"reason": "价款争议"})["error"]
    assert err["rule"] == "R25"
    http.call("POST", f"/trades/{iid}/mediation", stranger, expect=404, json={"reason": "x"})
    assert len(http.call("GET", f"/trades/{iid}/mediation", unit)["items"]) == 1
    http.do("h_xihu", "certify", {"certify_decision": "refused", "opinion": "不予认定"})
    assert http.call("GET", f"/instances/{iid}", unit)["data"]["outcome"] == "refused"
    err = http.call("POST", f"/trades/{iid}/mediation", unit, expect=409,
                    json={"reason": "晚了"})["error"]
    assert err["rule"] == "R25"
    # the public verification page
    assert client.get("/public/certificates?number=PWQ-2026-330106-000009-AAAAAAAAAA"
                      ).status_code == 404
    assert client.get("/public/certificates").status_code == 200


def test_R24_R39_printable_contract_and_certificate_pages(http, client, login):
    from app.auth.services import find_user

    buyer, unit = http.enterprise(CHANGAN)
    http.lot(f"reserve:{CHANGAN}", "SO2", "2.0000")
    iid = http.start(unit, f"reserve:{CHANGAN}", {"SO2": "0.5000"}, "6000.00")["id"]
    login(client, find_user(unit))
    page = client.get(f"/trading/trades/{iid}/contract")
    assert page.status_code == 200 and "6000.00" in page.text
    assert client.get(f"/trading/trades/{iid}/certificate").status_code == 404
    http.do(unit, "sign_contract", {"contract_decision": "sign"})
    http.do("h_ca", "confirm_settlement", {"settlement_reference": "JS-3"})
    number = http.call("GET", f"/instances/{iid}", unit)["data"]["certificate"]
    page = client.get(f"/trading/trades/{iid}/certificate")
    assert page.status_code == 200 and number in page.text
    public = client.get(f"/public/certificates/{number}")
    assert public.status_code == 200 and number in public.text


def test_R34_sale_from_a_short_county_reserve_is_topped_up_from_the_city(http):
    """The county reserve holds 0.3 t, the city 2 t: a 0.9 t purchase goes through, the shortfall
    moving county-wards by an allocation trade (调配交易) before the sale; the ledger balances."""
    from app.ledger.models import LedgerEntry
    from app.ledger.services import ledger_check

    buyer, unit = http.enterprise(CHANGAN)
    http.lot(f"reserve:{CHANGAN}", "SO2", "0.3000")
    http.lot(f"reserve:{SJZ}", "SO2", "2.0000")
    iid = http.start(unit, f"reserve:{CHANGAN}", {"SO2": "0.9000"}, "5000.00")["id"]
    http.do(unit, "sign_contract", {"contract_decision": "sign"})
    http.do("h_ca", "confirm_settlement", {"settlement_reference": "JS-R34"})
    holdings = http.call("GET", f"/enterprises/{buyer}/holdings", unit)
    assert holdings["balances"] == {"SO2": "0.9000"}
    reserves = {code: http.call("GET", f"/reserves/{code}", "root")["balances"].get("SO2")
                for code in (CHANGAN, SJZ)}
    assert reserves == {CHANGAN: "0.0000", SJZ: "1.4000"}
    notes = {e.note for e in db.session.query(LedgerEntry).filter_by(instance_id=iid)}
    assert "调配交易" in notes
    assert ledger_check() == []


def test_R34_sale_beyond_every_reserve_is_refused(http):
    _, unit = http.enterprise(CHANGAN)
    http.lot(f"reserve:{CHANGAN}", "SO2", "0.3000")
    http.lot(f"reserve:{SJZ}", "SO2", "0.3000")
    refused = http.start(unit, f"reserve:{CHANGAN}", {"SO2": "0.9000"}, "5000.00", expect=409)
    assert refused["error"]["rule"] == "R37"
