"""Engine persistence: deployed versions, instances, and the projections kept in the same
transaction as each step (human_task, timer, deadline, audit_event). Nothing here imports
SpiffWorkflow."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from app.common.types import UTCDateTime
from app.extensions import db


class ProcessVersion(db.Model):
    """One deployed version of one process: its XML, its DMN, and the parsed spec stored once."""

    __tablename__ = "process_version"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(100), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(200), default="")
    bpmn_xml: Mapped[str] = deferred(mapped_column(Text, nullable=False))
    dmn_xml: Mapped[dict] = deferred(mapped_column(JSON, default=dict))  # file name → XML
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    spec_json: Mapped[str] = deferred(mapped_column(Text, nullable=False))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    deployed_by: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (UniqueConstraint("key", "version", name="uq_process_version_key_version"),)


class ProcessInstance(db.Model):
    """A running (or ended) process. `lock_version` makes every step an optimistic
    `UPDATE … WHERE lock_version = :seen`: a lost race raises StaleDataError → 409."""

    __tablename__ = "process_instance"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    business_key: Mapped[str | None] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="running", index=True)
    state_json: Mapped[str] = deferred(mapped_column(Text, nullable=False, default="{}"))
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    handling_region: Mapped[str | None] = mapped_column(String(6), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(Integer, index=True)
    started_by: Mapped[int | None] = mapped_column(Integer, index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    incident_message: Mapped[str | None] = mapped_column(Text)
    incident_traceback: Mapped[str | None] = deferred(mapped_column(Text))
    incident_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the step to re-run on retry after an incident (start | complete | message | timers)
    incident_action: Mapped[dict | None] = deferred(mapped_column(JSON))
    priority: Mapped[int] = mapped_column(
        Integer, default=0, nullable=False
    )  # copied to tasks (R30)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": lock_version}  # noqa: RUF012


class HumanTask(db.Model):
    """The inbox reads only this table. One row per user task the engine has made READY."""

    __tablename__ = "human_task"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the engine's task id
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), nullable=False)
    # read-only link, filled only by engine.task_for_step (one query for task and instance)
    instance: Mapped[ProcessInstance] = relationship(viewonly=True, lazy="select")
    process_key: Mapped[str] = mapped_column(String(100), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)  # BPMN element id
    title: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(40), nullable=False)  # lane name
    region_code: Mapped[str | None] = mapped_column(String(6))  # bureau tasks
    enterprise_id: Mapped[int | None] = mapped_column(Integer)  # enterprise-lane tasks
    assignee_id: Mapped[int | None] = mapped_column(Integer)
    priority: Mapped[int] = mapped_column(Integer, default=0, nullable=False)  # higher first (R30)
    state: Mapped[str] = mapped_column(String(12), default="open", nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    deadline_rule: Mapped[str | None] = mapped_column(String(10))
    escalated: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[int | None] = mapped_column(Integer)
    form_key: Mapped[str | None] = mapped_column(String(100))
    business_key: Mapped[str | None] = mapped_column(String(100))
    summary: Mapped[str] = mapped_column(String(500), default="")  # searchable text
    flags: Mapped[str] = mapped_column(String(100), default="")  # e.g. "green_channel"

    __table_args__ = (
        # The inbox's main index; it also carries the sort keys so a queue is sorted index-only.
        Index(
            "ix_human_task_queue",
            "state",
            "region_code",
            "role",
            "due_at",
            "priority",
            "created_at",
            "id",
        ),
        Index("ix_human_task_enterprise", "state", "enterprise_id", "due_at"),
        # Partial: only claimed tasks. `assignee_id IS NULL` (most open tasks) must never pick it.
        Index(
            "ix_human_task_assignee",
            "assignee_id",
            "state",
            sqlite_where=text("assignee_id IS NOT NULL"),
            postgresql_where=text("assignee_id IS NOT NULL"),
        ),
        Index("ix_human_task_done", "completed_by", "completed_at"),
        Index("ix_human_task_instance", "instance_id", "state"),
    )


class Timer(db.Model):
    """A waiting timer's next due time (projection of the engine's waiting events)."""

    __tablename__ = "timer"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), nullable=False)
    task_id: Mapped[str] = mapped_column(String(36), nullable=False)
    name: Mapped[str] = mapped_column(String(100), default="")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)

    __table_args__ = (
        Index("ix_timer_due", "due_at"),
        Index("ix_timer_instance", "instance_id"),
    )


class Deadline(db.Model):
    """A counted deadline (R5 working days / R6 natural days) a timer or task reads."""

    __tablename__ = "deadline"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), nullable=False)
    task_name: Mapped[str | None] = mapped_column(String(100))
    rule: Mapped[str] = mapped_column(String(10), nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)  # working | natural
    start: Mapped[date] = mapped_column(Date, nullable=False)
    n: Mapped[int] = mapped_column(Integer, nullable=False)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    provisional: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    open: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    __table_args__ = (
        Index("ix_deadline_instance", "instance_id"),
        Index("ix_deadline_provisional", "provisional", "open"),
    )


class AuditEvent(db.Model):
    """Append-only history of every step and action (never updated or deleted)."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    instance_id: Mapped[int | None] = mapped_column(Integer)
    task_id: Mapped[str | None] = mapped_column(String(36))
    task_name: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_audit_event_instance", "instance_id", "at"),)
