"""Operations tables: the timer workers' heartbeats (read by /readyz)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.common.types import UTCDateTime
from app.extensions import db


class WorkerHeartbeat(db.Model):
    """One row per worker process (`host:pid`), touched after every round it runs."""

    __tablename__ = "worker_heartbeat"
    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    host: Mapped[str] = mapped_column(String(100), nullable=False)
    pid: Mapped[int] = mapped_column(Integer, nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    fired_total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


__all__ = ["WorkerHeartbeat"]
