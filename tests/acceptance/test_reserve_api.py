"""Reserves end to end over HTTP with the test clock (R33–R36, R37): a buyback at a recorded price;
a free recovery after closure; fraud recovery marking the credit record; a sale from a county
reserve topped up from the city reserve by an allocation trade (调配交易); expiry at period end
with the 60-day reminder. `ledger_check()` finds no difference after each."""
from __future__ import annotations

from app.auth.models import Enterprise
from app.extensions import db
from tests.acceptance import test_lease_api as lease_api
from tests.acceptance.test_lease_api import assert_books_balance

http = lease_api.http  # the same HTTP fixture (users, bureaus, deployed diagrams)


def test_R33_buyback_of_paid_rights_at_a_recorded_price(http):
    http.clock("2026-03-02T09:00:00+08:00")
    ent, unit = http.enterprise()
    http.lot(ent, tonnes="5", acquisition="paid")
    http.lot(ent, pollutant="SO2", tonnes="3", acquisition="free")
    # only paid-for rights are bought back
    refused = http.call("POST", "/processes/buyback/instances", unit, expect=422, json={
        "data": {"amounts": {"SO2": "1"}, "price_per_tonne": "1000"}})
    assert refused["error"]["rule"] == "R33"
    inst = http.call("POST", "/processes/buyback/instances", unit, expect=201, json={
        "data": {"amounts": {"COD": "2"}, "price_per_tonne": "4500.5"}})
    assert inst["data"]["price_per_tonne"] == "4500.50"
    http.decide("h_xihu", "approve")
    done = http.call("GET", f"/instances/{inst['id']}", unit)
    assert done["status"] == "completed"
    assert done["data"]["total_price"] == "9001.00" and done["data"]["status"] == "bought_back"
    assert http.holdings(ent)["balances"] == {"COD": "3.0000", "SO2": "3.0000"}
    assert http.call("GET", "/reserves/330106", "h_xihu")["balances"] == {"COD": "2.0000"}
    history = http.call("GET", "/reserves/330106/history", "h_xihu")
    assert history["total"] == 1
    [row] = history["items"]
    assert row["cause"] == "buyback" and row["tonnes"] == "2.0000"
    assert row["counterparty"] == f"enterprise:{ent}" and row["instance_id"] == inst["id"]
    assert "4500.50" in row["note"]
    assert_books_balance()


def test_R33_free_recovery_after_closure(http):
    http.clock("2026-03-02T09:00:00+08:00")
    ent, _ = http.enterprise()
    http.lot(ent, tonnes="4", acquisition="free")
    http.lot(ent, tonnes="6", acquisition="paid")
    inst = http.call("POST", "/processes/recovery/instances", "h_xihu", expect=201, json={
        "data": {"enterprise_id": ent, "reason": "closure"}})
    # closure: only the freely acquired rights are recovered
    assert inst["data"]["amounts"] == {"COD": "4.0000"}
    http.decide("a_xihu", "approve")
    assert http.call("GET", f"/instances/{inst['id']}", "h_xihu")["data"]["status"] == "recovered"
    assert http.holdings(ent)["balances"] == {"COD": "6.0000"}
    assert http.call("GET", "/reserves/330106", "h_xihu")["balances"] == {"COD": "4.0000"}
    history = http.call("GET", "/reserves/330106/history", "h_xihu")["items"]
    assert [r["cause"] for r in history] == ["recovery"]
    assert db.session.get(Enterprise, ent).credit_flag is None
    assert_books_balance()


def test_R36_fraud_recovery_marks_the_credit_record(http):
    http.clock("2026-03-02T09:00:00+08:00")
    ent, _ = http.enterprise()
    http.lot(ent, tonnes="6", acquisition="paid")
    http.call("POST", "/processes/recovery/instances", "h_hz", expect=201, json={
        "data": {"enterprise_id": ent, "reason": "fraud", "amounts": {"COD": "6"}}})
    http.decide("a_hz", "approve")
    assert http.holdings(ent)["balances"] == {"COD": "0.0000"} or http.holdings(ent)[
        "balances"] == {}
    # the acting (city) bureau's reserve receives it
    assert http.call("GET", "/reserves/330100", "h_hz")["balances"] == {"COD": "6.0000"}
    db.session.expire_all()
    assert "欺诈" in db.session.get(Enterprise, ent).credit_flag
    assert_books_balance()


