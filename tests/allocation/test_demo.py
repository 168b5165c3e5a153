"""The demo allocations cover every state the issue asks for, and seeding twice adds nothing."""
from __future__ import annotations

from sqlalchemy import select

from app import engine
from app.common import clock
from app.config import ROOT
from app.engine.models import HumanTask, ProcessInstance
from app.extensions import db
from app.ledger.models import FeeNotice
from app.seed import seed_demo


def test_demo_has_allocations_in_every_state(app, make_region_tree):
    from datetime import UTC, datetime

    make_region_tree()
    clock.set_now(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    engine.deploy_dir(ROOT / "bpmn")
    seed_demo()
    db.session.commit()
    rows = db.session.scalars(select(ProcessInstance).where(
        ProcessInstance.key == "allocation")).all()
    assert len(rows) == 6
    open_tasks = {t.name: t for t in db.session.scalars(
        select(HumanTask).where(HumanTask.state == "open"))}
    assert {"draft", "review_objection"} <= set(open_tasks)
    assert any(t.escalated for t in db.session.scalars(
        select(HumanTask).where(HumanTask.name == "review_objection")))
    notices = db.session.scalars(select(FeeNotice)).all()
    assert sorted(n.status for n in notices) == ["paid", "unpaid"]
    assert [n for n in notices if n.status == "unpaid"][0].due_at < clock.now()  # R16 demo
    published = [r for r in rows if r.status == "running" and r.summary.get("window_closes_at")
                 and not r.summary.get("objection")]
    assert published, "one allocation under publication"
    seed_demo()
    assert len(db.session.scalars(select(ProcessInstance).where(
        ProcessInstance.key == "allocation")).all()) == 6
