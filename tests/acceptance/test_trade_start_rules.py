"""A trade's start over HTTP: R16 (an overdue fee notice blocks the buyer, the refusal names the
notice) and R29 (the green channel is for projects under 1 t in all, whoever sells, in the
provinces whose policy has it: a Zhejiang purchase goes the normal route)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from app.common.clock import SHANGHAI
from app.extensions import db
from app.ledger.models import FeeNotice
from tests.acceptance import trade_http
from tests.acceptance.trade_http import CHANGAN, XIHU

http = trade_http.http  # the fixture


def _notice(enterprise_id: int, number: str, due: datetime) -> None:
    db.session.add(FeeNotice(
        number=number, enterprise_id=enterprise_id, region_code=XIHU,
        bureau_name="西湖区生态环境分局", province_code="330000", valid_from=date(2026, 1, 1),
        valid_to=date(2030, 12, 31), lines=[], amount=Decimal("2468.00"), finalised_at=due,
        issue_due_at=due, issued_at=due, due_at=due))
    db.session.commit()


def test_R16_buyer_with_an_overdue_fee_notice_cannot_start_a_trade(http):
    seller, _ = http.enterprise(XIHU)
    buyer, unit = http.enterprise(XIHU)
    http.lot(seller, "COD", "5.0000")
    _notice(buyer, "FN-TRD-16", datetime(2026, 3, 3, tzinfo=SHANGHAI))  # due 24:00 of 03-02
    http.start(unit, seller, {"COD": "1.0000"}, "5000.00")  # before the deadline: allowed
    http.clock("2026-03-03T00:00:00+08:00")
    err = http.start(unit, seller, {"COD": "1.0000"}, "5000.00", expect=422)["error"]
    assert err["rule"] == "R16" and "FN-TRD-16" in err["message"] and "2468.00" in err["message"]
    # another unit of the same county is not blocked
    _, other = http.enterprise(XIHU)
    http.start(other, seller, {"COD": "1.0000"}, "5000.00")


def test_R29_surplus_purchase_under_one_tonne_is_green_too(http):
    # SJZ §2(5) exempts the project (< 1 t in all) from the subject review and the deposit whoever
    # sells; buying from a reserve by agreement is what it encourages, not a condition
    seller, _ = http.enterprise(CHANGAN)
    buyer, unit = http.enterprise(CHANGAN)
    http.lot(seller, "SO2", "3.0000")
    inst = http.start(unit, seller, {"SO2": "0.5000"}, "5000.00")
    data = inst["data"]
    assert data["green_channel"] is True and data["deposit"] is None
    assert http.active(inst["id"]) == ["certify"]  # R19: the seller's surplus is certified first
    http.do("h_ca", "certify", {"certify_decision": "certified", "opinion": "可交易"})
    assert "subject_review" not in http.active(inst["id"])  # no trading-subject review
    assert not http.todo("r_ca", "subject_review")


def test_R29_surplus_purchase_of_one_tonne_is_not_green(http):
    seller, _ = http.enterprise(CHANGAN)
    buyer, unit = http.enterprise(CHANGAN)
    http.lot(seller, "SO2", "3.0000")
    inst = http.start(unit, seller, {"SO2": "1.0000"}, "5000.00")
    data = inst["data"]
    assert data["green_channel"] is False  # Hebei, exactly 1 t
    assert data["deposit"] == {"ratio": "0.30", "amount": "1500.00", "status": "due"}
    assert http.active(inst["id"]) == ["certify"]  # the normal route: certification first
    http.do("h_ca", "certify", {"certify_decision": "certified", "opinion": "可交易"})
    assert http.active(inst["id"]) == ["subject_review"]  # then the trading-subject review
    tasks = http.todo("r_ca", "subject_review")
    assert tasks and tasks[0]["summary"]["green_channel"] is False


def test_R29_zhejiang_purchase_under_one_tonne_is_not_green(http):
    buyer, unit = http.enterprise(XIHU)
    http.lot(f"reserve:{XIHU}", "COD", "3.0000")
    # Zhejiang's policy has no green channel: a 0.5 t reserve purchase is a public sale at the
    # fee standard (R20) with a deposit (R27a)
    err = http.start(unit, f"reserve:{XIHU}", {"COD": "0.5000"}, "4000.00",
                     expect=422)["error"]
    assert err["rule"] == "R20" and "浙江省" in err["message"]
    inst = http.start(unit, f"reserve:{XIHU}", {"COD": "0.5000"}, "4000.00", method="auction")
    data = inst["data"]
    assert data["green_channel"] is False and data["method"] == "auction"
    assert data["deposit"]["amount"] == "600.00"
    assert http.active(inst["id"]) == ["subject_review"]
