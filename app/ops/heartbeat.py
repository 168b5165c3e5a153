"""Worker heartbeats: each `flask erflow worker` round records that its process is alive."""
from __future__ import annotations

import logging
import os
import socket
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.ops.models import WorkerHeartbeat

log = logging.getLogger("erflow.worker")
_started = datetime.now(UTC)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def beat(fired: int = 0) -> None:
    """Upsert this process's heartbeat and commit (its own small transaction, after the round).

    Wall-clock time on purpose: liveness is about the machine, not the (possibly frozen) test
    clock."""
    now = datetime.now(UTC)
    name = worker_name()
    try:
        row = db.session.get(WorkerHeartbeat, name)
        if row is None:
            host, pid = name.rsplit(":", 1)
            row = WorkerHeartbeat(name=name, host=host, pid=int(pid), started_at=_started,
                                  beat_at=now, fired_total=0)
            db.session.add(row)
        row.beat_at = now
        row.fired_total = (row.fired_total or 0) + fired
        db.session.commit()
    except SQLAlchemyError:  # a missed beat must not stop the worker; readiness shows the age
        db.session.rollback()
        log.warning("worker heartbeat not recorded", exc_info=True)


def newest_beat() -> datetime | None:
    return db.session.scalar(select(WorkerHeartbeat.beat_at).order_by(
        WorkerHeartbeat.beat_at.desc()).limit(1))
