"""Leases of emission rights around the `lease` diagram (R31, R32, R37).

A lessor unit leases tonnes to a lessee for a term of at most one year inside one calendar year
(R31). When the term starts the tonnes move to a temporary lot of the lessee (cause `lease`); at
24:00 of the end date a timer moves what is left back to the lessor's lot (cause `return`).
A cross-region lease is approved by the bureau of the two regions' common superior (R32, R9)
through the same `cross_region_approval` call activity as trades.
Leased (temporary) rights never count toward a project's reduction substitution:
`assert_not_leased` is what trading calls for R18.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import engine
from app.auth.models import Enterprise
from app.common import clock
from app.common.money import fmt_tonnes, to_tonnes
from app.common.regions import common_superior
from app.engine.hooks import register_process, register_script_function
from app.engine.models import AuditEvent
from app.engine.types import StartSpec
from app.errors import RuleViolation, Text, ValidationFailed
from app.extensions import db
from app.ledger import policy as ledger_policy
from app.ledger import services as ledger
from app.ledger.models import RightsLot

PROCESS_KEY = "lease"


# -- R18 for trading -----------------------------------------------------------------------------

def assert_not_leased(*, lot_ids: Iterable[int] | None = None, owner: Any = None,
                      pollutant: str | None = None, tonnes: Decimal | str | None = None) -> None:
    """R31/R18: leased rights never satisfy a project's reduction substitution.

    With `lot_ids`: refuse (422 R31) when any of them is a temporary (leased) lot. With `owner`,
    `pollutant` and `tonnes`: refuse when the owner's own, non-temporary holding of the pollutant
    is below `tonnes` (the leased part cannot make up the difference)."""
    if lot_ids:
        leased = db.session.scalars(
            select(RightsLot.id).where(RightsLot.id.in_(list(lot_ids)), RightsLot.temporary)
        ).all()
        if leased:
            raise RuleViolation("R31", _l("租赁取得的排污权（批次 %(lots)s）不得用于削减替代",
                                          lots=", ".join(map(str, leased))))
    if owner is not None and pollutant is not None and tonnes is not None:
        need = to_tonnes(tonnes)
        own = own_tonnes(owner=owner, pollutant=pollutant)
        if own < need:
            leased_part = leased_tonnes(owner=owner, pollutant=pollutant)
            raise RuleViolation("R31", _l(
                "%(pollutant)s 自有排污权 %(own)s 吨，不足削减替代所需 %(need)s 吨；"
                "租赁取得的 %(leased)s 吨不得用于削减替代",
                pollutant=pollutant, own=fmt_tonnes(own), need=fmt_tonnes(need),
                leased=fmt_tonnes(leased_part)))


def _owner_lots(owner: Any, pollutant: str, *, temporary: bool) -> list[RightsLot]:
    return [lot for lot in ledger.lots(owner) if lot.pollutant == pollutant
            and lot.temporary == temporary]


def own_tonnes(*, owner: Any, pollutant: str) -> Decimal:
    """The owner's unexpired, non-leased tonnes of a pollutant."""
    return sum((lot.balance for lot in _owner_lots(owner, pollutant, temporary=False)), Decimal(0))


def leased_tonnes(*, owner: Any, pollutant: str) -> Decimal:
    """The owner's unexpired leased-in (temporary) tonnes of a pollutant (R31)."""
    return sum((lot.balance for lot in _owner_lots(owner, pollutant, temporary=True)), Decimal(0))


# -- start ---------------------------------------------------------------------------------------

def _date(value: Any, field: str) -> date:
    try:
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed(_l("日期格式有误"),
                               fields={field: [_l("应为 YYYY-MM-DD")]}) from None


def check_term(*, starts_on: date, ends_on: date, today: date | None = None) -> None:
    """R31: at most one year, start and end in the same calendar year, not in the past."""
    today = today or clock.today()
    if ends_on < starts_on:
        raise ValidationFailed(_l("租赁期限有误"),
                               fields={"ends_on": [_l("租赁终止日不得早于起始日")]})
    if starts_on < today:
        raise ValidationFailed(_l("租赁期限有误"),
                               fields={"starts_on": [_l("租赁起始日不得早于今天")]})
    if starts_on.year != ends_on.year:
        raise RuleViolation("R31", _l("租赁期限不得跨年度：%(start)s 至 %(end)s 跨越了自然年",
                                      start=starts_on, end=ends_on))
    if (ends_on - starts_on).days >= 366:  # same year: never more than a year, kept explicit
        raise RuleViolation("R31", _l("租赁期限不得超过 1 年"))


