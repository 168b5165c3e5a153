"""Paid use of initial rights (R15, R16): the fee computed from the administrators' standards,
payment notices (缴款核定通知单), payment confirmation, and the overdue-notice check."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.auth.models import Bureau, Enterprise, Region
from app.common import clock, workdays
from app.common.models import AdminAlert
from app.common.money import fmt_tonnes, fmt_yuan, to_tonnes, to_yuan
from app.errors import Conflict, NotFound, RuleViolation
from app.extensions import db
from app.ledger import policy
from app.ledger.models import FeeNotice

DAYS_PER_YEAR = Decimal(365)  # R15: a part year is days / 365 of the annual fee


@dataclass(frozen=True)
class Term:
    full_years: int
    part_days: int  # days of the part years, counted inclusively

    @property
    def years(self) -> Decimal:
        return self.full_years + Decimal(self.part_days) / DAYS_PER_YEAR


def term(valid_from: date, valid_to: date) -> Term:
    """R15: the validity split by calendar year — whole years count 1, a part year its days."""
    full, days = 0, 0
    for year in range(valid_from.year, valid_to.year + 1):
        first = max(valid_from, date(year, 1, 1))
        last = min(valid_to, date(year, 12, 31))
        if (first, last) == (date(year, 1, 1), date(year, 12, 31)):
            full += 1
        else:
            days += (last - first).days + 1
    return Term(full, days)


def line_amount(tonnes: Decimal, standard: Decimal, span: Term) -> Decimal:
    """R15, R1: tonnes × standard × years, a part year pro rata by day, rounded to the fen."""
    exact = tonnes * standard * (span.full_years * DAYS_PER_YEAR + span.part_days)
    return to_yuan(exact / DAYS_PER_YEAR)


def fee_lines(
    *, province_code: str, amounts: dict[str, str], valid_from: date, valid_to: date
) -> tuple[list[dict], list[str]]:
    """The notice's lines per pollutant (R15) and the pollutants without a standard. The RULES.md
    standards are seeded on first use if the table is empty (never over an edit)."""
    span = term(valid_from, valid_to)
    if any(policy.fee_standard(province_code=province_code, pollutant=p) is None
           for p in amounts):
        policy.seed_policies()
    lines, missing = [], []
    for pollutant, raw in amounts.items():
        standard = policy.fee_standard(province_code=province_code, pollutant=pollutant)
        if standard is None:
            missing.append(pollutant)
            continue
        tonnes = to_tonnes(raw)
        lines.append({
            "pollutant": pollutant,
            "tonnes": fmt_tonnes(tonnes),
            "standard": fmt_yuan(standard),
            "full_years": span.full_years,
            "part_days": span.part_days,
            "years": str(span.years.quantize(Decimal("0.0001"))),
            "amount": fmt_yuan(line_amount(tonnes, standard, span)),
        })
    return lines, missing


def _next_number(region_code: str, year: int) -> str:
    prefix = f"排污权缴〔{year}〕{region_code}-"
    count = db.session.scalar(
        select(func.count(FeeNotice.id)).where(FeeNotice.number.startswith(prefix))
    ) or 0
    return f"{prefix}{count + 1:04d}号"


def issue_notice(
    *,
    enterprise_id: int,
    region_code: str,
    amounts: dict[str, str],
    valid_from: date,
    valid_to: date,
    finalised_at: datetime,
    payment_days: int,
    notice_working_days: int,
    instance_id: int | None = None,
) -> FeeNotice | None:
    """Issue the payment notice for finalised amounts (R15) by the bureau of `region_code`; the
    payment deadline is `payment_days` natural days after issue (R6 counting). Without any fee
    standard for the province nothing is issued and administrators are alerted."""
    enterprise = db.session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise NotFound(_l("排污单位不存在"))
    province = enterprise.region.province_code
    lines, missing = fee_lines(province_code=province, amounts=amounts, valid_from=valid_from,
                               valid_to=valid_to)
    now = clock.now()
    if missing:
        region = db.session.get(Region, province)
        db.session.add(AdminAlert(
            kind="fee_standard", key=f"{province}:{','.join(sorted(missing))}", created_at=now,
            message=(f"{region.name if region else province}未设置 {'、'.join(missing)} 的排污权"
                     f"使用费征收标准，{enterprise.name} 的缴款核定通知单未计收这些污染物（R15）"),
        ))
    if not lines:
        db.session.flush()
        return None
    bureau = db.session.scalar(select(Bureau).where(Bureau.region_code == region_code))
    today = clock.local(now).date()
    notice = FeeNotice(
        number=_next_number(region_code, today.year),
        instance_id=instance_id,
        enterprise_id=enterprise.id,
        region_code=region_code,
        bureau_name=bureau.name if bureau else region_code,
        province_code=province,
        valid_from=valid_from,
        valid_to=valid_to,
        lines=lines,
        amount=sum((Decimal(line["amount"]) for line in lines), Decimal("0.00")),
        finalised_at=finalised_at,
        issue_due_at=workdays.working_days_after(clock.local(finalised_at).date(),
                                                 notice_working_days).due_at,
        issued_at=now,
        due_at=workdays.period_end(today, payment_days).due_at,
        status="unpaid",
    )
    db.session.add(notice)
    db.session.flush()
    return notice


def confirm_payment(
    *, notice_id: int, actor_id: int, paid_at: datetime | None = None,
    reference: str | None = None,
) -> FeeNotice:
    """Record that the unit paid (R15); the bureau confirms it once (409 when already paid)."""
    notice = db.session.scalar(
        select(FeeNotice).where(FeeNotice.id == notice_id).with_for_update()
    )
    if notice is None:
        raise NotFound(_l("缴款核定通知单不存在"))
    if notice.status == "paid":
        raise Conflict(_l("缴款核定通知单 %(number)s 已确认缴款", number=notice.number))
    now = clock.now()
    notice.status = "paid"
    notice.paid_at = paid_at or now
    notice.payment_reference = reference
    notice.confirmed_by, notice.confirmed_at = actor_id, now
    db.session.flush()
    return notice


def overdue_notices(*, enterprise_id: int, now: datetime | None = None) -> list[FeeNotice]:
    """R16: the unit's unpaid notices whose payment deadline has passed, oldest first."""
    moment = now or clock.now()
    return list(db.session.scalars(
        select(FeeNotice).where(
            FeeNotice.enterprise_id == enterprise_id,
            FeeNotice.status == "unpaid",
            FeeNotice.due_at <= moment,
        ).order_by(FeeNotice.due_at, FeeNotice.id)
    ))


