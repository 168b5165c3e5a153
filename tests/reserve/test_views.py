"""Reserve pages (R33, R34): the reserves a bureau may see with balances, one reserve's history
with allocation trades marked, jurisdiction enforced (R7); zh_CN text."""
from __future__ import annotations

from datetime import date, datetime

from app.common import clock
from app.extensions import db
from app.ledger import services as ledger
from app.reserve import services


def _setup(make_region_tree):
    make_region_tree()
    clock.set_now(datetime(2026, 3, 2, 9, tzinfo=clock.SHANGHAI))
    ledger.create_lot(owner="reserve:330100", pollutant="COD", tonnes="5",
                      valid_from=date(2026, 1, 1), valid_to=date(2030, 12, 31), acquisition="free")
    services.cover(region_code="330106", pollutant="COD", tonnes="2")
    db.session.commit()


def test_R34_reserve_pages_show_balances_and_allocation_trades(client, make_user, login,
                                                              make_region_tree):
    _setup(make_region_tree)
    city = make_user(roles=("handler",), region_code="330100")
    login(client, city)
    page = client.get("/reserves/?lang=zh_CN")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "政府储备" in text and "330106" in text and "330100" in text
    detail = client.get("/reserves/330106?lang=zh_CN").get_data(as_text=True)
    assert "调配交易" in detail and "2.0000" in detail and "reserve:330100" in detail


def test_R7_a_county_bureau_cannot_open_the_city_reserve(client, make_user, login,
                                                         make_region_tree):
    _setup(make_region_tree)
    county = make_user(roles=("handler",), region_code="330106")
    login(client, county)
    assert client.get("/reserves/330100").status_code == 403
    listing = client.get("/reserves/").get_data(as_text=True)
    assert "/reserves/330106" in listing and "/reserves/330100" not in listing
