"""Working days (R4) and period counting (R5 working days, R6 natural days). INTERFACE STUB:
the calendar work replaces the bodies; signatures are the contract other modules rely on."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class Due:
    day: date  # the last day counted (Asia/Shanghai)
    due_at: datetime  # 24:00 of `day` in Asia/Shanghai, as aware UTC
    provisional: bool  # True when any counted day fell in a year neither source knows (R4)


def is_workday(day: date) -> bool:
    raise NotImplementedError


def year_known(year: int) -> bool:
    raise NotImplementedError


def working_days_after(start: date, n: int) -> Due:
    """R5: N working days counted from the day after `start`, ending 24:00 of the N-th."""
    raise NotImplementedError


def period_end(start: date, days: int) -> Due:
    """R6: `days` natural days from the day after `start`; a last day off moves to the next workday."""
    raise NotImplementedError


def working_days_left(today: date, due: date) -> int:
    """Working days from `today` (exclusive) to `due` (inclusive); 0 or less when due/overdue."""
    raise NotImplementedError
