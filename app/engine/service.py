"""The engine facade: the only way the rest of ERFlow runs diagrams. Returns plain dataclasses.

Every function flushes and never commits (the request or the worker step commits), except `run_due`,
which commits once per instance: it is the worker's unit of work, and `complete` when a refusal is
recorded as the task's outcome (`_refusal_as_outcome`) before it is raised.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from uuid import UUID

from flask_babel import lazy_gettext as _l
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import and_, bindparam, exists, select
from sqlalchemy.orm import aliased, contains_eager, undefer

from app.common import clock, workdays
from app.engine import projections as proj
from app.engine import timers as _timers  # noqa: F401  (engine timers read our clock)
from app.engine.definitions import FormDefinition, remember_form_text
from app.engine.deploy import deploy_files, latest
from app.engine.errors import DeployError  # noqa: F401  (re-exported)
from app.engine.hooks import process_hooks, refusal_outcome
from app.engine.models import (
    AuditEvent,
    Deadline,
    HumanTask,
    ProcessInstance,
    ProcessVersion,
    Timer,
)
from app.engine.runtime import (
    ALREADY_DONE,
    hold_instance,
    restore,
    run_step,
    spec_of,
    version_of,
)
from app.engine.serialization import dump_state, new_workflow
from app.engine.types import (
    DeadlineInfo,
    DiagramState,
    HistoryEntry,
    IncidentInfo,
    InstanceInfo,
    TaskInfo,
    VersionInfo,
)
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db

log = logging.getLogger(__name__)


def deploy(
    files: dict[str, str | bytes], *, actor_id: int | None, comment: str | None = None
) -> list[VersionInfo]:
    """Deploy .bpmn/.dmn files; a process gets a new version only when its content changed.
    Invalid input raises DeployError (422) with file, line and reason; nothing is stored then."""
    return deploy_files(files, actor_id=actor_id, comment=comment)


def deploy_dir(path: str | Path, *, actor_id: int | None = None) -> list[VersionInfo]:
    """Deploy every .bpmn and .dmn file of a folder (used by `flask erflow deploy`)."""
    folder = Path(path)
    files = {
        p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix in (".bpmn", ".dmn")
    }
    return deploy(files, actor_id=actor_id, comment=f"deploy {folder.name}")


def start(
    key: str,
    data: dict,
    *,
    actor_id: int | None,
    handling_region: str | None = None,
    enterprise_id: int | None = None,
    business_key: str | None = None,
) -> InstanceInfo:
    """Start the latest version of `key` with `data`; the process's `prepare_start` hook (if any)
    validates and shapes it. Runs until the instance waits."""
    version = latest(key)
    if version is None:
        raise NotFound(_l("流程“%(key)s”尚未部署", key=key))
    priority = 0
    hooks = process_hooks(key)
    if hooks.prepare_start is not None:
        spec = hooks.prepare_start(dict(data or {}), _actor(actor_id))
        data = spec.data
        handling_region = handling_region or spec.handling_region
        enterprise_id = enterprise_id or spec.enterprise_id
        business_key = business_key or spec.business_key
        priority = spec.priority
    spec_obj, subs = spec_of(version)
    workflow = new_workflow(spec_obj, subs)
    workflow.task_tree.data.update(data or {})
    for task in workflow.get_tasks(state=TaskState.READY):  # the start task carries the data
        task.data.update(data or {})
    inst = ProcessInstance(
        key=key,
        version=version.version,
        version_id=version.id,
        business_key=business_key,
        status="running",
        state_json=dump_state(workflow),
        summary=proj.json_safe(data or {}),
        handling_region=handling_region,
        enterprise_id=enterprise_id,
        started_by=actor_id,
        started_at=clock.now(),
        priority=priority,
    )
    db.session.add(inst)
    db.session.flush()
    # a row this transaction inserted is its own until the commit: no step can race its first
    # one, and it has no deadline or task rows yet
    hold_instance(inst, has_deadlines=False, open_rows=[])
    proj.audit(inst.id, "started", actor_id=actor_id, detail={"version": version.version})
    return _info(inst, run_step(inst, {"op": "start"}, actor_id=actor_id))


@cache  # built once: a hot path (docs/operations.md, "Load")
def _task_and_instance(locking: bool):
    """The task, its instance with its state, its form's newest stored text (NULL when the
    form is only a file in forms/ or the task has none), whether the instance has deadlines, and
    (`locking`) one result row per open task row of the instance (usually the task itself)."""
    form = (select(FormDefinition.content)
            .where(FormDefinition.filename == HumanTask.form_key + ".schema.json")
            .order_by(FormDefinition.version.desc()).limit(1).scalar_subquery())
    has_deadlines = exists().where(Deadline.instance_id == HumanTask.instance_id)
    stmt = (
        select(HumanTask, form, has_deadlines)
        .join(HumanTask.instance)
        .options(contains_eager(HumanTask.instance).undefer(ProcessInstance.state_json))
        .where(HumanTask.id == bindparam("task_id"))
    )
    if locking:
        open_row = aliased(HumanTask, name="open_row")
        stmt = (stmt.add_columns(open_row)
                .outerjoin(open_row, and_(open_row.instance_id == ProcessInstance.id,
                                          open_row.state == "open"))
                .with_for_update(of=ProcessInstance)
                .execution_options(populate_existing=True))
    return stmt


def task_for_step(task_id: str) -> HumanTask | None:
    """A task row and its instance (state included) in one query, for a completion that follows
    in the same session: the row holds the instance, so `complete` reads neither again.

    On PostgreSQL the instance row is locked (`FOR UPDATE OF process_instance`): a concurrent
    step of the same instance (two reviewers completing one task) waits here for the winner's
    commit and then reads the winner's state, so its step finds the task done (409) before it
    has written anything — and the step need not write the instance row first to get that
    (runtime.hold_instance)."""
    locking = db.session.get_bind().dialect.name == "postgresql"
    found = db.session.execute(_task_and_instance(locking), {"task_id": str(task_id)}).all()
    if not found:
        return None
    row, stored_form, has_deadlines = found[0][:3]
    if row.form_key:  # the completion validates against it: no second read
        remember_form_text(f"{row.form_key}.schema.json", stored_form)
    if locking:
        open_rows = list({id(r.open_row): r.open_row for r in found
                          if r.open_row is not None}.values())
        hold_instance(row.instance, has_deadlines=bool(has_deadlines), open_rows=open_rows)
    return row


def complete(task_id: str, data: dict, *, actor_id: int | None,
             alone: bool = False) -> InstanceInfo:
    """Merge `data` into the READY user task, complete it, run until the instance waits.
    A task no longer open → Conflict 409 (also when another user won the race). `alone`: the
    caller's transaction has written nothing before (see runtime.run_step)."""
    row = db.session.get(HumanTask, str(task_id))
    if row is None:
        raise NotFound(_l("任务不存在"))
    if row.state != "open":
        raise Conflict(ALREADY_DONE)
    inst = _instance(row.instance_id, with_state=True)
    _require_running(inst)
    try:
        rows = run_step(
            inst, {"op": "complete", "task_id": row.id, "data": data or {}}, actor_id=actor_id,
            alone=alone,
        )
    except DomainError as exc:
        _refusal_as_outcome(inst, row, data or {}, exc, actor_id=actor_id)
        raise
    return _info(inst, rows)


