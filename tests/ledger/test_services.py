"""Ledger services (R1, R2, R37): registration, moves, derived balances, the books check."""
from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.common import clock
from app.errors import RuleViolation, ValidationFailed
from app.extensions import db
from app.ledger import policy, services
from app.ledger.models import FeeStandard, LedgerEntry, RightsLot
from tests.ledger import helpers as h

TERM = {"valid_from": date(2026, 1, 1), "valid_to": date(2030, 12, 31)}


@pytest.fixture
def ent(app, make_enterprise):
    clock.set_now(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    return make_enterprise()


def _lot(owner, tonnes="10.0000", pollutant="COD", **kw):
    args = {**TERM, "acquisition": "paid", **kw}
    return services.register_lot(owner=owner, pollutant=pollutant, tonnes=tonnes, **args)


def test_R37_registration_is_a_balanced_pair(ent):
    lot = _lot(str(ent.id), "12.5000")
    entries = db.session.scalars(select(LedgerEntry).where(LedgerEntry.lot_id == lot.id)).all()
    assert sorted(e.tonnes for e in entries) == [Decimal("-12.5000"), Decimal("12.5000")]
    assert {e.account for e in entries} == {f"enterprise:{ent.id}", "external:registration"}
    assert {e.cause for e in entries} == {"registration"}
    assert len({e.txn_id for e in entries}) == 1
    assert services.balances(str(ent.id)) == {"COD": Decimal("12.5000")}


def test_R37_balances_sum_lots_and_skip_expired(ent):
    _lot(ent.id, "10.0000")
    _lot(ent.id, "2.5000")
    _lot(ent.id, "3.0000", pollutant="SO2")
    _lot(ent.id, "99.0000", valid_from=date(2021, 1, 1), valid_to=date(2025, 12, 31))
    assert services.balances(ent.id) == {"COD": Decimal("12.5000"), "SO2": Decimal("3.0000")}
    assert [lot.pollutant for lot in services.lots(ent.id)] == ["COD", "COD", "SO2"]


def test_R37_move_splits_a_lot_and_keeps_the_term(ent, make_enterprise):
    buyer = make_enterprise()
    lot = _lot(ent.id, "10.0000")
    movement = services.move(from_lot_id=lot.id, to=str(buyer.id), tonnes="4.0000",
                             cause="trade", instance_id=7, actor_id=1)
    new = db.session.get(RightsLot, movement.to_lot_id)
    assert new.origin_lot_id == lot.id and new.valid_to == date(2030, 12, 31)  # R22 keeps term
    assert services.balances(ent.id) == {"COD": Decimal("6.0000")}
    assert services.balances(buyer.id) == {"COD": Decimal("4.0000")}
    total = db.session.scalar(
        select(func.sum(LedgerEntry.tonnes)).where(LedgerEntry.txn_id == movement.txn_id)
    )
    assert Decimal(total) == 0
    assert services.ledger_check() == []


def test_R37_no_holding_goes_negative(ent):
    lot = _lot(ent.id, "1.0000")
    db.session.commit()
    with pytest.raises(RuleViolation) as err:
        services.move(from_lot_id=lot.id, to="external:expiry", tonnes="1.0001", cause="expiry")
    assert err.value.rule == "R37"
    db.session.rollback()
    assert services.balances(ent.id) == {"COD": Decimal("1.0000")}
    services.move(from_lot_id=lot.id, to="external:expiry", tonnes="1.0000", cause="expiry")
    assert services.balances(ent.id) == {"COD": Decimal("0.0000")}
    assert services.lots(ent.id) == []
    assert services.ledger_check() == []


def test_R37_reserve_account_is_made_on_first_use(ent):
    lot = _lot(f"reserve:{h.HZ}", "5.0000", acquisition="free")
    assert lot.owner_kind == "reserve" and lot.reserve_region == h.HZ
    assert services.balances(f"reserve:{h.HZ}") == {"COD": Decimal("5.0000")}
    services.move(from_lot_id=lot.id, to=ent.id, tonnes="2.0000", cause="trade",
                  acquisition="paid", valid_from=date(2026, 3, 2), valid_to=date(2031, 3, 1))
    assert services.balances(f"reserve:{h.HZ}") == {"COD": Decimal("3.0000")}
    assert services.lots(ent.id)[0].valid_to == date(2031, 3, 1)


def test_R1_more_than_four_decimals_is_refused(ent):
    with pytest.raises(ValidationFailed) as err:
        _lot(ent.id, "1.00001")
    assert "tonnes" in err.value.fields


def test_R2_pilot_pollutant_only_where_switched_on(ent, make_enterprise):
    with pytest.raises(ValidationFailed) as err:
        _lot(ent.id, "1.0000", pollutant="VOCs")
    assert "pollutant" in err.value.fields
    policy.set_pilot_pollutant(region_code=h.HZ, pollutant="VOCs", enabled=True)
    assert _lot(ent.id, "1.0000", pollutant="VOCs").pollutant == "VOCs"  # 西湖区 is under 杭州市
    other = make_enterprise(region_code=h.NB_HS)
    with pytest.raises(ValidationFailed):
        _lot(other.id, "1.0000", pollutant="VOCs")


def test_R37_ledger_check_finds_a_tampered_balance(ent):
    lot = _lot(ent.id, "3.0000")
    assert services.ledger_check() == []
    db.session.execute(
        RightsLot.__table__.update().where(RightsLot.id == lot.id).values(balance=Decimal("4"))
    )
    diffs = services.ledger_check()
    assert [d.kind for d in diffs] == ["balance"]
    assert diffs[0].expected == Decimal("3.0000") and diffs[0].actual == Decimal("4.0000")


def test_R37_entries_are_append_only(ent):
    lot = _lot(ent.id, "3.0000")
    entry = db.session.scalar(select(LedgerEntry).where(LedgerEntry.lot_id == lot.id))
    entry.tonnes = Decimal("5")
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()


def test_R37_concurrent_moves_never_sell_a_tonne_twice(app, ent, make_enterprise):
    lot_id = _lot(ent.id, "1.0000").id
    buyer_ids = [make_enterprise().id, make_enterprise().id]
    db.session.commit()
    outcomes: list[str] = []

    def sell(buyer_id: int) -> None:
        with app.app_context():
            try:
                services.move(from_lot_id=lot_id, to=buyer_id, tonnes="0.6000", cause="trade")
                db.session.commit()
                outcomes.append("ok")
            except RuleViolation:
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sell, args=(b,)) for b in buyer_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok", "refused"]
    db.session.expire_all()
    assert services.balances(ent.id) == {"COD": Decimal("0.4000")}
    assert services.ledger_check() == []


