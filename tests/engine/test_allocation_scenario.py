"""Scenario of bpmn/allocation.bpmn through the facade, across the 2025 National Day holiday
(R6 window, R12 one objection, R13 review deadline and escalation, R14 final after the window)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app import engine
from app.common import clock
from app.config import ROOT
from app.errors import Conflict, RuleViolation, ValidationFailed
from tests.engine.conftest import open_task


@pytest.fixture
def allocation(engine_app, make_enterprise):
    engine_app.config["ERFLOW_FORMS_DIR"] = str(ROOT / "forms")
    engine.deploy_dir(ROOT / "bpmn")
    return make_enterprise()


def _publish(enterprise, amounts=None):
    inst = engine.start(
        "allocation",
        {"enterprise_id": enterprise.id, "amounts": amounts or {"COD": "12.5", "SO2": "3.2000"}},
        actor_id=1,
    )
    draft = open_task(inst, "draft")
    assert (draft.role, draft.region_code) == ("handler", enterprise.region_code)
    inst = engine.complete(
        draft.id, {"amounts": inst.summary["amounts"], "opinion": "拟定"}, actor_id=1
    )
    return engine.complete(
        open_task(inst, "approve").id, {"decision": "approve", "opinion": "同意"}, actor_id=2
    )


def test_R1_R2_start_data_is_checked(allocation):
    with pytest.raises(ValidationFailed) as err:
        engine.start(
            "allocation", {"enterprise_id": allocation.id, "amounts": {"CO2": "1"}}, actor_id=1
        )
    assert "amounts.CO2" in err.value.fields
    with pytest.raises(ValidationFailed):
        engine.start(
            "allocation",
            {"enterprise_id": allocation.id, "amounts": {"COD": "1.00001"}},
            actor_id=1,
        )


def test_R10_unit_without_permit_is_refused(allocation, make_enterprise):
    unpermitted = make_enterprise(permit_class="none")
    with pytest.raises(RuleViolation) as err:
        engine.start(
            "allocation", {"enterprise_id": unpermitted.id, "amounts": {"COD": "1"}}, actor_id=1
        )
    assert err.value.rule == "R10"


def test_return_goes_back_to_draft_keeping_the_draft(allocation):
    clock.set_now(datetime(2025, 9, 15, 2, 0, tzinfo=UTC))
    inst = engine.start(
        "allocation", {"enterprise_id": allocation.id, "amounts": {"COD": "2"}}, actor_id=1
    )
    assert inst.summary["amounts"] == {"COD": "2.0000"}
    inst = engine.complete(open_task(inst, "draft").id, {"amounts": {"COD": "2.5000"}}, actor_id=1)
    inst = engine.complete(
        open_task(inst, "approve").id, {"decision": "return", "opinion": "请补充依据"}, actor_id=2
    )
    draft = open_task(inst, "draft")
    assert engine.task_info(draft.id).data["amounts"] == {"COD": "2.5000"}


def test_R6_R12_R13_R14_objection_over_national_day(allocation):
    clock.set_now(datetime(2025, 9, 16, 2, 0, tzinfo=UTC))  # Tue 2025-09-16 10:00 Shanghai
    inst = _publish(allocation)
    s = inst.summary
    assert s["amounts"] == {"COD": "12.5000", "SO2": "3.2000"}
    assert s["allocating_level"] == "county" and s["objection"] is None
    # R6: day 15 is 10-01 (holiday) → the window closes at 24:00 on 2025-10-09
    assert s["window_closes_at"] == "2025-10-10T00:00:00+08:00"

    clock.set_now(datetime(2025, 9, 29, 3, 0, tzinfo=UTC))  # objection on Mon 2025-09-29
    inst = engine.send_message(inst.id, "objection", {"reason": "核定量偏少"}, actor_id=3)
    review = open_task(inst, "review_objection")
    assert review.role == "reviewer" and review.deadline_rule == "R13"
    # R5: 10 working days after 09-29 end 24:00 Mon 2025-10-20
    assert review.due_at == datetime(2025, 10, 20, 16, 0, tzinfo=UTC)
    assert inst.summary["objection"]["due_at"] == "2025-10-21T00:00:00+08:00"
    with pytest.raises(Conflict) as err:  # R12: one objection per window
        engine.send_message(inst.id, "objection", {"reason": "再次"}, actor_id=3)
    assert err.value.rule == "R12"

    clock.set_now(datetime(2025, 10, 10, 1, 0, tzinfo=UTC))  # window closed, review still open
    assert engine.run_due() == 0
    assert engine.get_instance(inst.id).status == "running"

    clock.set_now(datetime(2025, 10, 21, 1, 0, tzinfo=UTC))  # R13 overdue → escalated, stays
    assert engine.run_due() == 1
    review = open_task(engine.get_instance(inst.id), "review_objection")
    assert review.escalated

    inst = engine.complete(
        review.id,
        {"decision": "revise", "amounts": {"COD": "13.0000"}, "opinion": "核实后调整"},
        actor_id=4,
    )
    assert inst.status == "completed"  # window already closed: final at once (R14)
    assert inst.summary["final_amounts"] == {"COD": "13.0000"}
    assert inst.summary["objection"]["decision"] == "revise"


def test_R12_objection_after_the_window_names_the_closing_time(allocation):
    clock.set_now(datetime(2025, 9, 16, 2, 0, tzinfo=UTC))
    inst = _publish(allocation)
    clock.set_now(datetime(2025, 10, 10, 0, 30, tzinfo=UTC))
    with pytest.raises(Conflict) as err:
        engine.send_message(inst.id, "objection", {"reason": "晚了"}, actor_id=3)
    assert err.value.rule == "R12" and "2025-10-09 24:00" in err.value.message
    assert engine.run_due() == 1
    inst = engine.get_instance(inst.id)
    assert inst.status == "completed"
    assert inst.summary["final_amounts"] == {"COD": "12.5000", "SO2": "3.2000"}


def test_R14_upheld_objection_waits_for_the_window_to_close(allocation):
    clock.set_now(datetime(2025, 9, 16, 2, 0, tzinfo=UTC))
    inst = _publish(allocation)
    clock.set_now(datetime(2025, 9, 17, 2, 0, tzinfo=UTC))
    inst = engine.send_message(inst.id, "objection", {"reason": "偏少"}, actor_id=3)
    inst = engine.complete(
        open_task(inst, "review_objection").id,
        {"decision": "uphold", "amounts": {"COD": "99"}, "opinion": "维持"},
        actor_id=4,
    )
    assert inst.status == "running" and inst.summary["final_amounts"] is None
    clock.set_now(datetime(2025, 10, 9, 15, 59, tzinfo=UTC))
    assert engine.run_due() == 0
    clock.set_now(datetime(2025, 10, 9, 16, 0, 1, tzinfo=UTC))
    assert engine.run_due() == 1
    inst = engine.get_instance(inst.id)
    assert inst.status == "completed"
    assert inst.summary["final_amounts"] == {"COD": "12.5000", "SO2": "3.2000"}  # upheld
