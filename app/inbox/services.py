"""Inbox operations: open, claim, unclaim and complete tasks; start processes; read an
instance's timeline. Jurisdiction (R7) is checked here for pages and API alike. Services flush,
never commit."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select, update

from app import engine
from app.auth.access import in_jurisdiction
from app.auth.models import User
from app.engine.models import AuditEvent, HumanTask, ProcessInstance, ProcessVersion
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.inbox import forms, queries

# Who may start which process: a small, explicit map (R10: bureaus allocate; R17: units buy).
# A process missing here is started by bureau handlers. Nobody starts a mediation (R25) by hand:
# a party's request on a trade starts it (app/trading/mediation.py); nor a cross-region approval
# (R26, R32): it is the call activity of a trade or a lease, meaningless without one.
START_ROLES: dict[str, tuple[str, ...]] = {
    "allocation": ("handler",),
    "trade": ("enterprise",),
    "lease": ("enterprise",),
    "buyback": ("enterprise", "handler"),
    "mediation": (),
    "cross_region_approval": (),
}
DEFAULT_START_ROLES = ("handler",)
ALREADY_DONE = _l("该任务已被他人处理")


@dataclass(frozen=True)
class Startable:
    key: str
    name: str
    version: int
    form_key: str | None  # forms/<key>_start.schema.json when present


# -- tasks ---------------------------------------------------------------------------------------

def get_task(*, user: User, task_id: str, for_step: bool = False) -> HumanTask:
    """The task if `user` may see it (R7); 404 otherwise, so other counties' work stays unseen.
    `for_step`: its instance's state is loaded with it (one query) for a completion."""
    task = engine.task_for_step(task_id) if for_step else db.session.get(HumanTask, str(task_id))
    if task is None or not queries.can_view(user, task):
        raise NotFound(_l("任务不存在或不在您的管辖范围内"))
    return task


def _require_workable(user: User, task: HumanTask) -> None:
    if task.state != "open":
        raise Conflict(ALREADY_DONE)
    if task.assignee_id is not None and task.assignee_id != user.id:
        raise Forbidden(_l("该任务已由他人认领"))
    if not queries.can_work(user, task):
        raise Forbidden(_l("您无权办理该任务"))