def _refusal_as_outcome(
    inst: ProcessInstance, row: HumanTask, data: dict, exc: DomainError, *, actor_id: int | None
) -> bool:
    """A refused completion that the process models as an outcome (hooks.register_refusal_outcome,
    e.g. R37 at a trade's settlement): the task is completed again with the hook's data in a step
    of its own, recorded, and COMMITTED — the caller answers the refusal and rolls back, and the
    outcome stays. Returns whether it was recorded."""
    outcome = refusal_outcome(inst.key)
    if outcome is None:
        return False
    extra = outcome(row.name, exc, frozenset(element_names(inst.id, version_id=inst.version_id)))
    if not extra:
        return False
    try:
        synced = run_step(
            inst, {"op": "complete", "task_id": row.id, "data": {**data, **extra}},
            actor_id=actor_id,
        )
    except DomainError:
        return False  # the step's savepoint is rolled back: the plain refusal stands
    if synced is None:
        return False  # an incident: the caller's rollback drops it, the plain refusal stands
    proj.audit(
        inst.id, "refused", actor_id=actor_id, task_id=row.id, task_name=row.name,
        detail={"rule": getattr(exc, "rule", None), "message": exc.message},
    )
    db.session.commit()
    return True


def send_message(
    instance_id: int, name: str, payload: dict, *, actor_id: int | None
) -> InstanceInfo:
    """Deliver message `name` with `payload`; 409 when the instance is not waiting for it
    (a process hook may name the rule, e.g. R12 after the objection window closed)."""
    inst = _instance(instance_id, with_state=True)
    _require_running(inst)
    rows = run_step(
        inst, {"op": "message", "name": name, "payload": payload or {}}, actor_id=actor_id
    )
    return _info(inst, rows)


