"""Running one step of one instance: restore, act, run until it waits, persist — or record an
incident.

A step is all-or-nothing inside a savepoint. The instance row's `lock_version` turns a lost race
into a
409 for the second caller (never a double effect). A failing script is the one broad exception we
catch: the instance goes to `incident` with the message and traceback, everything else of the step
is
dropped, and `retry` re-runs the same step later.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from flask_babel import lazy_gettext as _l
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.spiff.specs.event_definitions import (
    MessageEventDefinition as SpiffMessageEventDefinition,
)
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import inspect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from app.common import clock
from app.engine import projections as proj
from app.engine.hooks import process_hooks
from app.engine.models import HumanTask, ProcessInstance, ProcessVersion
from app.engine.scripting import begin_step, end_step
from app.engine.serialization import dump_state, load_spec, load_state
from app.errors import Conflict, DomainError
from app.extensions import db

ALREADY_DONE = _l("该任务已被处理")


def version_of(inst: ProcessInstance) -> ProcessVersion:
    return db.session.get(ProcessVersion, inst.version_id)


def spec_of(version: ProcessVersion) -> tuple:
    return load_spec(version.id, version.content_hash, lambda: version.spec_json)


_version_hashes: dict[tuple[str, int], str] = {}


def restore(inst: ProcessInstance):
    """The instance's workflow. Version rows never change, so their hash is looked up once per
    process (keyed by database too: test databases reuse ids)."""
    key = (str(db.engine.url), inst.version_id)
    content_hash = _version_hashes.get(key)
    if content_hash is None:
        version = version_of(inst)
        content_hash = _version_hashes[key] = version.content_hash
    spec, subs = load_spec(
        inst.version_id, content_hash, lambda: version_of(inst).spec_json
    )
    return load_state(inst.state_json, spec, subs)


def _domain_cause(exc: BaseException) -> DomainError | None:
    """A domain refusal raised inside a script (e.g. RuleViolation) stays a refusal, not an
    incident."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, DomainError):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def _waiting_message_tasks(workflow, name: str) -> list:
    found = []
    for task in workflow.event_manager.tasks.values():
        definition = getattr(task.task_spec, "event_definition", None)
        defs = getattr(definition, "event_definitions", None) or [definition]
        if any(isinstance(d, MessageEventDefinition) and d.name == name for d in defs):
            found.append(task)
    return found


def _apply(workflow, inst: ProcessInstance, action: dict) -> dict:
    """Do what the action asks; return what to record about it."""
    op = action["op"]
    if op == "complete":
        task = workflow.get_task_from_id(UUID(action["task_id"]))
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise Conflict(ALREADY_DONE)
        task.data.update(action.get("data") or {})
        task.run()
        return {"task": task}
    if op == "message":
        workflow.refresh_timers()  # a window that has closed (R12) no longer takes the message
        workflow.do_engine_steps()
        if not _waiting_message_tasks(workflow, action["name"]):
            hooks = process_hooks(inst.key)
            refusal = (
                hooks.refuse_message(action["name"], inst.summary or {})
                if (hooks.refuse_message)
                else None
            )
            if refusal:
                raise Conflict(refusal[1], rule=refusal[0])
            raise Conflict(_l("流程当前不在等待消息“%(name)s”", name=action["name"]))
        event = BpmnEvent(SpiffMessageEventDefinition(action["name"]), payload=action["payload"])
        workflow.catch(event)
        return {}
    if op == "timers":
        workflow.refresh_timers()
        return {}
    return {}  # start, retry of a start: just run


def run_step(
    inst: ProcessInstance,
    action: dict,
    *,
    actor_id: int | None,
    refusals_are_incidents: bool = False,
    alone: bool = False,
) -> proj.TaskSync | None:
    """Apply `action`, run the engine until it waits, persist state and projections in one go.
    Returns the open task rows it synced (None when the step became an incident).

    The step runs in a savepoint, so that a failure drops its writes and keeps the caller's.
    `alone`: the caller's transaction holds nothing but this step (a completion request: reads,
    then the step), so no savepoint is needed — a failure rolls the whole transaction back."""
    ctx, token = begin_step(inst.id)
    savepoint = None if alone else db.session.begin_nested()
    seen = inst.lock_version
    try:
        _take_instance(inst)
        workflow = restore(inst)
        timers_before = {t.id: (t, proj.timer_due(t)) for t in proj.waiting_timers(workflow)}
        held = _held(inst)
        states_before = {str(k): t.state for k, t in workflow.tasks.items()} \
            if held is not None and held.open_rows is not None else None
        applied = _apply(workflow, inst, action)
        workflow.do_engine_steps()
        synced = _persist(inst, workflow, ctx, action, applied, timers_before,
                          states_before, actor_id=actor_id)
        db.session.flush()
        if savepoint is not None:
            savepoint.commit()
        return synced
    except DomainError as exc:
        _undo(savepoint)
        if not refusals_are_incidents or isinstance(exc, Conflict):
            raise
        _record_incident(inst, action, exc, actor_id=actor_id, seen=seen)
        return None
    except StaleDataError as exc:
        _undo(savepoint)
        raise Conflict(ALREADY_DONE) from exc
    except Exception as exc:  # the one place an engine failure becomes an incident
        if _connection_lost(exc):
            raise  # not the process's fault: the request fails (503), nothing is recorded
        _undo(savepoint)
        cause = _domain_cause(exc)
        if cause is not None and not refusals_are_incidents:
            raise cause from exc
        _record_incident(inst, action, exc, actor_id=actor_id, seen=seen)
        return None
    finally:
        end_step(token)


