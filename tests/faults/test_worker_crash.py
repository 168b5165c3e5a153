"""A worker killed with SIGKILL in the middle of a step: the step happened once or not at all.
Two workers on the same due timers: each timer fires once (FOR UPDATE SKIP LOCKED)."""
from __future__ import annotations

import signal

import pytest
from sqlalchemy import func, select

from app.engine.models import AuditEvent, ProcessInstance, Timer
from app.extensions import db
from tests.db import test_db_kind
from tests.faults.conftest import effects, later


def _instance(instance_id: int) -> ProcessInstance:
    db.session.expire_all()
    return db.session.get(ProcessInstance, instance_id)


def _audits(instance_id: int, action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.instance_id == instance_id, AuditEvent.action == action))


def test_sigkill_mid_step_then_restart_runs_the_step_exactly_once(waiting, db_clock, workers):
    instance_id = waiting(later(30))
    db_clock(later(31))
    first = workers.start("--interval", "0.2")
    workers.wait_entered(1)  # the worker is inside the step: effect written, not committed
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL

    # nothing of the killed step survives: no effect, the timer still waits, the instance runs
    assert effects(instance_id) == 0
    inst = _instance(instance_id)
    assert inst.status == "running"
    assert db.session.scalar(select(func.count()).select_from(Timer).where(
        Timer.instance_id == instance_id)) == 1
    assert _audits(instance_id, "timer_fired") == 0

    workers.release()  # the restarted worker is not held
    assert workers.once().strip() == "fired 1"
    assert effects(instance_id) == 1
    assert _instance(instance_id).status == "completed"
    assert _audits(instance_id, "timer_fired") == 1
    assert workers.once().strip() == "fired 0"  # nothing left to redo
    assert effects(instance_id) == 1


@pytest.mark.skipif(test_db_kind() != "postgres",
                    reason="parallel workers need PostgreSQL (SQLite deployments run one worker)")
def test_two_workers_in_parallel_fire_each_due_timer_once(waiting, db_clock, workers):
    ids = [waiting(later(i + 1)) for i in range(12)]
    db_clock(later(60))
    a = workers.start("--interval", "0.2")
    b = workers.start("--interval", "0.2")
    entered = workers.wait_entered(2)  # both inside a step at the same time…
    held = {name.split("-")[1] for name in entered}
    assert len(held) == 2  # …on two different instances (the other's row is skipped, not waited on)
    workers.release()

    def completed() -> bool:
        db.session.expire_all()
        return db.session.scalar(select(func.count()).select_from(ProcessInstance).where(
            ProcessInstance.id.in_(ids), ProcessInstance.status == "completed")) == len(ids)

    workers.wait_until(completed)
    assert a.poll() is None and b.poll() is None  # both still running their loops
    assert {i: effects(i) for i in ids} == {i: 1 for i in ids}
    for i in ids:
        assert _audits(i, "timer_fired") == 1
