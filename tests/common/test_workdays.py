"""Working days (R4) and period counting (R5, R6), with the RULES.md worked examples."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from app.common import workdays
from app.common.calendar import DaySpec, load_year
from app.common.models import AdminAlert, CalendarDay
from app.extensions import db


def test_R5_worked_example_ten_working_days_after_national_day(app):
    due = workdays.working_days_after(date(2025, 9, 29), 10)
    assert due.day == date(2025, 10, 20)
    # 24:00 Asia/Shanghai on Mon 2025-10-20 is 16:00 UTC that day.
    assert due.due_at == datetime(2025, 10, 20, 16, 0, tzinfo=UTC)
    assert due.provisional is False


def test_R4_makeup_saturday_counts_as_a_working_day(app):
    assert workdays.is_workday(date(2025, 10, 11))  # 调休 Saturday
    assert not workdays.is_workday(date(2025, 10, 1))
    assert not workdays.is_workday(date(2025, 10, 8))
    # Counting from Fri 2025-10-10: the next working day is the make-up Saturday.
    assert workdays.working_days_after(date(2025, 10, 10), 1).day == date(2025, 10, 11)


def test_R6_worked_example_window_closes_on_next_working_day(app):
    due = workdays.period_end(date(2025, 9, 16), 15)
    assert due.day == date(2025, 10, 9)
    assert due.due_at == datetime(2025, 10, 9, 16, 0, tzinfo=UTC)
    assert due.provisional is False


def test_R6_last_day_on_a_working_day_stays(app):
    # 2025-09-01 + 15 days = Tue 2025-09-16, a working day.
    assert workdays.period_end(date(2025, 9, 1), 15).day == date(2025, 9, 16)


def test_R6_last_day_on_a_weekend_moves_to_monday(app):
    # 2025-09-05 + 15 days = Sat 2025-09-20 (an ordinary weekend) → Mon 2025-09-22.
    assert workdays.period_end(date(2025, 9, 5), 15).day == date(2025, 9, 22)


def test_R4_spring_festival_2026_from_the_package(app):
    # Verified against chinese_calendar 1.11.0: holidays Sun 2026-02-15 … Mon 2026-02-23,
    # make-up working days Sat 2026-02-14 and Sat 2026-02-28.
    for day in range(15, 24):
        assert not workdays.is_workday(date(2026, 2, day)), day
    assert workdays.is_workday(date(2026, 2, 14))
    assert workdays.is_workday(date(2026, 2, 28))
    assert workdays.is_workday(date(2026, 2, 24))
    assert workdays.year_known(2026)


def test_R5_counting_across_spring_festival_2026(app):
    # From Fri 2026-02-13: Sat 02-14 (make-up) is day 1, then 02-24 … 02-27 are days 2–5.
    due = workdays.working_days_after(date(2026, 2, 13), 5)
    assert due.day == date(2026, 2, 27)
    # Day 6 is the make-up Saturday 2026-02-28.
    assert workdays.working_days_after(date(2026, 2, 13), 6).day == date(2026, 2, 28)
    assert due.provisional is False


def test_R6_period_ending_in_spring_festival_2026_moves_past_it(app):
    # 2026-02-05 + 12 days = Tue 2026-02-17, inside the holiday → Tue 2026-02-24.
    assert workdays.period_end(date(2026, 2, 5), 12).day == date(2026, 2, 24)


def test_R4_unknown_year_falls_back_to_monday_friday_and_is_provisional(app):
    assert not workdays.year_known(2027)
    assert workdays.is_workday(date(2027, 1, 1))  # a Friday: New Year's Day, but nobody knows yet
    assert not workdays.is_workday(date(2027, 1, 2))
    due = workdays.working_days_after(date(2026, 12, 30), 3)
    # 12-31 (Thu, 2026 known), then 2027-01-01 (Fri) and 2027-01-04 (Mon) by the fallback.
    assert due.day == date(2027, 1, 4)
    assert due.provisional is True


def test_R4_provisional_date_raises_one_alert_per_year(app):
    workdays.working_days_after(date(2027, 3, 1), 5)
    workdays.period_end(date(2027, 5, 1), 15)
    workdays.working_days_after(date(2028, 3, 1), 5)
    alerts = db.session.scalars(
        select(AdminAlert).where(AdminAlert.kind == "calendar_missing").order_by(AdminAlert.key)
    ).all()
    assert [a.key for a in alerts] == ["2027", "2028"]
    assert all(a.resolved_at is None for a in alerts)


def test_R4_known_dates_raise_no_alert(app):
    workdays.working_days_after(date(2025, 9, 29), 10)
    assert db.session.scalar(select(AdminAlert.id)) is None


def test_R4_override_row_wins_over_the_package(app):
    assert workdays.is_workday(date(2025, 10, 11))
    db.session.add(CalendarDay(day=date(2025, 10, 11), workday=False, note="test"))
    db.session.add(CalendarDay(day=date(2025, 10, 1), workday=True, note="test"))
    db.session.flush()
    workdays.invalidate()
    assert not workdays.is_workday(date(2025, 10, 11))
    assert workdays.is_workday(date(2025, 10, 1))
    # A single override does not make an unknown year known (R4: only a full load does).
    db.session.add(CalendarDay(day=date(2027, 1, 1), workday=False))
    db.session.flush()
    workdays.invalidate()
    assert not workdays.is_workday(date(2027, 1, 1))
    assert not workdays.year_known(2027)


def test_R4_loading_a_year_makes_it_known_and_not_provisional(app, monkeypatch):
    import app.engine as engine

    monkeypatch.setattr(engine, "recompute_provisional_deadlines", lambda: 0)
    assert workdays.working_days_after(date(2027, 1, 1), 1).provisional
    holidays = [DaySpec(date(2027, 1, 1), False, "元旦")]
    result = load_year(year=2027, days=holidays)
    assert result.days == 1
    assert workdays.year_known(2027)
    assert not workdays.is_workday(date(2027, 1, 1))
    due = workdays.working_days_after(date(2026, 12, 31), 1)
    assert due.day == date(2027, 1, 4)
    assert due.provisional is False
    alert = db.session.scalar(select(AdminAlert).where(AdminAlert.key == "2027"))
    assert alert.resolved_at is not None


def test_R4_cache_sees_changes_from_another_process(app):
    assert workdays.is_workday(date(2025, 10, 11))
    # Another process wrote a row: simulate by writing without invalidate(), in a new app context.
    db.session.add(CalendarDay(day=date(2025, 10, 11), workday=False))
    db.session.commit()
    with app.app_context():
        assert not workdays.is_workday(date(2025, 10, 11))


def test_working_days_left(app):
    today = date(2025, 9, 29)
    assert workdays.working_days_left(today, date(2025, 10, 20)) == 10
    assert workdays.working_days_left(today, date(2025, 9, 30)) == 1
    assert workdays.working_days_left(today, today) == 0
    # Overdue: Tue 2025-09-30 was due; on Thu 2025-10-09 one working day has passed since.
    assert workdays.working_days_left(date(2025, 10, 9), date(2025, 9, 30)) == -1
    assert workdays.working_days_left(date(2025, 12, 1), date(2026, 12, 31)) > 230


def test_working_days_left_is_fast_for_an_inbox_page(app):
    import time

    start = time.perf_counter()
    for i in range(200):
        workdays.working_days_left(date(2025, 9, 1), date(2025, 12, 1 + i % 28))
    assert time.perf_counter() - start < 1.0


def test_R4_R5_working_days_left_counts_exactly_the_working_days_of_the_span(app):
    """The span is counted by bisecting each year's ordered working days: the same number as
    asking day by day, across a year's end and with administrator overrides (a 调休 Saturday
    worked, a weekday off)."""
    db.session.add_all([CalendarDay(day=date(2025, 12, 27), workday=True),
                        CalendarDay(day=date(2026, 1, 5), workday=False)])
    db.session.commit()
    workdays.invalidate()

    def by_day(after: date, until: date) -> int:
        days = (after + timedelta(days=n) for n in range(1, (until - after).days + 1))
        return sum(1 for d in days if workdays.is_workday(d))

    start = date(2025, 12, 20)
    for a in range(0, 30, 3):
        for b in range(0, 30, 4):
            today, due = start + timedelta(days=a), start + timedelta(days=b)
            expected = by_day(today, due) if due > today else -by_day(due, today)
            assert workdays.working_days_left(today, due) == expected, (today, due)