def run_due(now: datetime | None = None) -> int:
    """Fire every timer due at `now` (default: the clock), one instance per transaction.
    On PostgreSQL rows are claimed with FOR UPDATE SKIP LOCKED so workers never collide."""
    moment = now or clock.now()
    previous = clock._pinned
    if now is not None:
        clock.set_now(now)  # the engine's timers compare against the same moment
    try:
        return _fire_due(moment)
    finally:
        if now is not None:
            clock.set_now(previous)


def _fire_due(moment: datetime) -> int:
    fired = 0
    seen: set[int] = set()
    while True:
        query = select(Timer.instance_id).where(Timer.due_at <= moment)
        if seen:
            query = query.where(Timer.instance_id.not_in(seen))
        query = query.order_by(Timer.due_at).limit(1)
        if db.engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        instance_id = db.session.scalar(query)
        if instance_id is None:
            db.session.commit()
            return fired
        seen.add(instance_id)
        inst = db.session.get(ProcessInstance, instance_id)
        if inst is None or inst.status != "running":
            db.session.commit()
            continue
        due = db.session.scalars(
            select(Timer).where(Timer.instance_id == instance_id, Timer.due_at <= moment)
        ).all()
        try:
            synced = run_step(inst, {"op": "timers"}, actor_id=None, refusals_are_incidents=True)
            db.session.commit()
            if synced is not None:  # an incident fired nothing: the admin retries it
                fired += len(due)
        except Conflict:
            db.session.rollback()  # another process stepped this instance first
        log.info("instance %s: %s timer(s) due", instance_id, len(due))


def cancel(instance_id: int, *, actor_id: int | None) -> InstanceInfo:
    """Cancel a running (or failed) instance: its open tasks, timers and deadlines close."""
    inst = _instance(instance_id)
    if inst.status in ("completed", "cancelled"):
        raise Conflict(_l("流程实例已结束"))
    workflow = restore(inst)
    workflow.cancel()
    inst.state_json = dump_state(workflow)
    inst.status = "cancelled"
    inst.ended_at = clock.now()
    proj.close_instance_rows(inst, state="cancelled")
    proj.audit(inst.id, "cancelled", actor_id=actor_id)
    db.session.flush()
    return get_instance(inst.id)


def incidents(*, instance_id: int | None = None, limit: int = 200) -> list[IncidentInfo]:
    """Instances in `incident`, newest first (with the traceback only for one instance)."""
    query = select(ProcessInstance).where(ProcessInstance.status == "incident")
    if instance_id is not None:
        query = query.where(ProcessInstance.id == instance_id).options(
            undefer(ProcessInstance.incident_traceback)
        )
    rows = db.session.scalars(query.order_by(ProcessInstance.incident_at.desc()).limit(limit))
    return [
        IncidentInfo(
            instance_id=r.id,
            key=r.key,
            version=r.version,
            business_key=r.business_key,
            message=r.incident_message or "",
            traceback=r.incident_traceback if instance_id is not None else None,
            at=r.incident_at,
            step=(r.incident_action or {}).get("op"),
        )
        for r in rows
    ]


def retry(instance_id: int, *, actor_id: int | None) -> InstanceInfo:
    """Re-run the step that failed, after an administrator fixed the cause."""
    inst = _instance(instance_id, with_state=True)
    if inst.status != "incident":
        raise Conflict(_l("流程实例没有待处理的故障"))
    action = dict(inst.incident_action or {"op": "timers"})
    original_actor = action.pop("actor_id", None)
    proj.audit(inst.id, "retried", actor_id=actor_id, detail={"step": action.get("op")})
    # the re-run step is still the original user's action (their completion, their message)
    run_step(inst, action, actor_id=original_actor if original_actor is not None else actor_id)
    return get_instance(inst.id)


def diagram_state(instance_id: int) -> DiagramState:
    """The version's BPMN XML plus the element ids already passed and those now active."""
    inst = _instance(instance_id)
    workflow = restore(inst)
    completed, active = [], []
    for task in workflow.get_tasks():
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        if not bpmn_id:
            continue
        if task.state == TaskState.COMPLETED and bpmn_id not in completed:
            completed.append(bpmn_id)
        elif task.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED, TaskState.ERROR):
            if bpmn_id not in active:
                active.append(bpmn_id)
    return DiagramState(bpmn_xml=version_of(inst).bpmn_xml, completed=completed, active=active)


_element_names: dict[tuple[str, int], dict[str, str]] = {}


