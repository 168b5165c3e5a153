"""Ledger operations (R1, R2, R37): register and move rights, derive balances, check the books.

Every movement is one balanced transaction of entries (their tonnes sum to zero); a lot's
`balance` cache is changed only by a conditional UPDATE (`… WHERE balance >= :q`), which is atomic
on SQLite and PostgreSQL alike, so concurrent requests can never take the same tonne twice.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from app.auth.models import Enterprise, Region
from app.common import clock
from app.common.money import to_tonnes
from app.errors import RuleViolation, Text, ValidationFailed
from app.extensions import db
from app.ledger import policy
from app.ledger.models import (
    ACQUISITIONS,
    CAUSES,
    PILOT_POLLUTANTS,
    POLLUTANTS,
    LedgerEntry,
    ReserveAccount,
    RightsLot,
)


@dataclass(frozen=True)
class Owner:
    """Who holds rights: an enterprise, a region's reserve, or (counter-account) the outside."""

    kind: str  # enterprise | reserve | external
    enterprise_id: int | None = None
    region_code: str | None = None
    cause: str | None = None

    @property
    def account(self) -> str:
        if self.kind == "enterprise":
            return f"enterprise:{self.enterprise_id}"
        if self.kind == "reserve":
            return f"reserve:{self.region_code}"
        return f"external:{self.cause}"

    @classmethod
    def parse(cls, text: str | int) -> Owner:
        """`"5"`, `5`, `"enterprise:5"`, `"reserve:330100"` or `"external:expiry"`."""
        raw = str(text).strip()
        kind, _, rest = raw.rpartition(":")
        if kind in ("", "enterprise") and rest.isdigit():
            return cls("enterprise", enterprise_id=int(rest))
        if kind == "reserve" and rest:
            return cls("reserve", region_code=rest)
        if kind == "external" and rest in CAUSES:
            return cls("external", cause=rest)
        raise ValueError(f"not an owner: {text!r}")

    @classmethod
    def of_lot(cls, lot: RightsLot) -> Owner:
        if lot.owner_kind == "enterprise":
            return cls("enterprise", enterprise_id=lot.enterprise_id)
        return cls("reserve", region_code=lot.reserve_region)


@dataclass(frozen=True)
class Movement:
    txn_id: str
    from_lot_id: int
    to_lot_id: int | None  # None when the rights left the system (expiry, …)
    tonnes: Decimal


@dataclass(frozen=True)
class Difference:
    kind: str  # balance | negative | unbalanced | account
    subject: str  # "lot 12" or "txn …"
    expected: Decimal
    actual: Decimal
    message: str


def _as_owner(owner: Owner | str | int) -> Owner:
    return owner if isinstance(owner, Owner) else Owner.parse(owner)


def owner_region(owner: Owner) -> str | None:
    """The region whose policy applies to `owner` (None when it does not exist)."""
    if owner.kind == "enterprise":
        ent = db.session.get(Enterprise, owner.enterprise_id)
        return ent.region_code if ent else None
    if owner.kind == "reserve":
        return owner.region_code if db.session.get(Region, owner.region_code) else None
    return None


def ensure_reserve(*, region_code: str) -> ReserveAccount:
    """The region's reserve account (R33), made on first use."""
    row = db.session.scalar(select(ReserveAccount).where(ReserveAccount.region_code == region_code))
    if row is None:
        row = ReserveAccount(region_code=region_code, created_at=clock.now())
        db.session.add(row)
        db.session.flush()
    return row


def _entry(txn: str, lot_id: int, account: str, pollutant: str, tonnes: Decimal, cause: str,
           **ref) -> LedgerEntry:
    row = LedgerEntry(txn_id=txn, lot_id=lot_id, account=account, pollutant=pollutant,
                      tonnes=tonnes, cause=cause, at=clock.now(), **ref)
    db.session.add(row)
    return row


