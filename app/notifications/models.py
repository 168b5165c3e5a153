"""In-app notifications: one row per user and event (a task opened for them, a decision on their
application, a deadline approaching or passed). `ref` makes each event notify a user once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, text
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
    # Mail is claimed before it is sent (services.deliver_mail): one worker per row, at most once.
    mail_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    mail_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0,
                                               server_default="0")

    __table_args__ = (
        UniqueConstraint("user_id", "kind", "ref", name="uq_notification_user_kind_ref"),
        Index("ix_notification_user_read", "user_id", "read_at"),
        # Partial: the mail queue (unmailed, unclaimed rows) stays small while the table grows.
        Index("ix_notification_mail_queue", "id",
              sqlite_where=text("mailed_at IS NULL AND mail_claimed_at IS NULL"),
              postgresql_where=text("mailed_at IS NULL AND mail_claimed_at IS NULL")),
    )
