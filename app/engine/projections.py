"""Projections kept in the same transaction as each step: human_task, timer, deadline,
audit_event."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, delete, or_, select, update

from app.common import clock
from app.engine.models import AuditEvent, Deadline, HumanTask, ProcessInstance, Timer
from app.engine.scripting import StepContext
from app.extensions import db

INTERNAL_KEYS = {"data_objects"}
SUMMARY_TEXT_MAX = 500  # human_task.summary: the instance summary as JSON text, cut at this


def json_safe(value: Any) -> Any:
    """Task data as plain JSON: Decimal → str (R1), date/datetime → ISO (R3 offsets kept)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items() if not callable(v)}
    if isinstance(value, list | tuple | set):
        return [json_safe(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return clock.local(value).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def dumps(value: Any) -> str:
    return json.dumps(json_safe(value), ensure_ascii=False)


def audit(
    instance_id: int | None,
    action: str,
    *,
    actor_id: int | None = None,
    task_id: str | None = None,
    task_name: str | None = None,
    detail: dict | None = None,
) -> None:
    db.session.add(
        AuditEvent(
            at=clock.now(),
            actor_id=actor_id,
            instance_id=instance_id,
            task_id=task_id,
            task_name=task_name,
            action=action,
            detail=json_safe(detail or {}),
        )
    )


def ready_user_tasks(workflow) -> list:
    return [
        t
        for t in workflow.get_tasks(state=TaskState.READY)
        if isinstance(t.task_spec, UserTaskMixin)
    ]


def _timer_definition(task) -> TimerEventDefinition | None:
    """The timer a waiting task waits for: its own, or one among an event-based gateway's events."""
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, TimerEventDefinition):
        return definition
    for inner in getattr(definition, "event_definitions", None) or []:
        if isinstance(inner, TimerEventDefinition):
            return inner
    return None


def timer_due(task) -> datetime | None:
    """The due time a waiting timer task has cached (its evaluated expression)."""
    definition = _timer_definition(task)
    value = task._get_internal_data("event_value")
    if definition is None or value is None:
        return None
    if isinstance(definition, CycleTimerEventDefinition):
        if not isinstance(value, dict) or value.get("cycles") == 0:
            return None
        return datetime.fromisoformat(value["next"])
    due = TimerEventDefinition.parse_time_or_duration(value)
    return due if isinstance(due, datetime) else None


def waiting_timers(workflow) -> list:
    """Waiting tasks that wait (also) for a timer, incl. boundary and event-gateway timers."""
    return [
        t
        for t in workflow.event_manager.tasks.values()
        if t.state == TaskState.WAITING and _timer_definition(t) is not None
    ]


def current_data(workflow) -> dict:
    """The instance's business data: the workflow's data when ended, else the open tasks' data."""
    if workflow.is_completed():
        return dict(workflow.data)
    data: dict = {}
    tasks = workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED)
    for task in sorted(tasks, key=lambda t: t.last_state_change):
        data.update(task.data)
    if not data and workflow.last_task is not None:
        data.update(workflow.last_task.data)
    return {k: v for k, v in data.items() if k not in INTERNAL_KEYS}


def sync_deadlines(inst: ProcessInstance, ctx: StepContext) -> None:
    for req in ctx.deadlines:
        db.session.add(
            Deadline(
                instance_id=inst.id,
                task_name=req.task,
                rule=req.rule,
                kind=req.kind,
                start=req.start,
                n=req.n,
                due_at=req.due.due_at,
                provisional=req.due.provisional,
                open=True,
            )
        )
    if ctx.deadlines:
        db.session.flush()


@dataclass
class TaskSync:
    """What sync_human_tasks leaves: the open rows, and every deadline of the instance when it
    had to read them (None otherwise), so the answer to the step needs no second query."""

    open_rows: list[HumanTask]
    deadlines: list[Deadline] | None = None


@cache  # built once: a hot path (docs/operations.md, "Load")
def _deadlines_of_instance():
    return (select(Deadline).where(Deadline.instance_id == bindparam("instance_id"))
            .order_by(Deadline.id))


