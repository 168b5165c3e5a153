"""The one "now" of ERFlow (R3). Every rule, timer and timestamp reads `now()`.

In production it is the system's UTC time. With ERFLOW_TEST_CLOCK=1 the time is a frozen value
kept in the database (table `test_clock`), so every web and worker process sees the same moment and
tests move time forward instead of sleeping. Unit tests may also call `set_now()` to pin the
process-local clock.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_pinned: datetime | None = None


def _db_now() -> datetime | None:
    from flask import current_app, has_app_context

    if not has_app_context() or not current_app.config.get("ERFLOW_TEST_CLOCK"):
        return None
    from app.common.models import TestClock
    from app.extensions import db

    row = db.session.get(TestClock, 1)
    return row.now if row else None


def now() -> datetime:
    """Aware UTC datetime: the pinned test time, the DB test clock, or the system time."""
    if _pinned is not None:
        return _pinned
    return _db_now() or datetime.now(UTC)


def set_now(value: datetime | None) -> None:
    """Pin (or with None, release) this process's clock. For tests and the test-clock API."""
    global _pinned
    _pinned = value.astimezone(UTC) if value is not None else None


def advance(delta: timedelta) -> datetime:
    set_now(now() + delta)
    return now()


def local(value: datetime) -> datetime:
    """A stored UTC time as a person in Asia/Shanghai sees it (R3)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(SHANGHAI)


def today() -> date:
    """Today's date in Asia/Shanghai (R3): the date rules count from."""
    return local(now()).date()


def end_of_day(day: date) -> datetime:
    """24:00 of `day` in Asia/Shanghai, as an aware UTC datetime (R5, R6 end times)."""
    midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), SHANGHAI)
    return midnight.astimezone(UTC)


def deadline_text(value: datetime) -> str:
    """A moment as people read it in Asia/Shanghai (R3); a deadline at local midnight reads as
    24:00 of the day before, the way R5/R6 periods end ("within 10 working days" ends at 24:00)."""
    moment = local(value)
    if (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0):
        return f"{(moment - timedelta(days=1)):%Y-%m-%d} 24:00"
    return f"{moment:%Y-%m-%d %H:%M}"
