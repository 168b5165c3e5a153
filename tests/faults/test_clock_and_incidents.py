"""The clock jumping forward a month: every overdue timer fires once, in due order. An incident
never blocks other instances."""
from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from app import engine
from app.engine.models import AuditEvent, ProcessInstance
from app.extensions import db
from tests.faults.conftest import T0, effects, later


def _fired_order() -> list[int]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent.instance_id).where(
        AuditEvent.action == "timer_fired").order_by(AuditEvent.id)))


def test_clock_jumps_a_month_every_overdue_timer_fires_once_in_due_order(waiting, db_clock):
    offsets = list(range(1, 30))  # one timer per day of the month, started in shuffled order
    random.Random(7).shuffle(offsets)
    due_of = {waiting(T0 + timedelta(days=d)): T0 + timedelta(days=d) for d in offsets}
    not_yet = waiting(T0 + timedelta(days=45))

    db_clock(T0 + timedelta(days=31))
    assert engine.run_due() == len(due_of)

    assert _fired_order() == sorted(due_of, key=due_of.get)  # in due order, each once
    assert all(effects(i) == 1 for i in due_of)
    assert effects(not_yet) == 0
    assert engine.run_due() == 0  # a second round finds nothing: nothing fires twice
    assert len(_fired_order()) == len(due_of)


def test_an_incident_never_blocks_other_instances(waiting, db_clock, app, fault_diagrams):
    broken = [waiting(later(1), tag="fail"), waiting(later(3), tag="fail")]
    healthy = [waiting(later(2)), waiting(later(4)), waiting(later(5))]
    db_clock(later(10))

    assert engine.run_due() == len(healthy)  # a step that became an incident fired nothing
    db.session.expire_all()
    status = {i: db.session.get(ProcessInstance, i).status for i in broken + healthy}
    assert status == {**{i: "incident" for i in broken}, **{i: "completed" for i in healthy}}
    assert {i.instance_id for i in engine.incidents()} == set(broken)

    # later rounds pass over the broken instances without retrying them on their own
    fresh = waiting(later(12))
    db_clock(later(20))
    engine.run_due()
    assert effects(fresh) == 1 and effects(broken[0]) == 0

    # a user task elsewhere still completes while incidents wait for an administrator
    info = engine.start("fault_task", {"tag": "ok"}, actor_id=None, handling_region="330106")
    db.session.commit()
    done = engine.complete(info.active_tasks[0].id, {"opinion": "同意"}, actor_id=None)
    db.session.commit()
    assert done.status == "completed"
