"""Inbox test helpers: a deployed allocation diagram, bureau staff in two counties, and hand-made
human_task rows for the query tests (the inbox reads only that table)."""
from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app import engine
from app.common import clock
from app.engine.models import HumanTask, ProcessInstance, ProcessVersion
from app.extensions import db

ROOT = Path(__file__).resolve().parents[2]
COUNTY_A = "330106"  # 杭州市西湖区
COUNTY_B = "330105"  # 杭州市拱墅区
MONDAY = datetime(2025, 3, 3, 1, 0, tzinfo=UTC)  # Mon 2025-03-03 09:00 in Shanghai
_n = itertools.count(1)


@pytest.fixture
def monday(app):
    clock.set_now(MONDAY)
    return MONDAY


@pytest.fixture
def staff(make_user):
    """Handler, reviewer and approver of county A, a reviewer of county B, a city reviewer."""
    return {
        "handler": make_user(roles=["handler"], region_code=COUNTY_A),
        "reviewer": make_user(roles=["reviewer"], region_code=COUNTY_A),
        "reviewer2": make_user(roles=["reviewer"], region_code=COUNTY_A),
        "approver": make_user(roles=["approver"], region_code=COUNTY_A),
        "other_county": make_user(roles=["reviewer", "handler", "approver"], region_code=COUNTY_B),
        "city": make_user(roles=["reviewer"], region_code="330100"),
    }


@pytest.fixture
def deployed(app, monday):
    """bpmn/ deployed, forms read from forms/."""
    app.config["ERFLOW_FORMS_DIR"] = str(ROOT / "forms")
    engine.deploy_dir(ROOT / "bpmn")
    db.session.commit()


@pytest.fixture
def start_allocation(deployed, make_enterprise):
    """Start an allocation for a new enterprise of county A; returns the InstanceInfo."""
    from app.inbox import services

    def build(handler, **enterprise):
        ent = make_enterprise(region_code=COUNTY_A, **enterprise)
        info = services.start(user=handler, key="allocation",
                              data={"enterprise_id": ent.id, "amounts": {"COD": "12.5"}})
        db.session.commit()
        return info

    return build


@pytest.fixture
def make_task(app):
    """A human_task row (with a dummy instance) for query tests; any column may be overridden."""
    state: dict = {}

    def build(**kw) -> HumanTask:
        if "version" not in state:
            version = ProcessVersion(key="demo", version=1, name="演示", bpmn_xml="<x/>",
                                     content_hash="h", spec_json="{}", deployed_at=clock.now())
            db.session.add(version)
            db.session.flush()
            state["version"] = version
        inst = ProcessInstance(key=kw.get("process_key", "demo"), version=1,
                               version_id=state["version"].id, status="running",
                               state_json="{}", summary={}, started_at=clock.now(),
                               handling_region=kw.get("region_code"),
                               started_by=kw.pop("started_by", None))
        db.session.add(inst)
        db.session.flush()
        n = next(_n)
        row = HumanTask(id=str(uuid.uuid4()), instance_id=inst.id, process_key="demo",
                        name=f"t{n}", title=f"任务{n}", role="reviewer", region_code=COUNTY_A,
                        priority=0, state="open", created_at=clock.now() + timedelta(seconds=n),
                        business_key=f"BK-{n:04d}", summary="{}")
        for key, value in kw.items():
            setattr(row, key, value)
        db.session.add(row)
        db.session.commit()
        return row

    return build
