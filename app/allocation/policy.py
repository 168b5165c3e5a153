"""Allocation policy values (R14 five-year period, R15 payment term): rows administrators edit,
seeded once from RULES.md; and the period arithmetic that reads them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from app.allocation.models import AllocationPolicy
from app.common import clock
from app.errors import ValidationFailed
from app.extensions import db

# name → (seeded value, what it means). R14: 2026-01-01 … 2030-12-31 is the current period.
DEFAULTS: dict[str, tuple[str, str]] = {
    "period_start": ("2026-01-01", "五年规划期的起始日（R14），此后每期顺延"),
    "period_years": ("5", "初始排污权核定周期（年，R14）"),
    "notice_working_days": ("10", "核定完成后开具缴款核定通知单的期限（工作日，R15）"),
    "payment_days": ("30", "缴款核定通知单的限缴期限（自然日，次日起算，R6）"),
}


@dataclass(frozen=True)
class Period:
    starts_on: date
    ends_on: date


def value(name: str) -> str:
    """The administrator's value of policy `name` (the RULES.md default until one is stored)."""
    row = db.session.get(AllocationPolicy, name)
    if row is not None:
        return row.value
    return DEFAULTS[name][0]


def set_value(*, name: str, value_text: str, actor_id: int | None = None) -> AllocationPolicy:
    """Change one policy value (R14, R15), checked for its kind."""
    if name not in DEFAULTS:
        raise ValidationFailed(_l("未知的政策参数"),
                               fields={"name": [_l("未知的政策参数：%(name)s", name=name)]})
    try:
        if name == "period_start":
            date.fromisoformat(value_text)
        elif int(value_text) <= 0:
            raise ValueError(value_text)
    except ValueError as exc:
        message = _l("参数值无效：%(value)s", value=value_text)
        raise ValidationFailed(_l("参数值无效"), fields={"value": [message]}) from exc
    row = db.session.get(AllocationPolicy, name)
    if row is None:
        row = AllocationPolicy(name=name, value=value_text, note=DEFAULTS[name][1])
        db.session.add(row)
    row.value, row.updated_at, row.updated_by = value_text, clock.now(), actor_id
    db.session.flush()
    return row


def seed_allocation_policy() -> int:
    """Store the RULES.md defaults that are missing (never overwrites an edit); rows added."""
    added = 0
    for name, (default, note) in DEFAULTS.items():
        if db.session.get(AllocationPolicy, name) is None:
            db.session.add(AllocationPolicy(name=name, value=default, note=note))
            added += 1
    db.session.flush()
    return added


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def period_for(day: date) -> Period:
    """R14: the five-year period an allocation finalised on `day` is for — the first period when
    the allocation comes before it (allocations are made ahead of each period), else the period
    containing `day`."""
    first = date.fromisoformat(value("period_start"))
    years = int(value("period_years"))
    start = first
    if day >= first:
        start = _add_years(first, ((day.year - first.year) // years) * years)
        if day < start:  # `day` falls before the period's anniversary in its first year
            start = _add_years(start, -years)
    return Period(start, _add_years(start, years) - timedelta(days=1))
