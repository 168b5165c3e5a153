"""Lease rules at the service level (R31): the term, and leased lots never serving as
substitution (the check trading calls for R18)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from app.common import clock
from app.errors import RuleViolation, ValidationFailed
from app.extensions import db
from app.leasing import services
from app.ledger import services as ledger


def test_R31_term_within_one_calendar_year():
    today = date(2026, 2, 1)
    services.check_term(starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31),
                        today=date(2026, 1, 1))
    services.check_term(starts_on=date(2026, 3, 1), ends_on=date(2026, 3, 1), today=today)
    with pytest.raises(RuleViolation) as exc:
        services.check_term(starts_on=date(2026, 12, 1), ends_on=date(2027, 1, 31), today=today)
    assert exc.value.rule == "R31"
    with pytest.raises(ValidationFailed):
        services.check_term(starts_on=date(2026, 5, 1), ends_on=date(2026, 4, 30), today=today)
    with pytest.raises(ValidationFailed):  # never backdated
        services.check_term(starts_on=date(2026, 1, 31), ends_on=date(2026, 4, 30), today=today)


def _lot(owner, tonnes, *, temporary=False):
    lot = ledger.create_lot(owner=owner, pollutant="COD", tonnes=tonnes,
                            valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31),
                            acquisition="lease" if temporary else "paid", temporary=temporary)
    db.session.commit()
    return lot


def test_R31_assert_not_leased_by_lot_and_by_owner(app, make_enterprise):
    clock.set_now(datetime(2026, 6, 1, 9, tzinfo=clock.SHANGHAI))
    ent = make_enterprise()
    own = _lot(ent.id, "2")
    leased = _lot(ent.id, "5", temporary=True)
    services.assert_not_leased(lot_ids=[own.id])
    with pytest.raises(RuleViolation) as exc:
        services.assert_not_leased(lot_ids=[own.id, leased.id])
    assert exc.value.rule == "R31" and str(leased.id) in str(exc.value)
    assert services.own_tonnes(owner=ent.id, pollutant="COD") == Decimal(2)
    assert services.leased_tonnes(owner=ent.id, pollutant="COD") == Decimal(5)
    services.assert_not_leased(owner=ent.id, pollutant="COD", tonnes="2")
    with pytest.raises(RuleViolation) as exc:  # 7 t held, but only 2 t are its own
        services.assert_not_leased(owner=ent.id, pollutant="COD", tonnes="2.0001")
    assert exc.value.rule == "R31"