@cache
def _rows_of_step(with_ready: bool):
    """The instance's open task rows, and (`with_ready`) any row of the READY tasks `ids`."""
    wanted = HumanTask.state == "open"
    if with_ready:
        wanted = or_(wanted, HumanTask.id.in_(bindparam("ids", expanding=True)))
    return select(HumanTask).where(HumanTask.instance_id == bindparam("instance_id"), wanted)


@cache
def _rows_with_ids():
    return select(HumanTask).where(HumanTask.id.in_(bindparam("ids", expanding=True)))


def _never_ready(state: TaskState | None) -> bool:
    """A task absent when the step began, or then only predicted (MAYBE, LIKELY, FUTURE), has
    never been READY, so it has no row: rows are written only for READY tasks, with their ids."""
    return state is None or bool(state & _PREDICTED)


_PREDICTED = TaskState.MAYBE | TaskState.LIKELY | TaskState.FUTURE


def _all_deadlines(instance_id: int) -> list[Deadline]:
    """Every deadline of an instance, oldest first (one query per step)."""
    with db.session.no_autoflush:  # sync_deadlines flushed this step's own deadlines already
        return list(db.session.scalars(_deadlines_of_instance(), {"instance_id": instance_id}))


def sync_human_tasks(
    inst: ProcessInstance,
    workflow,
    *,
    actor_id: int | None,
    completed_task_id: str | None,
    summary_text: str,
    priority: int,
    without_deadlines: bool = False,
    open_rows: list[HumanTask] | None = None,
    states_before: dict[str, TaskState] | None = None,
) -> TaskSync:
    """Open a row per READY user task, close rows whose task is no longer READY (R13 due dates).
    One query for the rows (open ones and any row a READY task already has), and one for the
    deadlines only when a row opens, closes with a due date, or still lacks one — none when the
    caller knows the instance has no deadline (`without_deadlines`). Returns the open rows (and
    the deadlines when read or known).

    `open_rows`: the instance's open rows, already read with it under its lock (with
    `states_before`, each task's state when the step began). Then the rows are read only for a
    READY task that may have had a row before: one that is neither open nor new to READY in this
    step (never READY before: absent then, or still a prediction)."""
    now = clock.now()
    ready = {str(t.id): t for t in ready_user_tasks(workflow)}
    loaded: list[list[Deadline]] = [[]] if without_deadlines else []

    def deadlines() -> dict[str, list[Deadline]]:
        """Open deadlines by task name, newest first."""
        if not loaded:
            loaded.append(_all_deadlines(inst.id))
        found: dict[str, list[Deadline]] = {}
        for dl in reversed(loaded[0]):
            if dl.open:
                found.setdefault(dl.task_name or "", []).append(dl)
        return found

    def deadline_for(name: str) -> Deadline | None:
        found = [dl for dl in deadlines().get(name, []) if dl.open]
        return found[0] if found else None

    with db.session.no_autoflush:  # rows change only here; nothing pending alters this answer
        if open_rows is not None and states_before is not None:
            rows = list(open_rows)
            have = {r.id for r in rows}
            unknown = [i for i in ready if i not in have
                       and not _never_ready(states_before.get(i))]
            if unknown:
                rows += db.session.scalars(_rows_with_ids(), {"ids": unknown}).all()
        else:
            params = {"instance_id": inst.id, **({"ids": list(ready)} if ready else {})}
            rows = db.session.scalars(_rows_of_step(bool(ready)), params).all()
    known = {r.id for r in rows}
    still_open: list[HumanTask] = []
    for row in rows:
        if row.state != "open":
            continue
        if row.id in ready:
            if row.summary != summary_text:
                row.summary = summary_text
            still_open.append(row)
            continue
        done = row.id == completed_task_id
        row.state = "completed" if done else "cancelled"
        row.completed_at = now
        row.completed_by = actor_id if done else None
        if row.due_at is not None:  # a row with a due date is the only holder of its deadlines
            for dl in deadlines().get(row.name, []):
                dl.open = False
    for task_id, task in ready.items():
        if task_id in known:
            continue
        spec = task.task_spec
        props = (getattr(spec, "extensions", None) or {}).get("properties", {})
        role = spec.lane or ""
        region = inst.handling_region
        if props.get("candidateRegionVar"):
            region = task.data.get(props["candidateRegionVar"]) or region
        dl = deadline_for(spec.bpmn_id or spec.name)
        row = HumanTask(
            id=task_id,
            instance_id=inst.id,
            process_key=inst.key,
            name=spec.bpmn_id or spec.name,
            title=spec.bpmn_name or spec.bpmn_id or spec.name,
            role=role,
            region_code=None if role == "enterprise" else region,
            enterprise_id=inst.enterprise_id if role == "enterprise" else None,
            priority=priority,
            state="open",
            created_at=now,
            due_at=dl.due_at if dl else None,
            provisional=dl.provisional if dl else False,
            deadline_rule=dl.rule if dl else None,
            form_key=form_key(props.get("formJsonSchemaFilename")),
            business_key=inst.business_key,
            summary=summary_text,
            escalated=False,
            # a process marks its tasks for the inbox through `inbox_flags` (R29 green channel)
            flags=",".join(sorted(str(f) for f in (task.data.get("inbox_flags") or [])))[:100],
        )
        db.session.add(row)
        still_open.append(row)
    # a deadline counted after its task opened (e.g. in a parallel branch) still reaches the row
    for row in still_open:
        if row.due_at is None:
            dl = deadline_for(row.name)
            if dl is not None:
                row.due_at, row.provisional, row.deadline_rule = dl.due_at, dl.provisional, dl.rule
    return TaskSync(sorted(still_open, key=lambda r: (r.created_at, r.id)),
                    loaded[0] if loaded else None)


