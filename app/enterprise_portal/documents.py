"""The printable review decision (审查决定书) of an instance: the latest bureau decision recorded in
the audit trail — any step whose form has a decision field (decision, review_decision,
certify_decision, approval_decision, …) in any bureau lane — under the deciding bureau's name,
with a document number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.models import Enterprise, User
from app.engine.models import AuditEvent, HumanTask, ProcessInstance
from app.errors import NotFound
from app.extensions import db
from app.inbox import forms
from app.inbox.presentation import process_name
from app.inbox.queries import can_view_instance
from app.public import printing


@dataclass(frozen=True)
class DecisionDocument:
    instance: ProcessInstance
    process: str
    number: str
    bureau_name: str
    enterprise: Enterprise | None
    decision: str
    decision_label: str | None  # the form's own words for the decision (ui:enumNames)
    opinion: str
    step: str  # the step's title (a diagram name; the page translates it)
    decided_at: datetime
    decided_by: str


def is_bureau_decision(detail: dict | None) -> bool:
    """A completed step that decided something, taken by a bureau (an enterprise's own choice,
    such as signing the contract, is no review decision)."""
    detail = detail or {}
    return detail.get("decision") not in (None, "") and detail.get("lane") != "enterprise"


def latest_decision(*, user: User, instance_id: int) -> DecisionDocument:
    """The newest bureau decision of the instance; 404 when the user may not see the instance
    (R7) or nothing has been decided yet."""
    inst = db.session.get(ProcessInstance, instance_id)
    if inst is None or not can_view_instance(user, inst):
        raise NotFound(_l("申请不存在"))
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.instance_id == inst.id,
                                 AuditEvent.action == "task_completed")
        .order_by(AuditEvent.at, AuditEvent.id)).all()
    decided = [e for e in events if is_bureau_decision(e.detail)]
    if not decided:
        raise NotFound(_l("该申请尚无审查决定"))
    seq, event = len(decided), decided[-1]  # the n-th decision of the application: -JD0n
    task = db.session.get(HumanTask, event.task_id) if event.task_id else None
    # the deciding bureau: the task's own region (a common superior for cross-region approval)
    region = (task.region_code if task else None) or inst.handling_region
    field = event.detail.get("decision_field") or "decision"
    actor = db.session.get(User, event.actor_id) if event.actor_id else None
    return DecisionDocument(
        instance=inst,
        process=process_name(inst.key, inst.version),
        number=f"{inst.business_key or inst.id}-JD{seq:02d}",
        bureau_name=printing.issuing_bureau(region),
        enterprise=db.session.get(Enterprise, inst.enterprise_id) if inst.enterprise_id else None,
        decision=str(event.detail["decision"]),
        decision_label=forms.choice_label(task.form_key, field, event.detail["decision"])
        if task and task.form_key else None,
        opinion=str(event.detail.get("opinion") or ""),
        step=(task.title if task else "") or event.task_name or "",
        decided_at=event.at,
        decided_by=(actor.display_name or actor.username) if actor else "",
    )
