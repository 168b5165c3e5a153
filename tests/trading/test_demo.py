"""The trading demo step of seed-demo (R19, R20): two open trades, idempotent."""
from __future__ import annotations

from sqlalchemy import select

from app import engine
from app.config import ROOT
from app.engine.models import HumanTask, ProcessInstance
from app.extensions import db
from app.seed import seed_demo


def test_R19_R20_demo_trades_wait_for_the_bureau(app):
    engine.deploy_dir(ROOT / "bpmn")
    seed_demo()
    db.session.commit()
    trades = db.session.scalars(select(ProcessInstance).where(ProcessInstance.key == "trade")).all()
    assert len(trades) == 2 and all(t.status == "running" for t in trades)
    names = set(db.session.scalars(select(HumanTask.name).where(
        HumanTask.process_key == "trade", HumanTask.state == "open")))
    assert names == {"certify", "subject_review"}
    seed_demo()
    assert db.session.query(ProcessInstance).filter_by(key="trade").count() == 2