def form_key(filename: str | None) -> str | None:
    if not filename:
        return None
    for suffix in (".schema.json", ".json"):
        if filename.endswith(suffix):
            return filename[: -len(suffix)]
    return filename


def sync_timers(inst: ProcessInstance, workflow, *, before: dict | None = None) -> None:
    """Keep the instance's timer rows equal to its waiting timers. `before` (task id → due, the
    timers waiting when the step began, which the rows mirror) limits the writes to what changed;
    without it every row is replaced."""
    wanted = {}
    for task in waiting_timers(workflow):
        due = timer_due(task)
        if due is not None:
            wanted[str(task.id)] = (task, due)
    if before is None:
        db.session.execute(delete(Timer).where(Timer.instance_id == inst.id))
        fresh = wanted
    else:
        old = {str(k): due for k, due in before.items() if due is not None}
        stale = [k for k, due in old.items() if k not in wanted or wanted[k][1] != due]
        fresh = {k: v for k, v in wanted.items() if old.get(k) != v[1]}
        if stale:
            db.session.execute(
                delete(Timer).where(Timer.instance_id == inst.id, Timer.task_id.in_(stale))
            )
    for task_id, (task, due) in fresh.items():
        db.session.add(
            Timer(
                instance_id=inst.id,
                task_id=task_id,
                name=task.task_spec.bpmn_id or task.task_spec.name,
                due_at=due,
            )
        )


def close_instance_rows(inst: ProcessInstance, *, state: str = "cancelled",
                        rows_closed: bool = False, timer_rows: bool = True,
                        deadline_rows: bool = True) -> None:
    """An ended instance: its open task rows (unless the caller closed them: `rows_closed`), its
    timer rows and its open deadlines (unless it knows there are none: `timer_rows`,
    `deadline_rows`)."""
    now = clock.now()
    if not rows_closed:
        for row in db.session.scalars(_open_rows(), {"instance_id": inst.id}):
            row.state, row.completed_at = state, now
    if timer_rows:
        db.session.execute(_drop_timers(), {"instance_id": inst.id})
    if deadline_rows:
        db.session.execute(_close_deadlines(), {"ended_instance": inst.id})


@cache
def _open_rows():
    return select(HumanTask).where(HumanTask.instance_id == bindparam("instance_id"),
                                   HumanTask.state == "open")


@cache
def _drop_timers():
    return delete(Timer).where(Timer.instance_id == bindparam("instance_id"))


@cache
def _close_deadlines():
    return (update(Deadline)
            .where(Deadline.instance_id == bindparam("ended_instance"), Deadline.open.is_(True))
            .values(open=False))
