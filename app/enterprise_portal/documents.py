"""The printable review decision (审查决定书) of an instance: the latest reviewer or approver
decision recorded in the audit trail, with the bureau's name and a document number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.auth.models import Bureau, Enterprise, User
from app.engine.models import AuditEvent, ProcessInstance
from app.errors import NotFound
from app.extensions import db
from app.inbox.presentation import process_name
from app.inbox.queries import can_view_instance


@dataclass(frozen=True)
class DecisionDocument:
    instance: ProcessInstance
    process: str
    number: str
    bureau_name: str
    enterprise: Enterprise | None
    decision: str
    opinion: str
    step: str
    decided_at: datetime
    decided_by: str


def latest_decision(*, user: User, instance_id: int) -> DecisionDocument:
    """The newest completed step that carried a decision; 404 when the user may not see the
    instance (R7) or nothing has been decided yet."""
    inst = db.session.get(ProcessInstance, instance_id)
    if inst is None or not can_view_instance(user, inst):
        raise NotFound("申请不存在")
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.instance_id == inst.id,
                                 AuditEvent.action == "task_completed")
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())).all()
    decided = list(enumerate([e for e in reversed(events) if (e.detail or {}).get("decision")],
                             start=1))  # the n-th decision of the application: -JD0n
    if not decided:
        raise NotFound("该申请尚无审查决定")
    seq, event = decided[-1]
    bureau = db.session.scalar(select(Bureau.name).where(
        Bureau.region_code == inst.handling_region)) if inst.handling_region else None
    actor = db.session.get(User, event.actor_id) if event.actor_id else None
    return DecisionDocument(
        instance=inst,
        process=process_name(inst.key, inst.version),
        number=f"{inst.business_key or inst.id}-JD{seq:02d}",
        bureau_name=bureau or "生态环境主管部门",
        enterprise=db.session.get(Enterprise, inst.enterprise_id) if inst.enterprise_id else None,
        decision=str(event.detail["decision"]),
        opinion=str(event.detail.get("opinion") or ""),
        step=event.task_name or "",
        decided_at=event.at,
        decided_by=(actor.display_name or actor.username) if actor else "",
    )