def _connection_lost(exc: BaseException) -> bool:
    """Whether the database connection died under the step (anywhere in the cause chain)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _undo(savepoint) -> None:
    """Drop a failed step's writes: its savepoint, or (a step alone) the whole transaction."""
    if savepoint is not None:
        savepoint.rollback()
    else:
        db.session.rollback()


@dataclass
class _Hold:
    """What a transaction knows of the instance it holds (hold_instance)."""

    transaction: Any
    instance_id: int
    has_deadlines: bool = True
    open_rows: list[HumanTask] | None = None  # the instance's open task rows, read with it


def hold_instance(inst: ProcessInstance, *, has_deadlines: bool = True,
                  open_rows: list[HumanTask] | None = None) -> None:
    """`inst` was read with `SELECT … FOR UPDATE` in the current transaction: its row is locked
    until the commit, so a step of it need not take it again (_take_instance). What the same read
    found cannot change before the commit either — only a step of this instance adds deadline or
    task rows, or closes task rows — so the next step need not read them again:
    `has_deadlines` False (no deadline rows), `open_rows` (its open task rows)."""
    db.session.info["erflow_held"] = _Hold(db.session().get_transaction(), inst.id,
                                           has_deadlines, open_rows)


def _held(inst: ProcessInstance) -> _Hold | None:
    held = db.session.info.get("erflow_held")
    if held is None or held.transaction is not db.session().get_transaction() \
            or held.instance_id != inst.id:
        return None
    return held


def _take_instance(inst: ProcessInstance) -> None:
    """Write the instance row first (`UPDATE … WHERE lock_version = :seen`), before the step runs,
    unless this transaction holds its lock already (hold_instance).
    A concurrent step of the same instance (two reviewers completing one task) waits here for
    the winner's commit, then finds the version moved: StaleDataError → 409, before it has run
    anything. Checked only at the end, the loser's first writes (the next task's row, a deposit
    row: the same keys as the winner's) would fail on a unique key instead and look like an
    incident (bench/load.py found it)."""
    if inspect(inst).persistent and not _held(inst):
        flag_modified(inst, "status")
        db.session.flush()


def decision_field(keys) -> str | None:
    """The decision field among a form's (or a submission's) keys: `decision` or `<what>_decision`
    (review_decision, certify_decision, approval_decision, …)."""
    found = sorted(k for k in keys if isinstance(k, str)
                   and (k == "decision" or k.endswith("_decision")))
    return "decision" if "decision" in found else (found[0] if found else None)


def completion_detail(data: dict, lane: str | None) -> dict:
    """What the audit keeps of a completed step: the opinion, the decision whatever its field is
    called (with the field's name) and the lane that decided (printable decisions, notices)."""
    field = decision_field(data)
    detail = {"opinion": data.get("opinion"), "decision": data.get(field) if field else None}
    if field and field != "decision":
        detail["decision_field"] = field
    if lane:
        detail["lane"] = lane
    return detail


