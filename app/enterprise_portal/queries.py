"""An enterprise's applications: each instance of its own enterprise with the step it stands at,
who must act, and by when (read from process_instance and human_task only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from app.auth.models import User
from app.common import clock
from app.engine.models import AuditEvent, HumanTask, ProcessInstance
from app.enterprise_portal.documents import is_bureau_decision
from app.extensions import db
from app.inbox.presentation import process_name
from app.inbox.queries import light


@dataclass
class Application:
    instance: ProcessInstance
    process: str
    ours: list[dict] = field(default_factory=list)  # open enterprise-lane tasks: we must act
    bureau: list[dict] = field(default_factory=list)  # open bureau tasks: the bureau is acting
    decided: bool = False  # a review decision exists (printable)
    objection_open: bool = False  # R12: an allocation under publication, no objection filed yet
    objection_pending: bool = False  # R12, R13: the one objection is filed and not yet decided
    window_closes_at: datetime | None = None  # R12: end of the publication window

    @property
    def state(self) -> str:
        """`act` (we must do something), `wait` (the bureau is handling it), `incident`,
        or the instance's own ended status."""
        if self.instance.status != "running":
            return self.instance.status
        if self.instance.incident_at is not None:
            return "incident"
        return "act" if self.ours else "wait"


def my_applications(user: User, now: datetime | None = None, limit: int = 200) -> list[Application]:
    """The user's enterprise's instances, newest first (an enterprise sees only its own)."""
    if not user.enterprise_id:
        return []
    now = now or clock.now()
    insts = db.session.scalars(
        select(ProcessInstance).where(ProcessInstance.enterprise_id == user.enterprise_id)
        .order_by(ProcessInstance.started_at.desc(), ProcessInstance.id.desc()).limit(limit)).all()
    apps = {i.id: Application(i, process_name(i.key, i.version), **objection_state(i, now))
            for i in insts}
    if not apps:
        return []
    tasks = db.session.scalars(
        select(HumanTask).where(HumanTask.instance_id.in_(list(apps)), HumanTask.state == "open")
        .order_by(HumanTask.due_at, HumanTask.created_at)).all()
    for task in tasks:
        row = {"task": task, "light": light(task.due_at, now)}
        app = apps[task.instance_id]
        if task.role == "enterprise" and task.enterprise_id == user.enterprise_id:
            app.ours.append(row)
        else:
            app.bureau.append(row)
    events = db.session.execute(
        select(AuditEvent.instance_id, AuditEvent.detail).where(
            AuditEvent.instance_id.in_(list(apps)), AuditEvent.action == "task_completed"))
    for instance_id, detail in events:
        if is_bureau_decision(detail):
            apps[instance_id].decided = True
    return list(apps.values())


def objection_state(inst: ProcessInstance, now: datetime) -> dict:
    """R12: whether the unit may still file its one objection against a published allocation
    (window open, none filed), or has filed it and awaits the decision (R13). The engine decides
    on delivery; this only says whether to offer the form."""
    summary = inst.summary if isinstance(inst.summary, dict) else {}
    objection = summary.get("objection")
    filed = bool(objection)
    pending = isinstance(objection, dict) and not objection.get("decision")
    if inst.key != "allocation" or inst.status != "running":
        return {"objection_open": False, "objection_pending": False}
    closes = summary.get("window_closes_at")
    try:
        closes_at = datetime.fromisoformat(closes) if closes else None
    except (TypeError, ValueError):
        closes_at = None
    return {"objection_open": bool(closes_at and now < closes_at and not filed),
            "objection_pending": pending, "window_closes_at": closes_at}


def unpaid_fees(user: User) -> list[dict]:
    """The enterprise's unpaid fee notices, soonest first, with their deadline light (R16)."""
    from app.ledger.models import FeeNotice

    if not user.enterprise_id:
        return []
    now = clock.now()
    notices = db.session.scalars(select(FeeNotice).where(
        FeeNotice.enterprise_id == user.enterprise_id, FeeNotice.status == "unpaid")
        .order_by(FeeNotice.due_at)).all()
    return [{"notice": n, "light": light(n.due_at, now)} for n in notices]

