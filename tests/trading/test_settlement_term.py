"""R22: rights sold from a reserve are valid five years from the deal day, the deal day included,
so they end the day before the fifth anniversary; a deal on 29 February (no anniversary in a common
year) ends on 28 February — in a trade's settlement and in a direct reserve sale alike."""
from __future__ import annotations

from datetime import date

import pytest

from app.reserve.services import reserve_sale_valid_to
from tests.acceptance import trade_http
from tests.acceptance.trade_http import CHANGAN

http = trade_http.http  # the fixture


@pytest.mark.parametrize(("deal", "last_day"), [
    (date(2026, 3, 2), date(2031, 3, 1)),  # the ordinary case: the day before the anniversary
    (date(2028, 2, 29), date(2033, 2, 28)),  # leap day → 28 February five years on
    (date(2028, 2, 28), date(2033, 2, 27)),
    (date(2028, 3, 1), date(2033, 2, 28)),
    (date(2024, 2, 29), date(2029, 2, 28)),
    (date(2027, 2, 28), date(2032, 2, 27)),  # into a leap year: 02-29 is not reached
    (date(2026, 1, 1), date(2030, 12, 31)),
])
def test_R22_reserve_sale_valid_to(deal, last_day):
    assert reserve_sale_valid_to(deal) == last_day


def test_R22_reserve_purchase_settled_on_29_february_is_valid_to_28_february(http):
    """A deal on 2028-02-29 used to raise in `date.replace` and put the trade in an incident."""
    buyer, unit = http.enterprise(CHANGAN)
    http.lot(f"reserve:{CHANGAN}", "SO2", "3.0000", valid_to="2035-12-31")
    http.clock("2028-02-29T10:00:00+08:00")
    iid = http.start(unit, f"reserve:{CHANGAN}", {"SO2": "0.5000"}, "5000.00")["id"]
    http.do(unit, "sign_contract", {"contract_decision": "sign"})
    http.do("h_ca", "confirm_settlement", {"settlement_reference": "JS-LEAP"})
    inst = http.call("GET", f"/instances/{iid}", unit)
    assert inst["status"] == "running" and inst["data"]["certificate"]
    assert inst["data"]["valid_from"] == "2028-02-29" and inst["data"]["valid_to"] == "2033-02-28"
    lots = http.call("GET", f"/enterprises/{buyer}/holdings", unit)["lots"]
    assert [(lot["valid_from"], lot["valid_to"]) for lot in lots] == [("2028-02-29", "2033-02-28")]


def test_R22_direct_reserve_sale_on_29_february(http):
    buyer, unit = http.enterprise(CHANGAN)
    http.lot(f"reserve:{CHANGAN}", "SO2", "3.0000", valid_to="2035-12-31")
    http.clock("2028-02-29T10:00:00+08:00")
    sale = http.call("POST", f"/reserves/{CHANGAN}/sales", "h_ca", expect=201, json={
        "enterprise_id": buyer, "amounts": {"SO2": "1.0000"}, "price_per_tonne": "5000.00"})
    assert sale
    lots = http.call("GET", f"/enterprises/{buyer}/holdings", unit)["lots"]
    assert [(lot["valid_from"], lot["valid_to"]) for lot in lots] == [("2028-02-29", "2033-02-28")]