def create_lot(
    *,
    owner: Owner | str | int,
    pollutant: str,
    tonnes: Decimal | str,
    valid_from: date,
    valid_to: date,
    acquisition: str,
    cause: str = "registration",
    temporary: bool = False,
    certificate_no: str | None = None,
    instance_id: int | None = None,
    task_id: str | None = None,
    actor_id: int | None = None,
) -> RightsLot:
    """Bring rights into the ledger from outside (R1, R2, R37): allocation or registration.

    The lot is credited and `external:<cause>` debited in one balanced transaction."""
    errors: dict[str, list[Text]] = {}
    try:
        parsed = _as_owner(owner)
        region = owner_region(parsed) if parsed.kind != "external" else None
        if region is None:
            errors["owner"] = [_l("持有人不存在：%(owner)s", owner=owner)]
    except ValueError:
        parsed, region = None, None
        errors["owner"] = [_l("持有人格式有误：%(owner)s（应为企业编号或 reserve:行政区划代码）",
                                owner=owner)]
    try:
        amount = to_tonnes(tonnes)
        if amount <= 0:
            errors["tonnes"] = [_l("数量须大于 0")]
    except (ValueError, TypeError) as exc:
        amount = Decimal(0)
        msg = _l("最多保留 4 位小数（0.0001 吨）") if "R1" in str(exc) else _l("不是有效数字")
        errors["tonnes"] = [msg]
    if region is not None and pollutant not in policy.allowed_pollutants(region_code=region):
        errors["pollutant"] = [_l("该地区不适用的污染物：%(name)s", name=pollutant)]
    elif region is None and pollutant not in POLLUTANTS + PILOT_POLLUTANTS:
        errors["pollutant"] = [_l("未知的污染物：%(name)s", name=pollutant)]
    if valid_to < valid_from:
        errors["valid_to"] = [_l("有效期止不得早于有效期起")]
    if acquisition not in ACQUISITIONS:
        errors["acquisition"] = [_l("取得方式有误：%(value)s", value=acquisition)]
    if cause not in CAUSES:
        errors["cause"] = [_l("未知的记账原因：%(value)s", value=cause)]
    if errors or parsed is None:
        raise ValidationFailed(_l("排污权批次数据有误"), fields=errors)
    if parsed.kind == "reserve":
        ensure_reserve(region_code=parsed.region_code)

    lot = RightsLot(
        owner_kind=parsed.kind,
        enterprise_id=parsed.enterprise_id,
        reserve_region=parsed.region_code,
        pollutant=pollutant,
        valid_from=valid_from,
        valid_to=valid_to,
        acquisition=acquisition,
        temporary=temporary,
        certificate_no=certificate_no,
        balance=amount,
        created_at=clock.now(),
    )
    db.session.add(lot)
    db.session.flush()
    txn = str(uuid.uuid4())
    ref = {"instance_id": instance_id, "task_id": task_id, "actor_id": actor_id}
    _entry(txn, lot.id, parsed.account, pollutant, amount, cause, **ref)
    _entry(txn, lot.id, f"external:{cause}", pollutant, -amount, cause, **ref)
    db.session.flush()
    return lot


def register_lot(**kwargs) -> RightsLot:
    """Register rights that exist from before the system (存量登记, R37): cause `registration`."""
    kwargs["cause"] = "registration"
    return create_lot(**kwargs)


