"""Reserve services (R33–R35, R37): three-level cover, sale priority, the expiry sweep the worker
runs, the 60-day reminder, fraud marking."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.common import clock
from app.errors import RuleViolation
from app.extensions import db
from app.ledger import services as ledger
from app.notifications.models import Notification
from app.reserve import services


def _lot(owner, tonnes, *, valid_to=date(2030, 12, 31), acquisition="free"):
    lot = ledger.create_lot(owner=owner, pollutant="COD", tonnes=tonnes,
                            valid_from=date(2026, 1, 1), valid_to=valid_to,
                            acquisition=acquisition)
    db.session.commit()
    return lot


@pytest.fixture
def day(app, make_region_tree):
    make_region_tree()
    clock.set_now(datetime(2026, 3, 2, 9, tzinfo=clock.SHANGHAI))


def test_R34_superiors_are_city_then_province(day):
    assert services.superiors("330106") == ["330100", "330000"]
    assert services.superiors("330000") == []


def test_R34_cover_takes_the_city_before_the_province_and_refuses_beyond(day):
    _lot("reserve:330100", "1")
    _lot("reserve:330000", "10")
    moves = services.cover(region_code="330106", pollutant="COD", tonnes="3")
    assert [(m["from_region"], m["tonnes"], m["kind"]) for m in moves] == [
        ("330100", "1.0000", "调配交易"), ("330000", "2.0000", "调配交易")]
    assert services.cover(region_code="330106", pollutant="COD", tonnes="3") == []
    with pytest.raises(RuleViolation) as exc:
        services.cover(region_code="330106", pollutant="COD", tonnes="12")
    assert exc.value.rule == "R34" and exc.value.status == 409
    db.session.rollback()
    assert ledger.ledger_check() == []


def test_R35_major_projects_sort_first():
    apps = [{"id": 1, "applied_at": "2026-01-01"}, {"id": 2, "major_project": True,
                                                    "applied_at": "2026-02-01"},
            {"id": 3, "applied_at": "2025-12-01"}]
    assert [a["id"] for a in sorted(apps, key=services.sale_priority)] == [2, 3, 1]


def test_R37_worker_records_expiry_once_a_day_and_reminds_60_days_ahead(day, make_enterprise,
                                                                        make_user):
    from app.engine.worker import run_round

    ent = make_enterprise()
    user = make_user(roles=("enterprise",), enterprise=ent)
    lot = _lot(ent.id, "5", valid_to=date(2026, 4, 30), acquisition="paid")
    services._last_sweep.clear()
    run_round()  # 2026-03-02: 59 days ahead → reminded
    assert [r["lot_id"] for r in services.reminders(enterprise_id=ent.id)] == [lot.id]
    run_round()
    assert len(services.reminders(enterprise_id=ent.id)) == 1
    notes = db.session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.ref == f"expiry:lot:{lot.id}")).all()
    assert len(notes) == 1 and "2026-04-30" in notes[0].title
    clock.set_now(datetime(2026, 5, 1, 0, 0, tzinfo=clock.SHANGHAI))
    assert ledger.balances(ent.id) == {}  # stops counting on the day
    run_round()
    db.session.expire_all()
    assert db.session.get(type(lot), lot.id).balance == 0
    assert services.expire_lots() == 0  # once only
    assert ledger.ledger_check() == []


def test_R36_mark_fraud_sets_the_credit_flag(day, make_enterprise):
    ent = make_enterprise()
    services.mark_fraud(enterprise_id=ent.id, instance_id=None)
    db.session.commit()
    assert "欺诈" in ent.credit_flag


def test_R31_sweep_returns_a_leased_lot_to_its_lessor_instead_of_expiring_it(day,
                                                                             make_enterprise):
    lessor, lessee = make_enterprise(), make_enterprise()
    own = _lot(lessor.id, "5", acquisition="paid")
    moved = ledger.move(from_lot_id=own.id, to=lessee.id, tonnes="2", cause="lease",
                        valid_from=date(2026, 3, 2), valid_to=date(2026, 3, 31),
                        acquisition="lease", temporary=True)
    db.session.commit()
    clock.set_now(datetime(2026, 4, 1, 0, 0, tzinfo=clock.SHANGHAI))
    assert services.expire_lots() == 0
    db.session.commit()
    assert ledger.balances(lessor.id) == {"COD": Decimal("5.0000")}
    assert db.session.get(type(own), moved.to_lot_id).balance == 0
    assert ledger.ledger_check() == []
