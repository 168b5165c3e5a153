"""In-app notifications: one row per user and event (a task opened for them, a decision on their
application, a deadline approaching or passed). `ref` makes each event notify a user once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.common.types import UTCDateTime
from app.extensions import db

KINDS = ("task", "decision", "due_soon", "overdue")


class Notification(db.Model):
    __tablename__ = "notification"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # one of KINDS
    ref: Mapped[str] = mapped_column(String(80), nullable=False)  # e.g. the human_task id
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("user_id", "kind", "ref", name="uq_notification_user_kind_ref"),
        Index("ix_notification_user_read", "user_id", "read_at"),
    )