def test_R34_county_sale_topped_up_from_the_city_reserve(http):
    http.clock("2026-03-02T09:00:00+08:00")
    buyer, _ = http.enterprise()
    http.lot("reserve:330106", tonnes="1", acquisition="free")
    http.lot("reserve:330100", tonnes="5", acquisition="free")
    http.lot("reserve:330000", tonnes="50", acquisition="free")
    sale = http.call("POST", "/reserves/330106/sales", "h_xihu", expect=201, json={
        "enterprise_id": buyer, "amounts": {"COD": "3"}, "price_per_tonne": "5000"})
    [cover] = sale["allocation_trades"]
    assert cover == {**cover, "from_region": "330100", "to_region": "330106", "tonnes": "2.0000",
                     "kind": "调配交易"}
    assert http.holdings(buyer)["balances"] == {"COD": "3.0000"}
    # R22: reserve rights sold are valid five years from the sale
    assert {(lot["valid_from"], lot["valid_to"], lot["acquisition"])
            for lot in http.holdings(buyer)["lots"]} == {("2026-03-02", "2031-03-01", "paid")}
    assert http.call("GET", "/reserves/330106", "h_xihu")["balances"] == {"COD": "0.0000"}
    assert http.call("GET", "/reserves/330100", "h_hz")["balances"] == {"COD": "3.0000"}
    city = http.call("GET", "/reserves/330100/history", "h_hz")["items"]
    assert city[0]["kind"] == "调配交易" and city[0]["counterparty"] == "reserve:330106"
    # the city short too: the province covers the rest
    sale = http.call("POST", "/reserves/330106/sales", "h_xihu", expect=201, json={
        "enterprise_id": buyer, "amounts": {"COD": "10"}})
    assert [(c["from_region"], c["tonnes"]) for c in sale["allocation_trades"]] == [
        ("330100", "3.0000"), ("330000", "7.0000")]
    # nothing anywhere: 409 R34, nothing moved
    refused = http.call("POST", "/reserves/330106/sales", "h_xihu", expect=409, json={
        "enterprise_id": buyer, "amounts": {"COD": "100"}})
    assert refused["error"]["rule"] == "R34"
    assert http.call("GET", "/reserves/330000", "h_zj")["balances"] == {"COD": "43.0000"}
    # a county bureau cannot sell a city's reserve
    http.call("POST", "/reserves/330100/sales", "h_xihu", expect=403, json={
        "enterprise_id": buyer, "amounts": {"COD": "1"}})
    assert_books_balance()


def test_R37_expiry_at_period_end_and_the_60_day_reminder(http):
    http.clock("2030-10-01T09:00:00+08:00")
    ent, unit = http.enterprise()
    http.lot(ent, tonnes="5", valid_from="2026-01-01", valid_to="2030-12-31")
    assert http.call("POST", "/admin/ledger/sweep", "root") == {"expired": 0, "reminded": 0}
    http.clock("2030-11-01T09:00:00+08:00")  # within 60 days of 12-31
    assert http.call("POST", "/admin/ledger/sweep", "root") == {"expired": 0, "reminded": 1}
    assert http.call("POST", "/admin/ledger/sweep", "root") == {"expired": 0, "reminded": 0}
    [reminder] = http.call("GET", f"/enterprises/{ent}/expiry-reminders", unit)["items"]
    assert reminder["valid_to"] == "2030-12-31" and reminder["tonnes"] == "5.0000"
    http.clock("2030-12-31T23:59:00+08:00")
    assert http.holdings(ent)["balances"] == {"COD": "5.0000"}
    assert http.call("POST", "/admin/ledger/sweep", "root")["expired"] == 0
    http.clock("2031-01-01T00:00:00+08:00")
    assert http.holdings(ent)["balances"] == {}  # stops counting on the day
    assert http.call("POST", "/admin/ledger/sweep", "root")["expired"] == 1
    assert http.call("POST", "/admin/ledger/sweep", "root")["expired"] == 0
    from sqlalchemy import select

    from app.ledger.models import LedgerEntry

    causes = db.session.scalars(select(LedgerEntry.cause).where(
        LedgerEntry.account == f"enterprise:{ent}").order_by(LedgerEntry.id)).all()
    assert causes == ["registration", "expiry"]
    assert_books_balance()


def test_R33_buyback_filed_by_the_bureau_for_a_unit_and_a_refused_one(http):
    http.clock("2026-03-02T09:00:00+08:00")
    ent, unit = http.enterprise()
    http.lot(ent, tonnes="5", acquisition="paid")
    inst = http.call("POST", "/processes/buyback/instances", "h_xihu", expect=201, json={
        "data": {"enterprise_id": ent, "amounts": {"COD": "1"}, "price_per_tonne": "3000"}})
    assert inst["data"]["enterprise_id"] == ent
    # a bureau outside the unit's county cannot file it
    http.call("POST", "/processes/buyback/instances", "h_gs", expect=403, json={
        "data": {"enterprise_id": ent, "amounts": {"COD": "1"}, "price_per_tonne": "3000"}})
    http.decide("h_xihu", "approve")
    second = http.call("POST", "/processes/buyback/instances", unit, expect=201, json={
        "data": {"amounts": {"COD": "1"}, "price_per_tonne": "3000"}})
    http.decide("h_xihu", "approve", decision="refuse", opinion="储备已足")
    refused = http.call("GET", f"/instances/{second['id']}", unit)
    assert refused["status"] == "completed" and refused["data"]["legs"] == []
    assert http.holdings(ent)["balances"] == {"COD": "4.0000"}
    assert http.call("GET", "/reserves/330106", "h_xihu")["balances"] == {"COD": "1.0000"}
    assert_books_balance()
