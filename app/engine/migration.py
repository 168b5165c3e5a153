"""Moving running instances to a newer version of their process (SpiffWorkflow's diff/migrate).

An instance may move only when every step it has completed is unchanged in the newer version
(same element, same attributes, same outgoing flows): the engine then re-predicts the steps ahead of
it from the new diagram. Every move is audited ("migrated").
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import undefer

from app.engine import projections as proj
from app.engine.deploy import latest
from app.engine.models import ProcessInstance, ProcessVersion
from app.engine.runtime import restore, run_step, spec_of
from app.engine.serialization import SERIALIZER, dump_state
from app.errors import Conflict, NotFound, Text
from app.extensions import db

DONE = TaskState.COMPLETED | TaskState.CANCELLED | TaskState.ERROR


@dataclass(frozen=True)
class MigrationCheck:
    instance_id: int
    business_key: str | None
    from_version: int
    to_version: int
    compatible: bool
    reason: Text  # why not (empty when compatible)


def _label(task) -> str:
    spec = task.task_spec
    name = getattr(spec, "bpmn_name", None)
    bpmn_id = getattr(spec, "bpmn_id", None) or spec.name
    return _l("%(name)s（%(code)s）", name=name, code=bpmn_id) if name else bpmn_id


def _incompatibility(workflow, spec, subs) -> tuple[str, tuple | None]:
    """(reason, diffs): reason is empty when the instance can move."""
    top, sub_diffs = diff_workflow(SERIALIZER.registry, workflow, spec, subs)
    for task in top.removed:
        if task.state & DONE:
            return _l("已完成的步骤 %(step)s 在新版本中已删除", step=_label(task)), None
        if task.state & (TaskState.READY | TaskState.WAITING | TaskState.STARTED):
            return _l("当前步骤 %(step)s 在新版本中已删除", step=_label(task)), None
    for task in top.changed:
        if task.state & DONE:
            return _l("已完成的步骤 %(step)s 在新版本中有改动", step=_label(task)), None
    for sp_id, diff in sub_diffs.items():
        if diff is None:
            return _l("子流程 %(name)s 在新版本中不存在",
                      name=workflow.subprocesses[sp_id].spec.name), None
        if any(t.state & DONE for t in diff.removed + diff.changed):
            return _l("子流程 %(name)s 中已完成的步骤有改动",
                      name=workflow.subprocesses[sp_id].spec.name), None
    return "", (top, sub_diffs)


def _target(key: str, to_version: int | None) -> ProcessVersion:
    if to_version is None:
        row = latest(key)
    else:
        row = db.session.scalar(
            select(ProcessVersion).where(
                ProcessVersion.key == key, ProcessVersion.version == to_version
            )
        )
    if row is None:
        raise NotFound(_l("流程“%(key)s”没有目标版本", key=key))
    return row


def check_instance(inst: ProcessInstance, target: ProcessVersion) -> MigrationCheck:
    reason = ""
    if inst.status != "running":
        reason = "只有运行中的实例可以迁移"
    elif inst.version >= target.version:
        reason = "实例已在该版本或更新的版本上"
    else:
        spec, subs = spec_of(target)
        reason, _ = _incompatibility(restore(inst), spec, subs)
    return MigrationCheck(
        instance_id=inst.id,
        business_key=inst.business_key,
        from_version=inst.version,
        to_version=target.version,
        compatible=not reason,
        reason=reason,
    )


def migration_candidates(key: str, *, to_version: int | None = None) -> list[MigrationCheck]:
    """Every running instance of `key` on an older version, with whether it can move and why
    not."""
    target = _target(key, to_version)
    rows = db.session.scalars(
        select(ProcessInstance)
        .options(undefer(ProcessInstance.state_json))
        .where(
            ProcessInstance.key == key,
            ProcessInstance.status == "running",
            ProcessInstance.version < target.version,
        )
        .order_by(ProcessInstance.id)
    ).all()
    return [check_instance(inst, target) for inst in rows]


def migrate_instance(
    instance_id: int, *, to_version: int | None = None, actor_id: int | None
) -> MigrationCheck:
    """Move one running instance to `to_version` (default: the latest); Conflict (409) with the
    reason when its completed steps changed."""
    inst = db.session.get(
        ProcessInstance, instance_id, options=[undefer(ProcessInstance.state_json)]
    )
    if inst is None:
        raise NotFound(_l("流程实例不存在"))
    target = _target(inst.key, to_version)
    check = check_instance(inst, target)
    if not check.compatible:
        raise Conflict(_l("实例 %(id)s 不能迁移：%(reason)s", id=inst.id, reason=check.reason))
    workflow = restore(inst)
    spec, subs = spec_of(target)
    _, (top, sub_diffs) = _incompatibility(workflow, spec, subs)
    for sp_id, diff in sub_diffs.items():
        sub = workflow.subprocesses[sp_id]
        migrate_workflow(diff, sub, subs[sub.spec.name])
    migrate_workflow(top, workflow, spec)
    workflow.subprocess_specs = subs
    previous = inst.version
    inst.state_json = dump_state(workflow)
    inst.version, inst.version_id = target.version, target.id
    db.session.flush()
    proj.audit(
        inst.id,
        "migrated",
        actor_id=actor_id,
        detail={"from_version": previous, "to_version": target.version},
    )
    # run on the new diagram until it waits; tasks, timers and deadlines follow it
    run_step(inst, {"op": "timers"}, actor_id=actor_id)
    return check