def _lessor_lots(lessor_id: int, pollutant: str, starts_on: date, ends_on: date
                 ) -> list[RightsLot]:
    """The lessor's own lots valid over the whole term, earliest expiry first (R31)."""
    return [lot for lot in _owner_lots(ledger.Owner("enterprise", enterprise_id=lessor_id),
                                       pollutant, temporary=False)
            if lot.valid_from <= starts_on and lot.valid_to >= ends_on]


def check_available(lessor_id: int, amounts: dict[str, str], starts_on: date, ends_on: date
                    ) -> None:
    """R31, R37: the lessor holds enough own rights (not leased-in ones) valid over the term."""
    errors: dict[str, list[Text]] = {}
    for pollutant, tonnes in amounts.items():
        have = sum((lot.balance for lot in _lessor_lots(lessor_id, pollutant, starts_on,
                                                         ends_on)), Decimal(0))
        if have < Decimal(tonnes):
            errors[f"amounts.{pollutant}"] = [_l(
                "出租方在租赁期内可出租的自有 %(pollutant)s 排污权为 %(have)s 吨，"
                "不足 %(tonnes)s 吨（租入的排污权不得转租）",
                pollutant=pollutant, have=fmt_tonnes(have), tonnes=tonnes)]
    if errors:
        raise ValidationFailed(_l("出租方排污权不足"), fields=errors)


def prepare_start(data: dict, actor) -> StartSpec:
    """Validate a lease (R31, R32): started by the lessor unit with
    `{"lessee", "amounts", "starts_on", "ends_on", "price_per_tonne"?}`; routed to the lessor's
    bureau; when the lessee is in another county the common superior's bureau approves it through
    the trades' `cross_region_approval` call activity (R32 as R26)."""
    lessor_id = getattr(actor, "enterprise_id", None) or data.get("lessor")
    try:
        lessor = db.session.get(Enterprise, int(lessor_id))
    except (TypeError, ValueError):
        lessor = None
    if lessor is None:
        raise ValidationFailed(_l("缺少出租方"), fields={"lessor": [_l("出租方不存在")]})
    try:
        lessee = db.session.get(Enterprise, int(data.get("lessee")))
    except (TypeError, ValueError):
        lessee = None
    if lessee is None:
        raise ValidationFailed(_l("承租方不存在"), fields={"lessee": [_l("请填写承租方企业编号")]})
    if lessee.id == lessor.id:
        raise ValidationFailed(_l("承租方有误"), fields={"lessee": [_l("不能租给本单位")]})
    starts_on = _date(data.get("starts_on"), "starts_on")
    ends_on = _date(data.get("ends_on"), "ends_on")
    check_term(starts_on=starts_on, ends_on=ends_on)
    amounts = ledger_policy.parse_amounts(
        data.get("amounts"), region_code=lessor.region_code, noun=_l("租赁数量")
    )
    check_available(lessor.id, amounts, starts_on, ends_on)
    price = data.get("price_per_tonne")
    if price not in (None, ""):
        try:
            price = str(Decimal(str(price)).quantize(Decimal("0.01")))
        except ArithmeticError:
            raise ValidationFailed(_l("价格有误"),
                                   fields={"price_per_tonne": [_l("不是有效金额")]}) from None
    superior = common_superior(lessor.region_code, lessee.region_code)  # R32 (R9: same province)
    region = lessor.region_code  # a cross-region lease's approval goes to `superior` (R32)
    # R31: rights move at 00:00 of the first day and return at 24:00 of the last day
    begins_at = datetime.combine(starts_on, datetime.min.time(), clock.SHANGHAI)
    returns_at = datetime.combine(ends_on + timedelta(days=1), datetime.min.time(),
                                  clock.SHANGHAI)
    shaped = {
        "lessor_id": lessor.id,
        "lessee_id": lessee.id,
        "amounts": amounts,
        "starts_on": starts_on.isoformat(),
        "ends_on": ends_on.isoformat(),
        "begins_at": begins_at.isoformat(),
        "returns_at": returns_at.isoformat(),
        "price_per_tonne": price or None,
        "cross_region": superior is not None,
        "approving_region": superior,
        "decision": None,
        "legs": [],
        "status": "applied",
        # what the trades' cross_region_approval call activity reads (R32 as R26, R27, R28)
        "buyer_id": lessee.id,
        "buyer_region": lessee.region_code,
        "seller": str(lessor.id),
        "seller_region": lessor.region_code,
        "project": {"name": "排污权租赁"},
        "approval_decision": None,
    }
    return StartSpec(data=shaped, handling_region=region, enterprise_id=lessor.id,
                     business_key=f"ZL-{starts_on:%Y}-{lessor.id:06d}-{lessee.id:06d}")


