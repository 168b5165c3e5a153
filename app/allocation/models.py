"""Allocation tables: files attached to an instance (an objection's evidence, R12) and the
allocation policy values administrators edit (R14 five-year period, R15 payment term)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.common.types import UTCDateTime
from app.extensions import db


class Attachment(db.Model):
    """A file uploaded to an instance, stored under ERFLOW_UPLOAD_DIR/<instance>/ with its size,
    type, SHA-256 and uploader recorded (DESIGN "Forms"). Rows are never changed."""

    __tablename__ = "attachment"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20), nullable=False, default="objection")
    filename: Mapped[str] = mapped_column(String(200), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    stored_name: Mapped[str] = mapped_column(String(100), nullable=False)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class AllocationPolicy(db.Model):
    """A named allocation policy value (R14, R15), seeded from RULES.md, edited by administrators:
    `period_start` (first day of a five-year period), `period_years`, `payment_days` (natural days
    from issue to the payment deadline on the notice), `notice_working_days` (R15)."""

    __tablename__ = "allocation_policy"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(100), nullable=False)
    note: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by: Mapped[int | None] = mapped_column(Integer)