def _persist(inst, workflow, ctx, action, applied, timers_before, states_before=None, *,
             actor_id) -> proj.TaskSync:
    hooks = process_hooks(inst.key)
    data = proj.current_data(workflow)
    summary = hooks.summarize(data) if hooks.summarize else proj.json_safe(data)
    inst.summary = proj.json_safe(summary)
    inst.state_json = dump_state(workflow)
    completed = applied.get("task")
    if action["op"] == "complete" and completed is not None:
        proj.audit(
            inst.id,
            "task_completed",
            actor_id=actor_id,
            task_id=str(completed.id),
            task_name=completed.task_spec.bpmn_id,
            detail=completion_detail(action.get("data") or {}, completed.task_spec.lane),
        )
    if action["op"] == "message":
        proj.audit(
            inst.id,
            "message_received",
            actor_id=actor_id,
            detail={"name": action["name"], "payload": action["payload"]},
        )
    _record_fired_timers(inst, workflow, timers_before)
    held = _held(inst)
    without_deadlines = held is not None and not held.has_deadlines and not ctx.deadlines
    open_rows = None
    if held is not None:
        held.has_deadlines = held.has_deadlines or bool(ctx.deadlines)
        open_rows, held.open_rows = held.open_rows, None  # this step changes them
    proj.sync_deadlines(inst, ctx)
    summary_text = proj.dumps(inst.summary)[: proj.SUMMARY_TEXT_MAX]
    synced = proj.sync_human_tasks(
        inst,
        workflow,
        actor_id=actor_id,
        completed_task_id=str(completed.id) if completed is not None else None,
        summary_text=summary_text,
        priority=inst.priority or 0,
        without_deadlines=without_deadlines,
        open_rows=open_rows,
        states_before=states_before,
    )
    if workflow.is_completed():
        inst.status = "completed"
        inst.ended_at = clock.now()
        # sync_human_tasks closed every open row (nothing is READY in an ended workflow); timer
        # rows mirror the timers that waited when the step began
        proj.close_instance_rows(inst, state="cancelled", rows_closed=True,
                                 timer_rows=bool(timers_before),
                                 deadline_rows=not without_deadlines)
        synced = proj.TaskSync([], None)  # closed rows; deadlines closed by a bulk update
        proj.audit(inst.id, "completed", actor_id=actor_id)
        if hooks.on_complete:
            hooks.on_complete(inst.id, data)
    else:
        inst.status = "running"
        proj.sync_timers(inst, workflow, before={k: due for k, (_, due) in timers_before.items()})
    if inst.incident_message is not None:  # only a retried step has an incident to clear
        inst.incident_action = None
        inst.incident_message = None
        inst.incident_traceback = None
    return synced


def _record_fired_timers(inst, workflow, timers_before: dict) -> None:
    """Audit each timer that fired in this step; a non-interrupting boundary timer on a user task
    escalates that task (R13: never silently closed, shown as escalated)."""
    still_waiting = {t.id for t in proj.waiting_timers(workflow)}
    now = clock.now()
    for task_id, (task, due) in timers_before.items():
        if task_id in still_waiting or task.state not in (TaskState.COMPLETED, TaskState.READY):
            continue
        if due is None or due > now:
            continue  # left because something else happened (e.g. the message of a gateway)
        spec = task.task_spec
        proj.audit(inst.id, "timer_fired", task_id=str(task_id), task_name=spec.bpmn_id)
        if isinstance(spec, CatchingEvent) and getattr(spec, "cancel_activity", True) is False:
            for sibling in task.parent.children if task.parent else []:
                row = db.session.get(HumanTask, str(sibling.id))
                if row is not None and row.state == "open":
                    row.escalated = True
                    row.flags = ",".join(sorted({*filter(None, row.flags.split(",")), "escalated"}))
                    proj.audit(
                        inst.id,
                        "escalated",
                        task_id=row.id,
                        task_name=row.name,
                        detail={"timer": spec.bpmn_id, "due_at": row.due_at},
                    )


def _record_incident(inst: ProcessInstance, action: dict, exc: Exception, *, actor_id,
                     seen: int | None = None) -> None:
    """The instance goes to `incident` with the failed step (its writes are already dropped). When
    the whole transaction was rolled back (a step alone), its row lock went with it: the row is
    locked again, and if another step moved the instance meanwhile, that step won (409)."""
    locking = db.session.get_bind().dialect.name == "postgresql"
    db.session.refresh(inst, with_for_update=locking or None)
    if seen is not None and inst.lock_version != seen:
        raise Conflict(ALREADY_DONE)
    inst.status = "incident"
    inst.incident_message = str(exc)[:2000]
    inst.incident_traceback = "".join(traceback.format_exception(exc))[-20000:]
    inst.incident_at = clock.now()
    inst.incident_action = proj.json_safe({**action, "actor_id": actor_id})
    proj.audit(
        inst.id,
        "incident",
        actor_id=actor_id,
        detail={"message": inst.incident_message, "step": action["op"]},
    )
    _alert(inst)
    db.session.flush()


def _alert(inst: ProcessInstance) -> None:
    from app.common.models import AdminAlert

    key = f"instance:{inst.id}"
    exists = (
        db.session.query(AdminAlert).filter_by(kind="incident", key=key, resolved_at=None).first()
    )
    if exists is None:
        db.session.add(
            AdminAlert(
                kind="incident",
                key=key,
                created_at=clock.now(),
                message=f"流程实例 {inst.id}（{inst.key}）发生故障：{inst.incident_message}",
            )
        )