# -- functions the diagram's scripts call --------------------------------------------------------

def lease_out(lessor_id: int, lessee_id: int, amounts: dict, starts_on: str, ends_on: str
              ) -> list[dict]:
    """Script function (R31, R37): move the leased tonnes from the lessor's own lots to new
    temporary lots of the lessee valid over the term (cause `lease`). When the lessor no longer
    holds them the lease fails (no legs, a `lease_failed` history entry) instead of stopping."""
    instance_id = engine.current_instance_id()
    start, end = date.fromisoformat(starts_on), date.fromisoformat(ends_on)
    try:
        check_available(int(lessor_id), amounts, start, end)
    except ValidationFailed as exc:
        # the lessor no longer holds the tonnes (sold since approval): the lease fails, on record
        db.session.add(AuditEvent(at=clock.now(), instance_id=instance_id, action="lease_failed",
                                  detail={"rule": "R31", "message": exc.message,
                                          "fields": exc.fields}))
        return []
    legs: list[dict] = []
    for pollutant, tonnes in amounts.items():
        left = Decimal(tonnes)
        for lot in _lessor_lots(int(lessor_id), pollutant, start, end):
            if left <= 0:
                break
            part = min(left, lot.balance)
            moved = ledger.move(
                from_lot_id=lot.id, to=ledger.Owner("enterprise", enterprise_id=int(lessee_id)),
                tonnes=part, cause="lease", valid_from=start, valid_to=end,
                acquisition="lease", temporary=True, instance_id=instance_id,
                note="排污权租赁",
            )
            legs.append({"pollutant": pollutant, "tonnes": fmt_tonnes(part),
                         "lessor_lot": lot.id, "lessee_lot": moved.to_lot_id})
            left -= part
    return legs


def lease_return(legs: list) -> list[dict]:
    """Script function (R31, R37): at the end of the term what is left of each leased lot goes
    back to the lessor's lot it came from (cause `return`)."""
    instance_id = engine.current_instance_id()
    returned: list[dict] = []
    for leg in legs or []:
        lot = db.session.get(RightsLot, int(leg["lessee_lot"]))
        origin = db.session.get(RightsLot, int(leg["lessor_lot"]))
        if lot is None or origin is None or lot.balance <= 0:
            continue
        db.session.refresh(lot)
        tonnes = lot.balance
        ledger.move(from_lot_id=lot.id, to=ledger.Owner.of_lot(origin), tonnes=tonnes,
                    cause="return", to_lot_id=origin.id, instance_id=instance_id,
                    note="租赁期满归还")
        returned.append({**leg, "returned": fmt_tonnes(tonnes)})
    return returned


for _name, _fn in (("lease_out", lease_out), ("lease_return", lease_return)):
    register_script_function(_name, _fn)


def summarize(data: dict) -> dict:
    """The lease's business summary (R31, R32)."""
    keys = ("lessor_id", "lessee_id", "amounts", "starts_on", "ends_on", "returns_at",
            "price_per_tonne", "cross_region", "approving_region", "decision", "opinion",
            "approval_decision", "cross_refusal",
            "legs", "status", "returned_at")
    return {k: data.get(k) for k in keys}


register_process(PROCESS_KEY, prepare_start=prepare_start, summarize=summarize)
