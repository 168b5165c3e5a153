"""The audit trail of policy data (fee standards, benchmark prices, pilot pollutants, attainment,
the calendar): append-only `audit_event` rows with no instance, action "policy_changed", saying who
changed which table's row, when, and the old and new value."""
from __future__ import annotations

from sqlalchemy import select

from app.common import clock
from app.engine.models import AuditEvent
from app.extensions import db

POLICY_CHANGED = "policy_changed"


def record_policy_change(*, actor_id: int | None, table: str, subject: dict, old, new) -> None:
    db.session.add(AuditEvent(
        at=clock.now(), actor_id=actor_id, instance_id=None, action=POLICY_CHANGED,
        detail={"table": table, **subject, "old": old, "new": new},
    ))


def policy_audit(table: str, *, limit: int = 50) -> list[AuditEvent]:
    """The latest audited changes of one policy table, newest first."""
    rows = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == POLICY_CHANGED,
                                 AuditEvent.instance_id.is_(None))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit * 4)
    )
    return [r for r in rows if (r.detail or {}).get("table") == table][:limit]
