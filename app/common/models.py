"""Tables shared by every domain: the test clock, the working-day calendar (R4), admin alerts."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.common.types import UTCDateTime
from app.extensions import db


class TestClock(db.Model):
    """The frozen "now" shared by all processes when ERFLOW_TEST_CLOCK=1 (one row, id 1)."""

    __tablename__ = "test_clock"
    __test__ = False  # not a pytest class
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    now: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class CalendarDay(db.Model):
    """An administrator's override of one day (R4): it wins over the chinese-calendar package."""

    __tablename__ = "calendar_day"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    workday: Mapped[bool] = mapped_column(Boolean, nullable=False)
    note: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by: Mapped[int | None] = mapped_column(Integer)


class AdminAlert(db.Model):
    """Something an administrator must act on (e.g. load next year's calendar, R4; an incident)."""

    __tablename__ = "admin_alert"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    key: Mapped[str] = mapped_column(String(100))  # de-duplicates: one open alert per (kind, key)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CalendarYear(db.Model):
    """A year whose full schedule an administrator loaded (R4): the year is *known*.

    `revision` grows with every load, so each process can tell its cached calendar is stale.
    """

    __tablename__ = "calendar_year"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    days: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    revision: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    loaded_by: Mapped[int | None] = mapped_column(Integer)
