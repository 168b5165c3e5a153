"""Working days (R4) and period counting (R5 working days, R6 natural days).

Sources, strongest first (R4): the administrator table `calendar_day`; the `chinese_calendar`
package (2004–2026); else Monday–Friday, which is *provisional*. A year is *known* when an
administrator loaded its schedule (`calendar_year`) or the package covers it. Each year's working
days are computed once per process and cached; the cache is dropped when the tables change
(`invalidate()` in this process; a cheap stamp query per app context, repeated every few
seconds, sees loads made by other processes).
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from threading import Lock
from time import monotonic

import chinese_calendar

from app.common.clock import end_of_day


@dataclass(frozen=True)
class Due:
    day: date  # the last day counted (Asia/Shanghai)
    due_at: datetime  # 24:00 of `day` in Asia/Shanghai, as aware UTC
    provisional: bool  # True when any counted day fell in a year neither source knows (R4)


@dataclass(frozen=True)
class _Year:
    workdays: frozenset[date]
    known: bool
    ordered: tuple[date, ...] = ()  # the same days in order (counting a span is two bisections)


_cache: dict[int, _Year] = {}
_stamp: tuple | None = None
_lock = Lock()
_MAX_DAYS = 3660  # a guard against runaway counts (ten years)
_RECHECK_SECONDS = 5.0  # wall time, not the business clock: how stale another process may see


def invalidate() -> None:
    """Forget every cached year (call after changing `calendar_day` or `calendar_year`)."""
    global _stamp
    with _lock:
        _cache.clear()
        _stamp = None
    from flask import g, has_app_context

    if has_app_context():
        g.pop("_erflow_calendar_stamp", None)


def _db_available() -> bool:
    from flask import has_app_context

    return has_app_context()


def _check_stamp() -> None:
    """Compare the tables' stamp with the one the cache was built from: once per app context,
    and again every few seconds in a long-lived one (a worker sees a web process's load)."""
    global _stamp
    from flask import g

    checked = g.get("_erflow_calendar_stamp")
    if checked is not None and monotonic() - checked < _RECHECK_SECONDS:
        return
    from sqlalchemy import func, select

    from app.common.models import CalendarDay, CalendarYear
    from app.extensions import db

    row = db.session.execute(
        select(
            select(func.max(CalendarYear.revision)).scalar_subquery(),
            select(func.count()).select_from(CalendarDay).scalar_subquery(),
        )
    ).one()
    stamp = (row[0], row[1])
    g._erflow_calendar_stamp = monotonic()
    with _lock:
        if stamp != _stamp:
            _cache.clear()
            _stamp = stamp


def _package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def _build(year: int) -> _Year:
    first, last = date(year, 1, 1), date(year, 12, 31)
    package = _package_knows(year)
    overrides: dict[date, bool] = {}
    loaded = False
    if _db_available():
        from sqlalchemy import select

        from app.common.models import CalendarDay, CalendarYear
        from app.extensions import db

        overrides = dict(
            db.session.execute(
                select(CalendarDay.day, CalendarDay.workday).where(
                    CalendarDay.day >= first, CalendarDay.day <= last
                )
            ).all()
        )
        loaded = db.session.get(CalendarYear, year) is not None
    days = set()
    day = first
    while day <= last:
        if day in overrides:
            work = overrides[day]
        elif package:
            work = chinese_calendar.is_workday(day)
        else:
            work = day.weekday() < 5  # R4 fallback: Mon–Fri, provisional
        if work:
            days.add(day)
        day += timedelta(days=1)
    return _Year(frozenset(days), known=loaded or package, ordered=tuple(sorted(days)))


def _year(year: int) -> _Year:
    if _db_available():
        _check_stamp()
    cached = _cache.get(year)
    if cached is None:
        cached = _build(year)
        with _lock:
            _cache[year] = cached
    return cached


def is_workday(day: date) -> bool:
    """R4: an override row, else the chinese_calendar package, else Monday–Friday."""
    return day in _year(day.year).workdays


def year_known(year: int) -> bool:
    """R4: an administrator loaded the year's schedule, or the package covers it."""
    return _year(year).known


def _due(day: date, years: set[int]) -> Due:
    unknown = sorted(y for y in years if not year_known(y))
    for year in unknown:
        _alert_missing(year)
    return Due(day=day, due_at=end_of_day(day), provisional=bool(unknown))


def working_days_after(start: date, n: int) -> Due:
    """R5: N working days counted from the day after `start`, ending 24:00 of the N-th."""
    if n < 1:
        raise ValueError("R5: count at least one working day")
    day, counted, years = start, 0, set()
    for _ in range(_MAX_DAYS):
        day += timedelta(days=1)
        years.add(day.year)
        if is_workday(day):
            counted += 1
            if counted == n:
                return _due(day, years)
    raise ValueError(f"R5: no {n} working days within ten years of {start}")


def period_end(start: date, days: int) -> Due:
    """R6: `days` natural days from the day after `start`; a last day off moves to the next
    working day."""
    if days < 1:
        raise ValueError("R6: count at least one day")
    day = start + timedelta(days=days)
    years = set(range((start + timedelta(days=1)).year, day.year + 1))
    for _ in range(_MAX_DAYS):
        if is_workday(day):
            return _due(day, years)
        day += timedelta(days=1)
        years.add(day.year)
    raise ValueError(f"R6: no working day within ten years after {start}")


def working_days_left(today: date, due: date) -> int:
    """Working days from `today` (exclusive) to `due` (inclusive); 0 or less when due/overdue."""
    if due <= today:
        # Overdue: minus the working days since `due` (exclusive) up to `today` (inclusive).
        return -_count_between(due, today)
    return _count_between(today, due)


def _count_between(after: date, until: date) -> int:
    """Working days in (after, until]."""
    total = 0
    for year in range(after.year, until.year + 1):
        lo = max(after + timedelta(days=1), date(year, 1, 1))
        hi = min(until, date(year, 12, 31))
        if lo > hi:
            continue
        ordered = _year(year).ordered
        total += bisect_right(ordered, hi) - bisect_left(ordered, lo)
    return total


def _alert_missing(year: int) -> None:
    """R4: one open admin alert per unknown year, asking to load its schedule."""
    if not _db_available():
        return
    from app.common.calendar import raise_missing_year_alert

    raise_missing_year_alert(year=year)