def element_names(instance_id: int, *, version_id: int | None = None) -> dict[str, str]:
    """BPMN element id → its name in the instance's version (for people-facing histories).
    Versions never change, so the map is parsed once per version and process."""
    if version_id is None:
        version_id = _instance(instance_id).version_id
    key = (str(db.engine.url), version_id)
    names = _element_names.get(key)
    if names is None:
        from lxml import etree

        from app.engine.deploy import _safe_parser

        xml = db.session.get(ProcessVersion, version_id).bpmn_xml
        root = etree.fromstring(xml.encode("utf-8"), _safe_parser())
        names = {
            el.get("id"): el.get("name")
            for el in root.iter()
            if isinstance(el.tag, str) and el.get("id") and el.get("name")
        }
        _element_names[key] = names
    return dict(names)


def get_instance(instance_id: int) -> InstanceInfo:
    return _info(_instance(instance_id))


def _info(inst: ProcessInstance, synced: proj.TaskSync | None = None) -> InstanceInfo:
    """The instance as InstanceInfo; `synced` is what a step just wrote (rows not read again)."""
    tasks = synced.open_rows if synced is not None else db.session.scalars(
        select(HumanTask)
        .where(HumanTask.instance_id == inst.id, HumanTask.state == "open")
        .order_by(HumanTask.created_at, HumanTask.id)
    ).all()
    deadlines = synced.deadlines if synced is not None and synced.deadlines is not None else \
        db.session.scalars(
            select(Deadline).where(Deadline.instance_id == inst.id).order_by(Deadline.id)
        ).all()
    return InstanceInfo(
        id=inst.id,
        key=inst.key,
        version=inst.version,
        status=inst.status,
        business_key=inst.business_key,
        summary=dict(inst.summary or {}),
        handling_region=inst.handling_region,
        enterprise_id=inst.enterprise_id,
        started_by=inst.started_by,
        started_at=inst.started_at,
        ended_at=inst.ended_at,
        active_tasks=[_task_info(t) for t in tasks],
        deadlines=[
            DeadlineInfo(
                task=d.task_name,
                rule=d.rule,
                due_at=d.due_at,
                provisional=d.provisional,
                open=d.open,
            )
            for d in deadlines
        ],
        incident_message=inst.incident_message,
        version_id=inst.version_id,
    )


def task_info(task_id: str) -> TaskInfo:
    """A task with its form keys and its current data (to prefill the form)."""
    row = db.session.get(HumanTask, str(task_id))
    if row is None:
        raise NotFound(_l("任务不存在"))
    data: dict[str, Any] = {}
    ui_key = None
    inst = _instance(row.instance_id)
    if row.state == "open":
        task = restore(inst).get_task_from_id(UUID(row.id))
        if task is not None:
            data = proj.json_safe(
                {k: v for k, v in task.data.items() if k not in proj.INTERNAL_KEYS}
            )
            props = (getattr(task.task_spec, "extensions", None) or {}).get("properties", {})
            ui_key = proj.form_key(props.get("formUiSchemaFilename"))
    return _task_info(row, data=data, ui_form_key=ui_key)


def history(instance_id: int) -> list[HistoryEntry]:
    rows = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.instance_id == instance_id)
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    if not rows:  # every instance has its "started" entry: none means no such instance
        _instance(instance_id)
    return [
        HistoryEntry(
            at=r.at,
            actor_id=r.actor_id,
            action=r.action,
            task_id=r.task_id,
            task_name=r.task_name,
            detail=dict(r.detail or {}),
        )
        for r in rows
    ]


