"""Government reserves (R33–R36) and expiry (R37): buyback and recovery around the `buyback` and
`recovery` diagrams, the three-level cover of a county reserve by its city then province reserve
by an allocation trade (调配交易, R34), the order of reserve sales (R35), reserve history, and the
expiry sweep with its 60-day reminder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import engine
from app.auth.models import Enterprise, Region
from app.common import clock
from app.common.money import fmt_tonnes, fmt_yuan, to_tonnes, to_yuan
from app.engine.hooks import register_periodic, register_process, register_script_function
from app.engine.models import AuditEvent
from app.engine.types import StartSpec
from app.errors import RuleViolation, ValidationFailed
from app.extensions import db
from app.ledger import policy as ledger_policy
from app.ledger import services as ledger
from app.ledger.models import LedgerEntry, RightsLot

ALLOCATION_TRADE = "调配交易"  # R34: how a cover movement is recorded (cause trade, this note)
RECOVERY_REASONS = {  # R33, R36: free recovery (无偿收回)
    "closure": "关闭",
    "bankruptcy": "破产",
    "ban": "被依法取缔",
    "moved": "迁出",
    "expired_unrenewed": "期满未延续",
    "not_started": "项目满5年未开工",
    "fraud": "以欺诈等不正当手段取得",
}
# Reasons that recover only freely acquired rights (R33); the others take any rights concerned.
FREE_ONLY_REASONS = ("closure", "bankruptcy", "ban", "moved")
REMIND_DAYS = 60
RESERVE_SALE_YEARS = 5  # R22: rights sold from a reserve are valid 5 years from the sale


def reserve_sale_valid_to(deal_day: date) -> date:
    """R22: the last day (inclusive, as every lot's `valid_to`) of rights sold from a reserve on
    `deal_day`. The term counts the deal day itself, so it ends the day before the fifth
    anniversary (2026-03-02 → 2031-03-01). A deal on 29 February has no anniversary in a common
    year: the anniversary is 1 March and the rights end on 28 February (2028-02-29 → 2033-02-28),
    a full five years and the same last day 《民法典》第202条 gives a bureau (no corresponding day
    in the final month → that month's last day). 02-27 would cut a day off; 03-01 would add one."""
    try:
        anniversary = deal_day.replace(year=deal_day.year + RESERVE_SALE_YEARS)
    except ValueError:  # 29 February, five years on in a common year
        anniversary = date(deal_day.year + RESERVE_SALE_YEARS, 3, 1)
    return anniversary - timedelta(days=1)


# -- shared helpers ------------------------------------------------------------------------------

def parse_amounts(raw: Any, *, region_code: str, required: bool = True) -> dict[str, str]:
    """Tonnes per pollutant (R1, R2); empty → {} when not required (meaning "all")."""
    return ledger_policy.parse_amounts(raw, region_code=region_code, required=required)


def _enterprise(value: Any, field: str = "enterprise_id") -> Enterprise:
    try:
        ent = db.session.get(Enterprise, int(value))
    except (TypeError, ValueError):
        ent = None
    if ent is None:
        raise ValidationFailed(_l("排污单位不存在"), fields={field: [_l("排污单位不存在")]})
    return ent


def _own_lots(enterprise_id: int, pollutant: str, acquisitions: tuple[str, ...] | None
              ) -> list[RightsLot]:
    owner = ledger.Owner("enterprise", enterprise_id=enterprise_id)
    return [lot for lot in ledger.lots(owner) if lot.pollutant == pollutant and not lot.temporary
            and (acquisitions is None or lot.acquisition in acquisitions)]


def _available(enterprise_id: int, pollutant: str, acquisitions: tuple[str, ...] | None
               ) -> Decimal:
    return sum((lot.balance for lot in _own_lots(enterprise_id, pollutant, acquisitions)),
               Decimal(0))


def _take_to_reserve(*, enterprise_id: int, amounts: dict[str, str], region_code: str,
                     cause: str, acquisitions: tuple[str, ...] | None, note: str,
                     actor_id: int | None = None) -> list[dict]:
    """Move tonnes of the unit's own lots into a reserve (R33, R37), earliest expiry first."""
    instance_id = engine.current_instance_id()
    legs: list[dict] = []
    for pollutant, tonnes in amounts.items():
        left = Decimal(tonnes)
        if _available(enterprise_id, pollutant, acquisitions) < left:
            raise RuleViolation("R33", _l("%(pollutant)s 可收回（回购）的排污权不足 %(tonnes)s 吨",
                                          pollutant=pollutant, tonnes=tonnes))
        for lot in _own_lots(enterprise_id, pollutant, acquisitions):
            if left <= 0:
                break
            part = min(left, lot.balance)
            moved = ledger.move(from_lot_id=lot.id, to=ledger.Owner("reserve",
                                                                    region_code=region_code),
                                tonnes=part, cause=cause, acquisition="free",
                                instance_id=instance_id, actor_id=actor_id, note=note)
            legs.append({"pollutant": pollutant, "tonnes": fmt_tonnes(part), "from_lot": lot.id,
                         "reserve_lot": moved.to_lot_id})
            left -= part
    return legs


def _all_amounts(enterprise_id: int, acquisitions: tuple[str, ...] | None) -> dict[str, str]:
    owner = ledger.Owner("enterprise", enterprise_id=enterprise_id)
    totals: dict[str, Decimal] = {}
    for lot in ledger.lots(owner):
        if not lot.temporary and (acquisitions is None or lot.acquisition in acquisitions):
            totals[lot.pollutant] = totals.get(lot.pollutant, Decimal(0)) + lot.balance
    return {p: fmt_tonnes(t) for p, t in totals.items() if t > 0}


# -- buyback (有偿回购, R33) ---------------------------------------------------------------------

def buyback_prepare_start(data: dict, actor) -> StartSpec:
    """R33: a unit (or a bureau handler on its behalf) applies to sell paid-for rights back to
    the reserve of its own bureau: `{"enterprise_id"?, "amounts", "price_per_tonne"}`."""
    ent = _enterprise(getattr(actor, "enterprise_id", None) or data.get("enterprise_id"))
    amounts = parse_amounts(data.get("amounts"), region_code=ent.region_code)
    for pollutant, tonnes in amounts.items():
        have = _available(ent.id, pollutant, ("paid",))
        if have < Decimal(tonnes):
            raise RuleViolation("R33", _l(
                "仅有偿取得的排污权可申请回购：%(pollutant)s 有偿取得且未到期的为 %(have)s 吨，"
                "不足 %(tonnes)s 吨", pollutant=pollutant, have=fmt_tonnes(have), tonnes=tonnes))
    try:
        price = to_yuan(data.get("price_per_tonne"))
        if price < 0:
            raise ValueError
    except (TypeError, ValueError, ArithmeticError):
        raise ValidationFailed(_l("回购价格有误"),
                               fields={"price_per_tonne": [_l("请填写每吨价格（元）")]}) from None
    shaped = {"enterprise_id": ent.id, "amounts": amounts, "price_per_tonne": fmt_yuan(price),
              "reserve_region": ent.region_code, "decision": None, "legs": [],
              "total_price": None, "status": "applied"}
    return StartSpec(data=shaped, handling_region=ent.region_code, enterprise_id=ent.id,
                     business_key=f"HG-{clock.today():%Y}-{ent.id:06d}")


def do_buyback(enterprise_id: int, amounts: dict, price_per_tonne: str, reserve_region: str
               ) -> dict:
    """Script function (R33, R37): paid rights move to the bureau's reserve (cause `buyback`);
    the price paid is recorded."""
    price = Decimal(str(price_per_tonne))
    legs = _take_to_reserve(enterprise_id=int(enterprise_id), amounts=amounts,
                            region_code=reserve_region, cause="buyback",
                            acquisitions=("paid",), note=f"有偿回购 {price_per_tonne} 元/吨")
    total = sum((Decimal(t) for t in amounts.values()), Decimal(0)) * price
    return {"legs": legs, "total_price": fmt_yuan(total)}


def buyback_summarize(data: dict) -> dict:
    keys = ("enterprise_id", "amounts", "price_per_tonne", "total_price", "reserve_region",
            "decision", "opinion", "legs", "status")
    return {k: data.get(k) for k in keys}


# -- recovery (无偿收回, R33, R36) ---------------------------------------------------------------

def recovery_prepare_start(data: dict, actor) -> StartSpec:
    """R33, R36: a bureau handler recovers a unit's rights free of charge into its own reserve:
    `{"enterprise_id", "reason", "amounts"?}` (no amounts: everything the reason covers)."""
    ent = _enterprise(data.get("enterprise_id"))
    reason = data.get("reason")
    if reason not in RECOVERY_REASONS:
        raise ValidationFailed(_l("收回事由有误"), fields={"reason": [
            _l("应为 %(choices)s", choices=" | ".join(RECOVERY_REASONS))]})
    acquisitions = ("free",) if reason in FREE_ONLY_REASONS else None
    amounts = parse_amounts(data.get("amounts"), region_code=ent.region_code, required=False)
    if not amounts:
        amounts = _all_amounts(ent.id, acquisitions)
    if not amounts:
        raise RuleViolation("R33", _l("%(name)s 没有可收回的排污权（仅无偿取得的可收回）",
                                      name=ent.name) if acquisitions
                            else _l("%(name)s 没有可收回的排污权", name=ent.name))
    for pollutant, tonnes in amounts.items():
        have = _available(ent.id, pollutant, acquisitions)
        if have < Decimal(tonnes):
            raise RuleViolation("R33", _l(
                "%(pollutant)s 可收回的排污权为 %(have)s 吨，不足 %(tonnes)s 吨",
                pollutant=pollutant, have=fmt_tonnes(have), tonnes=tonnes))
    region = getattr(actor, "region_code", None) or ent.region_code
    shaped = {"enterprise_id": ent.id, "reason": reason, "reason_text": RECOVERY_REASONS[reason],
              "amounts": amounts, "free_only": acquisitions is not None,
              "reserve_region": region, "decision": None, "legs": [], "status": "applied",
              "note": str(data.get("note") or "")[:200]}
    return StartSpec(data=shaped, handling_region=region, enterprise_id=ent.id,
                     business_key=f"SH-{clock.today():%Y}-{ent.id:06d}")


def do_recovery(enterprise_id: int, amounts: dict, reason: str, reserve_region: str,
                free_only: bool) -> dict:
    """Script function (R33, R36, R37): rights move free of charge to the acting bureau's reserve
    (cause `recovery`); fraud marks the unit's credit record (R36)."""
    legs = _take_to_reserve(enterprise_id=int(enterprise_id), amounts=amounts,
                            region_code=reserve_region, cause="recovery",
                            acquisitions=("free",) if free_only else None,
                            note=f"无偿收回：{RECOVERY_REASONS.get(reason, reason)}")
    if reason == "fraud":
        mark_fraud(enterprise_id=int(enterprise_id), instance_id=engine.current_instance_id())
    return {"legs": legs}


def mark_fraud(*, enterprise_id: int, instance_id: int | None = None) -> Enterprise:
    """R36: mark the unit's credit record (the reason and when)."""
    ent = db.session.get(Enterprise, enterprise_id)
    ent.credit_flag = (f"{clock.today().isoformat()} 以欺诈手段取得排污权，已无偿收回"
                       + (f"（流程 {instance_id}）" if instance_id else ""))[:200]
    db.session.add(AuditEvent(at=clock.now(), instance_id=instance_id, action="credit_flagged",
                              detail={"enterprise_id": enterprise_id, "rule": "R36",
                                      "flag": ent.credit_flag}))
    db.session.flush()
    return ent


def recovery_summarize(data: dict) -> dict:
    keys = ("enterprise_id", "reason", "reason_text", "amounts", "reserve_region", "decision",
            "opinion", "legs", "status")
    return {k: data.get(k) for k in keys}


for _name, _fn in (("do_buyback", do_buyback), ("do_recovery", do_recovery)):
    register_script_function(_name, _fn)
register_process("buyback", prepare_start=buyback_prepare_start, summarize=buyback_summarize)
register_process("recovery", prepare_start=recovery_prepare_start,
                 summarize=recovery_summarize)


# -- three-level cover (R34) and reserve sales (R35) ---------------------------------------------

def superiors(region_code: str) -> list[str]:
    """The region's ancestors from the nearest up to the province (R7 tree)."""
    region = db.session.get(Region, region_code)
    if region is None:
        return []
    path = [c for c in region.path.split("/") if c and c != region_code]
    return list(reversed(path))


def _reserve_lots(region_code: str, pollutant: str, on: date) -> list[RightsLot]:
    owner = ledger.Owner("reserve", region_code=region_code)
    return [lot for lot in ledger.lots(owner, on=on) if lot.pollutant == pollutant]


def reserve_tonnes(*, region_code: str, pollutant: str) -> Decimal:
    return sum((lot.balance for lot in _reserve_lots(region_code, pollutant, clock.today())),
               Decimal(0))


def available_with_cover(*, region_code: str, pollutant: str) -> Decimal:
    """What a sale from `region_code`'s reserve can draw on: its own reserve plus, by allocation
    trades, the city's and the province's (R34)."""
    return sum(
        (reserve_tonnes(region_code=code, pollutant=pollutant)
         for code in [region_code, *superiors(region_code)]),
        Decimal(0),
    )


def cover(*, region_code: str, pollutant: str, tonnes: Decimal | str,
          instance_id: int | None = None, actor_id: int | None = None) -> list[dict]:
    """R34: when the reserve of `region_code` holds less than `tonnes`, move the shortfall into it
    from the city, then the province reserve, by an allocation trade (调配交易: cause `trade`,
    note 调配交易). Returns the allocation trades made; 409 R34 when even the province cannot
    cover it (nothing is moved then: the caller's transaction rolls back)."""
    need = to_tonnes(tonnes) - reserve_tonnes(region_code=region_code, pollutant=pollutant)
    moves: list[dict] = []
    for upper in superiors(region_code):
        if need <= 0:
            break
        for lot in _reserve_lots(upper, pollutant, clock.today()):
            if need <= 0:
                break
            part = min(need, lot.balance)
            moved = ledger.move(from_lot_id=lot.id, to=ledger.Owner("reserve",
                                                                    region_code=region_code),
                                tonnes=part, cause="trade", instance_id=instance_id,
                                actor_id=actor_id, note=ALLOCATION_TRADE)
            moves.append({"from_region": upper, "to_region": region_code,
                          "pollutant": pollutant, "tonnes": fmt_tonnes(part),
                          "txn_id": moved.txn_id, "kind": ALLOCATION_TRADE})
            need -= part
    if need > 0:
        raise RuleViolation("R34", _l("本级及上级政府储备的 %(pollutant)s 均不足，尚缺 %(need)s 吨",
                                      pollutant=pollutant, need=fmt_tonnes(need)), status=409)
    return moves


def sell_from_reserve(*, region_code: str, enterprise_id: int, amounts: dict[str, str],
                      price_per_tonne: Decimal | str | None = None,
                      instance_id: int | None = None, actor_id: int | None = None) -> dict:
    """A reserve sale to a unit (R33–R34, R37): covered from the superior reserves first when
    short (R34), then moved to the unit as paid rights (cause `trade`) valid five years from
    the sale (R22, as a reserve sale by trade)."""
    ent = db.session.get(Enterprise, enterprise_id)
    if ent is None:
        raise ValidationFailed(_l("排污单位不存在"),
                               fields={"enterprise_id": [_l("排污单位不存在")]})
    covers: list[dict] = []
    legs: list[dict] = []
    today = clock.today()
    valid_to = reserve_sale_valid_to(today)  # R22
    for pollutant, tonnes in amounts.items():
        covers += cover(region_code=region_code, pollutant=pollutant, tonnes=tonnes,
                        instance_id=instance_id, actor_id=actor_id)
        left = Decimal(tonnes)
        for lot in _reserve_lots(region_code, pollutant, clock.today()):
            if left <= 0:
                break
            part = min(left, lot.balance)
            moved = ledger.move(from_lot_id=lot.id, to=ledger.Owner(
                "enterprise", enterprise_id=enterprise_id), tonnes=part, cause="trade",
                valid_from=today, valid_to=valid_to, acquisition="paid",
                instance_id=instance_id, actor_id=actor_id, note="政府储备出让")
            legs.append({"pollutant": pollutant, "tonnes": fmt_tonnes(part),
                         "lot_id": moved.to_lot_id, "valid_to": valid_to.isoformat()})
            left -= part
    price = to_yuan(price_per_tonne) if price_per_tonne not in (None, "") else None
    return {"region_code": region_code, "enterprise_id": enterprise_id, "amounts": amounts,
            "price_per_tonne": fmt_yuan(price) if price is not None else None,
            "allocation_trades": covers, "legs": legs}


def sale_priority(application: dict) -> tuple[int, str]:
    """R35: major projects (省"4+1"重大项目, strategic emerging industries, major technology
    demonstrations) sort first, then by time applied."""
    major = bool(application.get("major_project"))
    return (0 if major else 1, str(application.get("applied_at") or ""))


# -- history -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class HistoryRow:
    id: int
    at: Any
    pollutant: str
    tonnes: Decimal
    cause: str
    kind: str
    counterparty: str | None
    instance_id: int | None
    note: str | None


def history_query(*, region_code: str, pollutant: str | None = None):
    """The reserve's ledger entries, newest first (R37)."""
    query = select(LedgerEntry).where(LedgerEntry.account == f"reserve:{region_code}")
    if pollutant:
        query = query.where(LedgerEntry.pollutant == pollutant)
    return query.order_by(LedgerEntry.at.desc(), LedgerEntry.id.desc())


def describe(entry: LedgerEntry) -> HistoryRow:
    """One reserve entry with its counterparty (the other leg of the transaction)."""
    other = db.session.scalar(
        select(LedgerEntry.account).where(LedgerEntry.txn_id == entry.txn_id,
                                          LedgerEntry.id != entry.id).limit(1))
    kind = ALLOCATION_TRADE if entry.note == ALLOCATION_TRADE else entry.cause
    return HistoryRow(entry.id, entry.at, entry.pollutant, entry.tonnes, entry.cause, kind,
                      other, entry.instance_id, entry.note)


# -- expiry (R37) and the 60-day reminder --------------------------------------------------------

def expire_lots(*, today: date | None = None) -> int:
    """Record an `expiry` entry for every lot past its `valid_to` with tonnes left (R37): the
    tonnes leave to `external:expiry`. Balances already ignore such lots; this makes the books
    say so. A leased (temporary) lot goes back to its lessor's lot instead while that is still
    valid (R31). Returns how many lots expired."""
    today = today or clock.today()
    due = db.session.scalars(
        select(RightsLot).where(RightsLot.valid_to < today, RightsLot.balance > 0)
        .order_by(RightsLot.id)).all()
    expired = 0
    for lot in due:
        origin = db.session.get(RightsLot, lot.origin_lot_id) if lot.origin_lot_id else None
        if lot.temporary and origin is not None and origin.valid_to >= today:
            # R31: leased rights past their term go back to the lessor, never expire with the
            # lessee (the lease's own timer normally did this already)
            ledger.move(from_lot_id=lot.id, to=ledger.Owner.of_lot(origin), tonnes=lot.balance,
                        cause="return", to_lot_id=origin.id, note="租赁期满归还")
            continue
        ledger.move(from_lot_id=lot.id, to="external:expiry", tonnes=lot.balance,
                    cause="expiry", note=f"{lot.valid_to.isoformat()} 有效期届满")
        expired += 1
    return expired


def remind_expiring(*, today: date | None = None) -> int:
    """Remind units 60 days before their rights expire, once per lot: an `expiry_reminder` audit
    event addressed to the unit (the API's list) and a `due_soon` notification to each of its
    users. Returns how many lots were reminded of."""
    today = today or clock.today()
    horizon = today + timedelta(days=REMIND_DAYS)
    lots_due = db.session.scalars(
        select(RightsLot).where(RightsLot.owner_kind == "enterprise",
                                RightsLot.valid_to >= today, RightsLot.valid_to <= horizon,
                                RightsLot.balance > 0, RightsLot.temporary.is_(False))
        .order_by(RightsLot.id)).all()
    from app.auth.models import User
    from app.notifications.models import Notification

    sent = 0
    for lot in lots_due:
        already = db.session.scalar(
            select(AuditEvent.id).where(AuditEvent.action == "expiry_reminder",
                                        AuditEvent.task_id == f"lot:{lot.id}").limit(1))
        if already:
            continue
        db.session.add(AuditEvent(
            at=clock.now(), action="expiry_reminder", task_id=f"lot:{lot.id}",
            detail={"to": f"enterprise:{lot.enterprise_id}", "lot_id": lot.id,
                    "pollutant": lot.pollutant, "tonnes": fmt_tonnes(lot.balance),
                    "valid_to": lot.valid_to.isoformat(),
                    "subject": f"您持有的 {lot.pollutant} 排污权 {fmt_tonnes(lot.balance)} 吨将于 "
                               f"{lot.valid_to.isoformat()} 到期，请及时申请延续"}))
        # and in each of the unit's users' notifications (a deadline approaching)
        users = db.session.scalars(select(User.id).where(
            User.enterprise_id == lot.enterprise_id, User.active.is_(True))).all()
        for user_id in users:
            db.session.add(Notification(
                user_id=user_id, kind="due_soon", ref=f"expiry:lot:{lot.id}",
                title=f"排污权即将到期：{lot.pollutant} {fmt_tonnes(lot.balance)} 吨，"
                      f"有效期至 {lot.valid_to.isoformat()}，请及时申请延续",
                link=None, created_at=clock.now()))
        sent += 1
    db.session.flush()
    return sent


def reminders(*, enterprise_id: int) -> list[dict]:
    """The unit's expiry reminders, newest first."""
    rows = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "expiry_reminder")
        .order_by(AuditEvent.id.desc())).all()
    return [dict(r.detail, at=clock.local(r.at).isoformat()) for r in rows
            if (r.detail or {}).get("to") == f"enterprise:{enterprise_id}"]


def sweep(*, today: date | None = None) -> dict[str, int]:
    """The daily ledger sweep the worker runs: expiry entries, then 60-day reminders."""
    return {"expired": expire_lots(today=today), "reminded": remind_expiring(today=today)}


_last_sweep: list[date] = []


def daily_sweep() -> dict[str, int] | None:
    """The worker's periodic job: the sweep once per Asia/Shanghai day (the clock's day, so the
    test clock moves it too). Returns None when today's sweep already ran in this process."""
    today = clock.today()
    if _last_sweep and _last_sweep[0] == today:
        return None
    result = sweep(today=today)
    _last_sweep[:] = [today]
    return result


register_periodic("ledger_sweep", daily_sweep)