def test_R15_R21_seed_policies_is_idempotent_and_keeps_edits(app):
    assert policy.seed_policies() == 8
    assert policy.fee_standard(province_code="330000", pollutant="COD") == Decimal("4000.00")
    assert policy.fee_standard(province_code="330000", pollutant="SO2") == Decimal("1000.00")
    assert policy.benchmark_price(province_code="130000", pollutant="NH3-N") == Decimal("8000.00")
    assert policy.benchmark_price(province_code="130000", pollutant="NOx") == Decimal("6000.00")
    row = db.session.scalar(select(FeeStandard).where(FeeStandard.pollutant == "NOx"))
    row.yuan_per_tonne_year = Decimal("1200")
    assert policy.seed_policies() == 0
    assert policy.fee_standard(province_code="330000", pollutant="NOx") == Decimal("1200.00")


def test_R15_R21_seed_policies_skips_rows_a_concurrent_request_inserted(app, monkeypatch):
    """Two first trades seed the defaults at once: each checked before the other committed, so
    the second insert meets the unique constraint. It is skipped, not a 500 (bench/load.py)."""
    assert policy.seed_policies() == 8
    db.session.commit()
    monkeypatch.setattr(policy, "fee_standard", lambda **_: None)  # "not there yet" when checked
    monkeypatch.setattr(policy, "benchmark_price", lambda **_: None)
    assert policy.seed_policies() == 0
    db.session.commit()  # the session is still usable: only the savepoints rolled back
    assert db.session.scalar(select(func.count()).select_from(FeeStandard)) == 4
