"""The working-day calendar service (R4): load a year's schedule, admin alerts, month grids."""
from __future__ import annotations

import calendar as pycalendar
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from app.common import clock, workdays
from app.common.audit import record_policy_change
from app.common.models import AdminAlert, CalendarDay, CalendarYear
from app.errors import Text, ValidationFailed
from app.extensions import db

ALERT_KIND = "calendar_missing"


@dataclass(frozen=True)
class DaySpec:
    day: date
    workday: bool
    note: str | None = None


@dataclass(frozen=True)
class LoadResult:
    year: int
    days: int
    recomputed: int


def load_year(*, year: int, days: list[DaySpec], actor_id: int | None = None) -> LoadResult:
    """Load `year`'s schedule (R4): its override rows are replaced by `days`, the year becomes
    known, its missing-calendar alert is resolved and provisional deadlines are recomputed."""
    if not 1900 <= year <= 9999:
        raise ValidationFailed(_l("年份无效"),
                               fields={"year": [_l("年份无效：%(year)s", year=year)]})
    errors: dict[str, list[Text]] = {}
    seen: set[date] = set()
    for i, spec in enumerate(days):
        if spec.day.year != year:
            errors.setdefault(f"days.{i}.date", []).append(
                _l("日期 %(day)s 不在 %(year)s 年内", day=spec.day, year=year))
        if spec.day in seen:
            errors.setdefault(f"days.{i}.date", []).append(_l("日期 %(day)s 重复", day=spec.day))
        seen.add(spec.day)
    if errors:
        raise ValidationFailed(_l("日历数据有误"), fields=errors)

    at = clock.now()
    db.session.execute(
        delete(CalendarDay).where(
            CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31)
        )
    )
    for spec in days:
        db.session.add(
            CalendarDay(
                day=spec.day, workday=spec.workday, note=spec.note, updated_at=at,
                updated_by=actor_id,
            )
        )
    revision = (db.session.scalar(select(func.max(CalendarYear.revision))) or 0) + 1
    row = db.session.get(CalendarYear, year)
    if row is None:
        row = CalendarYear(year=year)
        db.session.add(row)
    row.days, row.revision, row.loaded_at, row.loaded_by = len(days), revision, at, actor_id
    resolve_missing_year_alert(year=year)
    db.session.flush()
    workdays.invalidate()

    from app.engine import recompute_provisional_deadlines  # lazy: engine imports workdays

    recomputed = recompute_provisional_deadlines()
    record_policy_change(actor_id=actor_id, table="calendar", subject={"year": year},
                         old=None, new={"days": len(days)})
    return LoadResult(year=year, days=len(days), recomputed=_count(recomputed))


def _count(value) -> int:
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    return len(value)


def raise_missing_year_alert(*, year: int) -> None:
    """R4: ask administrators to load `year`; one open alert per year."""
    key = str(year)
    open_alert = db.session.scalar(
        select(AdminAlert.id).where(
            AdminAlert.kind == ALERT_KIND, AdminAlert.key == key, AdminAlert.resolved_at.is_(None)
        )
    )
    if open_alert is not None:
        return
    db.session.add(
        AdminAlert(
            kind=ALERT_KIND,
            key=key,
            message=(
                f"{year} 年的工作日安排尚未加载：涉及该年的期限暂按周一至周五计算并标注为“暂定”。"
                f"请在国务院办公厅发布节假日安排后加载 {year} 年日历。"
            ),
            created_at=clock.now(),
        )
    )


def resolve_missing_year_alert(*, year: int) -> None:
    at = clock.now()
    for alert in db.session.scalars(
        select(AdminAlert).where(
            AdminAlert.kind == ALERT_KIND,
            AdminAlert.key == str(year),
            AdminAlert.resolved_at.is_(None),
        )
    ):
        alert.resolved_at = at


def open_alerts() -> list[AdminAlert]:
    return list(
        db.session.scalars(
            select(AdminAlert)
            .where(AdminAlert.kind == ALERT_KIND, AdminAlert.resolved_at.is_(None))
            .order_by(AdminAlert.key)
        )
    )


def loaded_year(year: int) -> CalendarYear | None:
    return db.session.get(CalendarYear, year)


@dataclass(frozen=True)
class GridDay:
    day: date
    workday: bool
    kind: str  # workday | weekend | holiday | makeup
    note: str | None
    override: bool


def month_grid(*, year: int) -> list[tuple[int, list[list[GridDay | None]]]]:
    """Each month of `year` as weeks (Mon..Sun) of days, for the admin page (R4)."""
    notes = {
        row.day: row
        for row in db.session.scalars(
            select(CalendarDay).where(
                CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31)
            )
        )
    }
    months = []
    for month in range(1, 13):
        weeks: list[list[GridDay | None]] = []
        for week in pycalendar.Calendar(firstweekday=0).monthdayscalendar(year, month):
            row: list[GridDay | None] = []
            for n in week:
                if n == 0:
                    row.append(None)
                    continue
                day = date(year, month, n)
                work = workdays.is_workday(day)
                weekend = day.weekday() >= 5
                kind = (
                    "makeup" if work and weekend else "workday" if work
                    else "weekend" if weekend else "holiday"
                )
                override = notes.get(day)
                row.append(GridDay(day, work, kind, override.note if override else None,
                                   override is not None))
            weeks.append(row)
        months.append((month, weeks))
    return months


def year_summary(*, year: int) -> dict:
    day, count = date(year, 1, 1), 0
    while day.year == year:
        count += workdays.is_workday(day)
        day += timedelta(days=1)
    return {"year": year, "workdays": count, "known": workdays.year_known(year)}