def assert_no_overdue_fee(*, enterprise_id: int) -> None:
    """R16: refuse a permit-related start while the unit has an unpaid notice past its deadline;
    the refusal names the notice."""
    overdue = overdue_notices(enterprise_id=enterprise_id)
    if not overdue:
        return
    notice = overdue[0]
    last_day = clock.local(notice.due_at - timedelta(seconds=1)).date()
    raise RuleViolation("R16", _l(
        "缴款核定通知单 %(number)s（应缴 %(amount)s 元，限缴日期 %(last_day)s）逾期未缴，"
        "缴清前不得办理排污权交易、租赁或排污许可证变更",
        number=notice.number, amount=fmt_yuan(notice.amount), last_day=f"{last_day:%Y-%m-%d}"))


def notice_summary(notice: FeeNotice | None) -> dict | None:
    """The `fee_notice` field of an allocation's summary (API.md)."""
    if notice is None:
        return None
    return {
        "id": notice.id,
        "number": notice.number,
        "amount": fmt_yuan(notice.amount),
        "issued_at": clock.local(notice.issued_at).isoformat(),
        "due_at": clock.local(notice.due_at).isoformat(),
        "status": notice.status,
        "paid_at": clock.local(notice.paid_at).isoformat() if notice.paid_at else None,
    }


def list_notices(
    *, enterprise_ids: list[int] | None = None, region_codes: list[str] | None = None,
    status: str | None = None,
):
    """A query of notices, newest first, narrowed to enterprises and/or issuing regions."""
    query = select(FeeNotice)
    if enterprise_ids is not None:
        query = query.where(FeeNotice.enterprise_id.in_(enterprise_ids))
    if region_codes is not None:
        query = query.where(FeeNotice.region_code.in_(region_codes))
    if status:
        query = query.where(FeeNotice.status == status)
    return query.order_by(FeeNotice.issued_at.desc(), FeeNotice.id.desc())
