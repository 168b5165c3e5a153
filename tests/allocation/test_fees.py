"""Fee arithmetic (R1, R15), the five-year period (R14) and the R11 table's threshold as data."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from app import engine
from app.allocation import policy
from app.ledger import fees


def test_R15_whole_years_count_one_and_part_years_by_day():
    assert fees.term(date(2026, 1, 1), date(2030, 12, 31)) == fees.Term(5, 0)
    assert fees.term(date(2026, 3, 18), date(2030, 12, 31)) == fees.Term(4, 289)
    assert fees.term(date(2028, 2, 1), date(2028, 12, 31)).part_days == 335  # leap year: /365


def test_R1_R15_amount_rounds_half_up_to_the_fen():
    span = fees.Term(0, 73)  # 73/365 = 0.2 of a year
    assert fees.line_amount(Decimal("0.0001"), Decimal("4000"), fees.Term(4, 289)) == \
        Decimal("1.92")
    assert fees.line_amount(Decimal("1.0000"), Decimal("0.025"), span) == Decimal("0.01")


def test_R14_period_from_policy(app):
    assert policy.period_for(date(2025, 10, 10)) == policy.Period(date(2026, 1, 1),
                                                                  date(2030, 12, 31))
    assert policy.period_for(date(2031, 6, 1)) == policy.Period(date(2031, 1, 1),
                                                                date(2035, 12, 31))
    policy.set_value(name="period_years", value_text="3")
    assert policy.period_for(date(2029, 1, 1)).ends_on == date(2031, 12, 31)


def test_R11_threshold_lives_in_the_table(app, tmp_path):
    from app.config import ROOT

    text = (ROOT / "bpmn" / "allocation_level.dmn").read_text(encoding="utf-8")
    (tmp_path / "allocation_level.dmn").write_text(text.replace("&gt;= 300", "&gt;= 600"),
                                                   encoding="utf-8")
    decide = {"coal_power": True, "capacity_mw": Decimal("300.0")}
    assert engine.decide("allocation_level", decide)["allocating_level"] == "province"
    app.config["ERFLOW_BPMN_DIR"] = str(tmp_path)
    assert engine.decide("allocation_level", decide)["allocating_level"] == "city"