def _take(lot_id: int, amount: Decimal) -> RightsLot:
    """Lock the lot and take `amount` from its balance, never below zero (R37)."""
    lot = db.session.scalar(
        select(RightsLot).where(RightsLot.id == lot_id).with_for_update()  # row lock on PG
    )
    if lot is None:
        raise ValidationFailed(_l("批次不存在"),
                               fields={"lot_id": [_l("批次不存在：%(id)s", id=lot_id)]})
    taken = db.session.execute(
        update(RightsLot)
        .where(RightsLot.id == lot_id, RightsLot.balance >= amount)
        .values(balance=RightsLot.balance - amount)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(lot)
    if taken != 1:
        raise RuleViolation("R37", _l("批次 #%(id)s 余额不足：现有 %(have)s 吨，需要 %(need)s 吨",
                                      id=lot_id, have=lot.balance, need=amount), status=409)
    return lot


def _give(lot_id: int, amount: Decimal) -> None:
    db.session.execute(
        update(RightsLot)
        .where(RightsLot.id == lot_id)
        .values(balance=RightsLot.balance + amount)
        .execution_options(synchronize_session=False)
    )


def move(
    *,
    from_lot_id: int,
    to: Owner | str | int,
    tonnes: Decimal | str,
    cause: str,
    to_lot_id: int | None = None,
    valid_from: date | None = None,
    valid_to: date | None = None,
    acquisition: str | None = None,
    temporary: bool = False,
    certificate_no: str | None = None,
    instance_id: int | None = None,
    task_id: str | None = None,
    actor_id: int | None = None,
    note: str | None = None,
) -> Movement:
    """Move `tonnes` out of a lot (R37): to another owner (a new lot split from it, or `to_lot_id`),
    or out of the system (`external:<cause>`, e.g. expiry). Refuses to go below zero (409, R37).

    A new lot keeps the source's term and acquisition unless given (R22 transferred surplus)."""
    if cause not in CAUSES:
        raise ValueError(f"unknown ledger cause {cause!r}")
    amount = to_tonnes(tonnes)
    if amount <= 0:
        raise ValidationFailed(_l("数量须大于 0"), fields={"tonnes": [_l("数量须大于 0")]})
    dest = _as_owner(to)
    source = _take(from_lot_id, amount)
    ref = {"instance_id": instance_id, "task_id": task_id, "actor_id": actor_id, "note": note}
    txn = str(uuid.uuid4())
    _entry(txn, source.id, source.account, source.pollutant, -amount, cause, **ref)
    if dest.kind == "external":
        _entry(txn, source.id, dest.account, source.pollutant, amount, cause, **ref)
        db.session.flush()
        return Movement(txn, source.id, None, amount)
    if to_lot_id is not None:
        target = db.session.scalar(
            select(RightsLot).where(RightsLot.id == to_lot_id).with_for_update()
        )
        if target is None or target.account != dest.account or target.pollutant != source.pollutant:
            raise ValueError(f"lot {to_lot_id} is not {dest.account}'s {source.pollutant} lot")
        _give(target.id, amount)
        db.session.refresh(target)
    else:
        if dest.kind == "reserve":
            ensure_reserve(region_code=dest.region_code)
        target = RightsLot(
            owner_kind=dest.kind,
            enterprise_id=dest.enterprise_id,
            reserve_region=dest.region_code,
            pollutant=source.pollutant,
            valid_from=valid_from or source.valid_from,
            valid_to=valid_to or source.valid_to,
            acquisition=acquisition or source.acquisition,
            origin_lot_id=source.id,
            temporary=temporary,
            certificate_no=certificate_no,
            balance=amount,
            created_at=clock.now(),
        )
        db.session.add(target)
        db.session.flush()
    _entry(txn, target.id, dest.account, source.pollutant, amount, cause, **ref)
    db.session.flush()
    return Movement(txn, source.id, target.id, amount)


def balances(owner: Owner | str | int, *, on: date | None = None) -> dict[str, Decimal]:
    """Per-pollutant holdings derived from the entries (R37); expired lots do not count."""
    owner = _as_owner(owner)
    on = on or clock.today()
    rows = db.session.execute(
        select(LedgerEntry.pollutant, func.sum(LedgerEntry.tonnes))
        .join(RightsLot, RightsLot.id == LedgerEntry.lot_id)
        .where(LedgerEntry.account == owner.account, RightsLot.valid_to >= on)
        .group_by(LedgerEntry.pollutant)
    ).all()
    order = {p: i for i, p in enumerate(POLLUTANTS + PILOT_POLLUTANTS)}
    result = {p: to_tonnes(Decimal(total or 0)) for p, total in rows}
    return dict(sorted(result.items(), key=lambda kv: order.get(kv[0], 99)))


def lots(owner: Owner | str | int, *, on: date | None = None) -> list[RightsLot]:
    """The owner's unexpired lots with rights left, by pollutant then expiry."""
    owner = _as_owner(owner)
    on = on or clock.today()
    query = select(RightsLot).where(
        RightsLot.owner_kind == owner.kind, RightsLot.valid_to >= on, RightsLot.balance > 0
    )
    if owner.kind == "enterprise":
        query = query.where(RightsLot.enterprise_id == owner.enterprise_id)
    else:
        query = query.where(RightsLot.reserve_region == owner.region_code)
    return list(db.session.scalars(query.order_by(RightsLot.pollutant, RightsLot.valid_to,
                                                  RightsLot.id)))


def ledger_check() -> list[Difference]:
    """Recompute the books (R37): each lot's balance from its entries against the cached
    balance, no negative lot, every transaction summing to zero per pollutant, and every entry
    posted to its lot's owner."""
    diffs: list[Difference] = []
    sums = dict(
        db.session.execute(
            select(LedgerEntry.lot_id, func.sum(LedgerEntry.tonnes))
            .join(RightsLot, RightsLot.id == LedgerEntry.lot_id)
            .where(~LedgerEntry.account.startswith("external:"))
            .group_by(LedgerEntry.lot_id)
        ).all()
    )
    # Columns, not ORM objects: read what the database holds, never a stale identity map.
    for lot_id, cached in db.session.execute(
        select(RightsLot.id, RightsLot.balance).order_by(RightsLot.id)
    ).all():
        derived = to_tonnes(Decimal(sums.get(lot_id) or 0))
        if derived != cached:
            diffs.append(Difference("balance", f"lot {lot_id}", derived, cached,
                                    f"lot {lot_id}: entries give {derived}, cached {cached}"))
        if derived < 0:
            diffs.append(Difference("negative", f"lot {lot_id}", Decimal(0), derived,
                                    f"lot {lot_id} is negative: {derived}"))
    stray = db.session.execute(
        select(LedgerEntry.id, LedgerEntry.account, RightsLot.id, RightsLot.owner_kind,
               RightsLot.enterprise_id, RightsLot.reserve_region)
        .join(RightsLot, RightsLot.id == LedgerEntry.lot_id)
        .where(~LedgerEntry.account.startswith("external:"))
    ).all()
    for entry_id, account, lot_id, kind, ent, region in stray:
        owner = f"enterprise:{ent}" if kind == "enterprise" else f"reserve:{region}"
        if account != owner:
            diffs.append(Difference("account", f"entry {entry_id}", Decimal(0), Decimal(0),
                                    f"entry {entry_id}: {account} on {owner}'s lot {lot_id}"))
    for txn, pollutant, total in db.session.execute(
        select(LedgerEntry.txn_id, LedgerEntry.pollutant, func.sum(LedgerEntry.tonnes))
        .group_by(LedgerEntry.txn_id, LedgerEntry.pollutant)
    ).all():
        total = to_tonnes(Decimal(total or 0))
        if total != 0:
            diffs.append(Difference("unbalanced", f"txn {txn}", Decimal(0), total,
                                    f"transaction {txn} ({pollutant}) sums to {total}"))
    return diffs