def claim(*, user: User, task_id: str) -> HumanTask:
    """Take an unclaimed task the user is eligible for; 409 when someone else got there first."""
    task = get_task(user=user, task_id=task_id)
    if task.state != "open":
        raise Conflict(ALREADY_DONE)
    if task.assignee_id == user.id:
        return task
    if task.assignee_id is not None:
        raise Conflict(_l("该任务已由他人认领"))
    if not queries.eligible(user, task):
        raise Forbidden(_l("您无权认领该任务"))
    # a guarded UPDATE: of two simultaneous claims exactly one changes the row
    result = db.session.execute(
        update(HumanTask)
        .where(HumanTask.id == task.id, HumanTask.state == "open", HumanTask.assignee_id.is_(None))
        .values(assignee_id=user.id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict(_l("该任务已由他人认领"))
    db.session.flush()
    db.session.refresh(task)
    return task


def unclaim(*, user: User, task_id: str) -> HumanTask:
    """Give a claimed task back to the queue (its holder or an administrator)."""
    task = get_task(user=user, task_id=task_id)
    if task.state != "open":
        raise Conflict(ALREADY_DONE)
    if task.assignee_id is None:
        raise Conflict(_l("该任务尚未被认领"))
    if task.assignee_id != user.id and not user.has_role("admin"):
        raise Forbidden(_l("只能退回自己认领的任务"))
    task.assignee_id = None
    db.session.flush()
    return task


def task_form(task: HumanTask) -> tuple[forms.FormSpec | None, dict[str, Any]]:
    """The task's form (if it has one) and its current data from the engine (for prefill)."""
    info = engine.task_info(task.id)
    spec = forms.load_form(task.form_key, info.ui_form_key) if task.form_key else None
    return spec, dict(info.data or {})


def check_submission(spec: forms.FormSpec | None, data: Any) -> dict:
    """Validate submitted task data: only the form's own fields, valid per its schema. Without a
    form only an `opinion` is accepted (nothing may overwrite the process's own variables)."""
    if not isinstance(data, dict):
        raise ValidationFailed(_l("data 应为 JSON 对象"), fields={"data": [_l("应为 JSON 对象")]})
    allowed = forms.allowed_keys(spec.schema) if spec else set()
    if allowed is not None:
        allowed = allowed | {"opinion"}  # every task takes the reviewer's opinion (审批意见)
        unknown = sorted(k for k in data if k not in allowed)
        if unknown:
            raise ValidationFailed(
                _l("提交了表单之外的字段"), fields={k: [_l("不是此表单的字段")] for k in unknown}
            )
    if spec is not None:
        own = forms.allowed_keys(spec.schema)
        checked = data if own is None or "opinion" in own else {
            k: v for k, v in data.items() if k != "opinion"}
        forms.require_valid(spec.schema, checked)
    if not isinstance(data.get("opinion", ""), str):
        raise ValidationFailed(_l("审批意见应为文字"), fields={"opinion": [_l("应为文字")]})
    return data


def complete(*, user: User, task_id: str, data: Any,
             task: HumanTask | None = None) -> engine.InstanceInfo:
    """Complete a task through the engine after the checks: visible (404), workable (403), still
    open (409), valid per its form (422). The reviewer's `opinion` goes into the audit history.
    `task`: the row the caller already got from get_task(for_step=True)."""
    if task is None or task.id != str(task_id):
        task = get_task(user=user, task_id=task_id, for_step=True)
    _require_workable(user, task)
    spec = forms.FormSpec(task.form_key, forms.load_schema(task.form_key), {}) \
        if task.form_key else None  # validation needs the schema only
    check_submission(spec, data)
    # a lost race → 409 from the engine; nothing was written before the step (`alone`)
    return engine.complete(task.id, data, actor_id=user.id, alone=True)


# -- processes -----------------------------------------------------------------------------------

def start_roles(key: str) -> tuple[str, ...]:
    return START_ROLES.get(key, DEFAULT_START_ROLES)


def latest_versions() -> list[ProcessVersion]:
    """The newest version of every deployed process, by key."""
    rows = db.session.scalars(
        select(ProcessVersion).order_by(ProcessVersion.key, ProcessVersion.version.desc())
    ).all()
    seen: dict[str, ProcessVersion] = {}
    for row in rows:
        seen.setdefault(row.key, row)
    return list(seen.values())


def startable_processes(*, user: User) -> list[Startable]:
    """Deployed processes `user` may start from the web, with their start form. A process with
    neither a start form nor an entry in START_ROLES is not offered: it is started by another
    process (a call activity such as cross_region_approval) or by a program through the API."""
    out = []
    for row in latest_versions():
        if not user.has_role(*start_roles(row.key)):
            continue
        key = f"{row.key}_start"
        form_key = key if forms.form_exists(key) else None
        if form_key is None and row.key not in START_ROLES:
            continue
        out.append(Startable(row.key, row.name or row.key, row.version, form_key))
    return out


def start(*, user: User, key: str, data: Any) -> engine.InstanceInfo:
    """Start process `key` for `user` (role per START_ROLES). The process's start hook validates the
    data; without one, the caller's region handles it and the start form (if any) validates it."""
    if not user.has_role(*start_roles(key)):
        raise Forbidden(_l("当前角色不能发起此流程"))
    if not isinstance(data, dict):
        raise ValidationFailed(_l("data 应为 JSON 对象"), fields={"data": [_l("应为 JSON 对象")]})
    form_key = f"{key}_start"
    if forms.form_exists(form_key):
        forms.require_valid(forms.load_form(form_key).schema, data)
    from app.engine.hooks import process_hooks

    region = None if process_hooks(key).prepare_start else user.region_code
    enterprise_id = user.enterprise_id if user.has_role("enterprise") else None
    from app.allocation.services import guard_start

    # R16: an unpaid fee notice past its deadline blocks trades, leases and permit changes
    guard_start(key=key, enterprise_id=enterprise_id or data.get("enterprise_id"))
    info = engine.start(key, data, actor_id=user.id, handling_region=region,
                        enterprise_id=enterprise_id)
    # R7: a bureau starts only work its own jurisdiction handles (raising rolls the start back)
    if not user.has_role("enterprise") and info.handling_region and not in_jurisdiction(
            user, info.handling_region):
        raise Forbidden(_l("该事项不属于您所在生态环境部门的管辖范围"))
    return info


def get_instance(*, user: User, instance_id: int) -> ProcessInstance:
    inst = db.session.get(ProcessInstance, instance_id)
    if inst is None or not queries.can_view_instance(user, inst):
        raise NotFound(_l("流程实例不存在或不在您的管辖范围内"))
    return inst


def send_message(*, user: User, instance_id: int, name: str, payload: Any
                 ) -> engine.InstanceInfo:
    """Deliver a message (e.g. the unit's objection, R12). The applicant unit's users, or bureau
    users over the instance's region (recording a paper filing), may send it; 409 (with the rule
    the process names, e.g. R12) when the instance is not waiting for it."""
    inst = get_instance(user=user, instance_id=instance_id)
    if not isinstance(payload, dict):
        raise ValidationFailed(_l("data 应为 JSON 对象"), fields={"data": [_l("应为 JSON 对象")]})
    own_unit = user.has_role("enterprise") and inst.enterprise_id == user.enterprise_id
    bureau = user.has_role("handler", "admin") and (
        (user.has_role("admin") and user.region_code is None)
        or in_jurisdiction(user, inst.handling_region)
    )
    if not (own_unit or bureau):
        raise Forbidden(_l("您无权向该流程发送此消息"))
    try:
        return engine.send_message(inst.id, name, payload, actor_id=user.id)
    except Conflict as exc:
        if exc.rule is None:  # e.g. the instance has ended: let the process say why (R12)
            from app.engine.hooks import process_hooks

            explain = process_hooks(inst.key).refuse_message
            refusal = explain(name, inst.summary or {}) if explain else None
            if refusal and refusal[0]:
                raise Conflict(refusal[1], rule=refusal[0]) from exc
        raise


def cancel(*, user: User, instance_id: int) -> engine.InstanceInfo:
    inst = get_instance(user=user, instance_id=instance_id)
    if not user.has_role("admin"):
        raise Forbidden(_l("只有管理员可以撤销流程"))
    return engine.cancel(inst.id, actor_id=user.id)


# -- reading an instance -------------------------------------------------------------------------

@dataclass(frozen=True)
class TimelineEntry:
    at: Any
    actor_id: int | None
    actor: str | None  # username
    actor_name: str | None  # display name
    action: str
    task: str | None  # BPMN element id
    task_title: str | None
    detail: dict


@cache  # every completion answers with the history: built once
def _history_statement():
    return (select(AuditEvent.at, AuditEvent.actor_id, AuditEvent.action, AuditEvent.task_name,
                   AuditEvent.detail, User.username, User.display_name)
            .outerjoin(User, User.id == AuditEvent.actor_id)
            .where(AuditEvent.instance_id == bindparam("instance_id"))
            .order_by(AuditEvent.at, AuditEvent.id))


def timeline(instance_id: int, *, version_id: int | None = None) -> list[TimelineEntry]:
    """The instance's audit history with people's and steps' names."""
    # the history with its people's names in one statement
    entries = db.session.execute(_history_statement(), {"instance_id": instance_id}).all()
    if not entries:  # every instance has its "started" entry: none means no such instance
        engine.history(instance_id)
    # timers and messages have names too; a called process's steps are not in this diagram
    titles = engine.element_names(instance_id, version_id=version_id)
    if any(e.task_name and e.task_name not in titles for e in entries):
        titles.update(db.session.execute(
            select(HumanTask.name, HumanTask.title).where(HumanTask.instance_id == instance_id)
        ).all())
    out = []
    for e in entries:
        out.append(TimelineEntry(
            at=e.at, actor_id=e.actor_id, actor=e.username,
            actor_name=(e.display_name or e.username) if e.username is not None else None,
            action=e.action,
            task=e.task_name, task_title=titles.get(e.task_name) or e.task_name,
            detail=dict(e.detail or {}),
        ))
    return out


def usernames(ids: set[int | None]) -> dict[int, User]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(wanted)))}
