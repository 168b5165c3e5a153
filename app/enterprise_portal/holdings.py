"""What an enterprise holds (R37): its balances per pollutant and its lots, read through the
ledger services the holdings API uses (balances are never recomputed here), with how each lot was
acquired (the cause of the entry that first credited it to the holder), lots that expire soon,
and rights leased in for temporary use (R31)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.enterprises import get_visible_enterprise
from app.auth.models import Enterprise, User
from app.common import clock
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.ledger import services as ledger
from app.ledger.models import PILOT_POLLUTANTS, POLLUTANTS, LedgerEntry, RightsLot

EXPIRY_WARNING_DAYS = 60  # a lot ending within this many days is highlighted on the page


@dataclass(frozen=True)
class LotRow:
    lot: RightsLot
    cause: str  # allocation | trade | lease | registration | buyback | recovery | …
    expiring: bool  # ends within EXPIRY_WARNING_DAYS
    leased_in: bool  # R31: leased from another unit, returns at the lease end

    @property
    def tonnes(self) -> Decimal:
        return self.lot.balance


@dataclass
class Holdings:
    enterprise: Enterprise
    on: date
    balances: dict[str, Decimal]
    lots: list[LotRow]
    leased_in: dict[str, Decimal] = field(default_factory=dict)  # per pollutant
    expiring_count: int = 0


def visible_enterprise(*, user: User, enterprise_id: int) -> Enterprise:
    """The enterprise if `user` may see it (its own users, bureaus over its county, R7); 404
    otherwise, so a page never tells whether another unit exists."""
    try:
        return get_visible_enterprise(user=user, enterprise_id=enterprise_id)
    except Forbidden:
        raise NotFound(_l("排污单位不存在")) from None


def _causes(lots: list[RightsLot]) -> dict[int, str]:
    """Per lot, the cause of its first credit to the holder's account (one query)."""
    if not lots:
        return {}
    accounts = {lot.id: lot.account for lot in lots}
    rows = db.session.execute(
        select(LedgerEntry.lot_id, LedgerEntry.account, LedgerEntry.cause)
        .where(LedgerEntry.lot_id.in_(list(accounts)), LedgerEntry.tonnes > 0)
        .order_by(LedgerEntry.lot_id, LedgerEntry.at, LedgerEntry.id)
    ).all()
    out: dict[int, str] = {}
    for lot_id, account, cause in rows:
        if account == accounts[lot_id]:
            out.setdefault(lot_id, cause)
    return out


def of_enterprise(enterprise: Enterprise, *, on: date | None = None) -> Holdings:
    """Balances and lots as the holdings API gives them (R37; expired lots excluded)."""
    on = on or clock.today()
    owner = ledger.Owner("enterprise", enterprise_id=enterprise.id)
    lots = ledger.lots(owner, on=on)
    causes = _causes(lots)
    soon = on + timedelta(days=EXPIRY_WARNING_DAYS)
    rows = []
    leased: dict[str, Decimal] = {}
    for lot in lots:
        leased_in = bool(lot.temporary) or lot.acquisition == "lease"
        cause = causes.get(lot.id) or ("lease" if leased_in else "registration")
        rows.append(LotRow(lot=lot, cause=cause, expiring=lot.valid_to <= soon,
                           leased_in=leased_in))
        if leased_in:
            leased[lot.pollutant] = leased.get(lot.pollutant, Decimal(0)) + lot.balance
    order = {p: i for i, p in enumerate(POLLUTANTS + PILOT_POLLUTANTS)}
    rows.sort(key=lambda r: (order.get(r.lot.pollutant, 99), r.lot.valid_to, r.lot.id))
    return Holdings(
        enterprise=enterprise, on=on, balances=ledger.balances(owner, on=on), lots=rows,
        leased_in=leased, expiring_count=sum(1 for r in rows if r.expiring),
    )
