"""The whitelisted environment diagram scripts and conditions run in (R4–R6 date helpers,
deadlines).

Scripts see only: safe builtins, Decimal/date/datetime/timedelta, the working-day helpers,
`deadline`,
`now`, and the functions domains register via `app.engine.hooks.register_script_function`.
The step being run is known through a context variable, so `deadline()` can record its Deadline row.
"""

from __future__ import annotations

import builtins
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from app.common import clock, workdays
from app.engine import hooks

_SAFE_BUILTINS = {
    name: getattr(builtins, name)
    for name in (
        "abs all any bool dict enumerate filter float format frozenset int isinstance len list map "
        "max min next range reversed round set sorted str sum tuple zip True False None "
        "ValueError KeyError TypeError Exception"
    ).split()
}


@dataclass
class DeadlineRequest:
    """A deadline a script asked for during a step; persisted with the step (or dropped with it)."""

    rule: str
    kind: str
    start: date
    n: int
    task: str | None
    due: workdays.Due


@dataclass
class StepContext:
    instance_id: int | None
    deadlines: list[DeadlineRequest] = field(default_factory=list)


_current: ContextVar[StepContext | None] = ContextVar("erflow_engine_step", default=None)


def begin_step(instance_id: int | None) -> tuple[StepContext, Any]:
    ctx = StepContext(instance_id)
    return ctx, _current.set(ctx)


def end_step(token) -> None:
    _current.reset(token)


def as_date(value: Any) -> date:
    """A date as Asia/Shanghai counts it (R3), from a date, an aware datetime or an ISO string."""
    if isinstance(value, str):
        value = (
            datetime.fromisoformat(value)
            if "T" in value or " " in value
            else date.fromisoformat(value)
        )
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=clock.SHANGHAI)
        return clock.local(value).date()
    if isinstance(value, date):
        return value
    raise TypeError(f"not a date: {value!r}")


def _iso(moment: datetime) -> str:
    return clock.local(moment).isoformat()


def working_days_after(start: Any, n: int) -> str:
    """R5: due time (ISO, +08:00) of N working days counted from the day after `start`."""
    return _iso(workdays.working_days_after(as_date(start), int(n)).due_at)


def period_end(start: Any, days: int) -> str:
    """R6: end (ISO, +08:00) of a period of `days` natural days from the day after `start`."""
    return _iso(workdays.period_end(as_date(start), int(days)).due_at)


def deadline(rule: str, start: Any, n: int, kind: str = "working", task: str | None = None) -> str:
    """Count a deadline (R5 working / R6 natural), record it for `task`, and return its ISO due time
    so a boundary timer can read it."""
    if kind not in ("working", "natural"):
        raise ValueError(f"deadline kind must be working or natural, not {kind!r}")
    day = as_date(start)
    due = (
        workdays.working_days_after(day, int(n))
        if kind == "working"
        else workdays.period_end(day, int(n))
    )
    ctx = _current.get()
    if ctx is not None:
        ctx.deadlines.append(DeadlineRequest(rule, kind, day, int(n), task, due))
    return _iso(due.due_at)


def current_instance_id() -> int | None:
    """The instance whose step is running (for script functions that record a cause, R37)."""
    ctx = _current.get()
    return ctx.instance_id if ctx is not None else None


def now() -> datetime:
    """The clock's now (R3), in Asia/Shanghai."""
    return clock.local(clock.now())


def script_globals() -> dict[str, Any]:
    env: dict[str, Any] = {
        "__builtins__": _SAFE_BUILTINS,
        "Decimal": Decimal,
        "date": date,
        "datetime": datetime,
        "timedelta": timedelta,
        "working_days_after": working_days_after,
        "period_end": period_end,
        "deadline": deadline,
        "now": now,
    }
    env.update(hooks.script_functions())
    return env


def script_engine() -> PythonScriptEngine:
    """A fresh engine with today's registered functions (attached after every restore)."""
    return PythonScriptEngine(environment=TaskDataEnvironment(script_globals()))
