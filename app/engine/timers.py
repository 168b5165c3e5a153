"""The one adaptation of SpiffWorkflow's timers: their "now" is ERFlow's clock (app.common.clock).

SpiffWorkflow's timer module calls `datetime.now(timezone.utc)`; we swap the module's `datetime`
name for
a subclass whose `now()` reads our clock, so tests and the test-clock API move time instead of
sleeping.
"""

from __future__ import annotations

from datetime import datetime as _datetime
from datetime import timedelta

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer_module

from app.common import clock


class _ClockMeta(type(_datetime)):
    def __instancecheck__(
        cls, obj
    ) -> bool:  # plain datetimes count too (isinstance checks in Spiff)
        return isinstance(obj, _datetime)


class ClockDatetime(_datetime, metaclass=_ClockMeta):
    @classmethod
    def now(cls, tz=None):
        # Spiff fires a timer when due < now; a timer due at T must fire at T itself, as the timer
        # rows (due_at <= now) and R6 say ("24:00 of the last day": at 00:00 it has closed).
        current = clock.now() + timedelta(microseconds=1)
        return current.astimezone(tz) if tz is not None else current


def install() -> None:
    """Idempotent: point SpiffWorkflow's timer module at our clock."""
    _timer_module.datetime = ClockDatetime


install()