def recompute_provisional_deadlines() -> int:
    """R4: after a calendar year is loaded, recount open provisional deadlines; move the task's due
    time, the waiting timer cached inside the instance state, and the timer row. Returns how many
    deadlines changed."""
    changed = 0
    rows = db.session.scalars(
        select(Deadline).where(Deadline.provisional.is_(True), Deadline.open.is_(True))
    ).all()
    by_instance: dict[int, list[tuple[Deadline, datetime]]] = {}
    for dl in rows:
        due = (
            workdays.working_days_after(dl.start, dl.n)
            if dl.kind == "working"
            else workdays.period_end(dl.start, dl.n)
        )
        old = dl.due_at
        if due.due_at == old and due.provisional == dl.provisional:
            continue
        dl.due_at, dl.provisional = due.due_at, due.provisional
        changed += 1
        for task in db.session.scalars(
            select(HumanTask).where(
                HumanTask.instance_id == dl.instance_id,
                HumanTask.name == dl.task_name,
                HumanTask.state == "open",
            )
        ):
            task.due_at, task.provisional = due.due_at, due.provisional
        if due.due_at != old:
            by_instance.setdefault(dl.instance_id, []).append((dl, old))
    for instance_id, moves in by_instance.items():
        inst = db.session.get(ProcessInstance, instance_id)
        if inst is None or inst.status not in ("running", "incident"):
            continue
        workflow = restore(inst)
        for dl, old in moves:
            new_iso = clock.local(dl.due_at).isoformat()
            for task in proj.waiting_timers(workflow):
                if proj.timer_due(task) == old:
                    task._set_internal_data(event_value=new_iso)
            old_iso = clock.local(old).isoformat()
            for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING):
                for k, v in list(task.data.items()):
                    if v == old_iso:
                        task.data[k] = new_iso
        inst.state_json = dump_state(workflow)
        proj.sync_timers(inst, workflow)
        proj.audit(
            inst.id,
            "deadline_recomputed",
            detail={"deadlines": [{"rule": d.rule, "from": o, "to": d.due_at} for d, o in moves]},
        )
    db.session.flush()
    return changed


def annotate_summary(
    instance_id: int, values: dict[str, Any], *, actor_id: int | None, action: str
) -> InstanceInfo:
    """Merge `values` into an instance's business summary after it changed outside the diagram
    (e.g. a fee notice paid after the allocation ended, R15) and record `action` in its history."""
    inst = _instance(instance_id)
    inst.summary = {**(inst.summary or {}), **proj.json_safe(values)}
    text = proj.dumps(inst.summary)[: proj.SUMMARY_TEXT_MAX]
    for row in db.session.scalars(  # the inbox's copy (search, task summaries) follows
        select(HumanTask).where(HumanTask.instance_id == inst.id, HumanTask.state == "open")
    ):
        row.summary = text
    proj.audit(inst.id, action, actor_id=actor_id, detail=values)
    db.session.flush()
    return get_instance(inst.id)


# -- helpers -------------------------------------------------------------------------------------


@cache
def _with_state() -> list:
    return [undefer(ProcessInstance.state_json)]


def _instance(instance_id: int, *, with_state: bool = False) -> ProcessInstance:
    inst = db.session.get(ProcessInstance, instance_id, options=_with_state() if with_state else [])
    if inst is None:
        raise NotFound(_l("流程实例不存在"))
    return inst


def _require_running(inst: ProcessInstance) -> None:
    if inst.status == "incident":
        raise Conflict(_l("流程实例处于故障状态，请等待管理员处理"))
    if inst.status != "running":
        raise Conflict(_l("流程实例已结束"))


def _actor(actor_id: int | None):
    if actor_id is None:
        return None
    from app.auth.models import User

    return db.session.get(User, actor_id)


def _task_info(
    row: HumanTask, *, data: dict | None = None, ui_form_key: str | None = None
) -> TaskInfo:
    return TaskInfo(
        id=row.id,
        instance_id=row.instance_id,
        process_key=row.process_key,
        name=row.name,
        title=row.title,
        role=row.role,
        state=row.state,
        region_code=row.region_code,
        enterprise_id=row.enterprise_id,
        assignee_id=row.assignee_id,
        priority=row.priority,
        created_at=row.created_at,
        due_at=row.due_at,
        provisional=row.provisional,
        deadline_rule=row.deadline_rule,
        escalated=row.escalated,
        form_key=row.form_key,
        ui_form_key=ui_form_key,
        business_key=row.business_key,
        data=data or {},
        summary=row.summary,
        completed_at=row.completed_at,
    )


def _versions(key: str) -> list[ProcessVersion]:
    return db.session.scalars(
        select(ProcessVersion).where(ProcessVersion.key == key).order_by(ProcessVersion.version)
    ).all()


# -- administrators' editing: drafts, validation, versions, migration (issue 5) -------------------
# Thin re-exports: the logic lives in app/engine/{versioning,migration,definitions}.py.
from app.engine.definitions import (  # noqa: E402,F401
    form_exists,
    form_files,
    form_history,
    form_text,
    get_draft,
    latest_draft,
    save_draft,
    save_form_file,
)
from app.engine.migration import (  # noqa: E402,F401
    MigrationCheck,
    migrate_instance,
    migration_candidates,
)
from app.engine.versioning import (  # noqa: E402,F401
    VersionDiff,
    VersionSummary,
    check_xml,
    current_dmn_files,
    deploy_decision,
    deploy_process,
    diff_versions,
    dmn_users,
    process_keys,
    rollback,
    validate_process,
    version_list,
)
