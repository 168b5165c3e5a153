"""Running instances through the facade: tasks, messages, timers on the moved clock, escalation,
incidents, optimistic concurrency and the audit trail."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from app import engine
from app.common import clock
from app.engine import hooks
from app.engine.models import AuditEvent, Deadline, HumanTask, ProcessInstance, Timer
from app.errors import Conflict, NotFound
from app.extensions import db
from tests.engine.conftest import open_task


def _actions(instance_id: int) -> list[str]:
    return [h.action for h in engine.history(instance_id)]


def test_start_and_complete_run_to_the_end_with_projections(deploy_fixture):
    deploy_fixture("simple.bpmn")
    inst = engine.start(
        "simple", {"note": "x"}, actor_id=7, handling_region="330106", business_key="B-1"
    )
    fill = open_task(inst, "fill")
    assert (fill.role, fill.region_code, fill.form_key, fill.title) == (
        "handler",
        "330106",
        "simple",
        "填写数量",
    )
    assert engine.task_info(fill.id).data == {"note": "x"}
    inst = engine.complete(fill.id, {"amount": "1.2500", "opinion": "同意"}, actor_id=7)
    approve = open_task(inst, "approve")
    assert approve.role == "approver"
    assert engine.task_info(approve.id).data["doubled"] == "2.5000"  # Decimal math kept exact (R1)
    inst = engine.complete(approve.id, {}, actor_id=8)
    assert inst.status == "completed" and inst.active_tasks == [] and inst.ended_at is not None
    row = db.session.get(HumanTask, fill.id)
    assert (row.state, row.completed_by) == ("completed", 7)
    assert _actions(inst.id) == ["started", "task_completed", "task_completed", "completed"]
    first = engine.history(inst.id)[1]
    assert first.detail["opinion"] == "同意" and first.task_name == "fill"
    state = engine.diagram_state(inst.id)
    assert state.completed == ["start", "fill", "compute", "approve", "end"] and state.active == []
    assert "<bpmn:definitions" in state.bpmn_xml


def test_completing_a_done_task_is_a_conflict(deploy_fixture):
    deploy_fixture("simple.bpmn")
    inst = engine.start("simple", {}, actor_id=1, handling_region="330106")
    task_id = open_task(inst, "fill").id
    engine.complete(task_id, {"amount": "1"}, actor_id=1)
    with pytest.raises(Conflict) as err:
        engine.complete(task_id, {"amount": "2"}, actor_id=1)
    assert err.value.status == 409 and err.value.message == "该任务已被处理"
    with pytest.raises(NotFound):
        engine.complete("no-such-task", {}, actor_id=1)


def test_unknown_process_cannot_start(engine_app):
    with pytest.raises(NotFound):
        engine.start("nothing", {}, actor_id=1)


def test_two_completions_race_one_wins_one_conflict_one_effect(deploy_fixture, engine_app):
    deploy_fixture("simple.bpmn")
    inst = engine.start("simple", {}, actor_id=1, handling_region="330106")
    task_id = open_task(inst, "fill").id
    db.session.commit()
    with engine_app.app_context():  # session B reads the instance before A writes
        stale = db.session.get(ProcessInstance, inst.id)
        assert stale.state_json and db.session.get(HumanTask, task_id).state == "open"
        with engine_app.app_context():  # session A wins
            engine.complete(task_id, {"amount": "1"}, actor_id=11)
            db.session.commit()
        with pytest.raises(Conflict):
            engine.complete(task_id, {"amount": "9"}, actor_id=22)
        db.session.rollback()
    db.session.expire_all()
    done = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "task_completed", AuditEvent.task_id == task_id
        )
    ).all()
    assert [e.actor_id for e in done] == [11]
    assert db.session.get(HumanTask, task_id).completed_by == 11
    data = engine.task_info(open_task(engine.get_instance(inst.id), "approve").id).data
    assert data["amount"] == "1"


def test_two_completions_in_flight_at_once_one_wins_the_other_409_no_incident(deploy_fixture,
                                                                            engine_app):
    """A real race: B loads the task while A's step is written but not committed. B must wait for
    A and answer 409 — not run on, collide with A's new rows and become an incident."""
    deploy_fixture("simple.bpmn")
    inst = engine.start("simple", {}, actor_id=1, handling_region="330106")
    task_id = open_task(inst, "fill").id
    db.session.commit()
    a_written, b_going = threading.Event(), threading.Event()
    outcome: dict[str, str] = {}

    def complete(name: str, actor_id: int, before_commit) -> None:
        with engine_app.app_context():
            try:
                if name == "b":
                    a_written.wait(10)
                    b_going.set()
                engine.complete(task_id, {"amount": str(actor_id)}, actor_id=actor_id)
                db.session.flush()
                before_commit()
                db.session.commit()
                outcome[name] = engine.get_instance(inst.id).status
            except Conflict:
                db.session.rollback()
                outcome[name] = "409"
            finally:
                db.session.remove()

    def a_waits_for_b() -> None:
        a_written.set()
        b_going.wait(10)
        time.sleep(0.5)  # B is inside its step now, before A commits

    threads = [threading.Thread(target=complete, args=("a", 11, a_waits_for_b)),
               threading.Thread(target=complete, args=("b", 22, lambda: None))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outcome == {"a": "running", "b": "409"}
    db.session.expire_all()
    assert db.session.get(ProcessInstance, inst.id).status == "running"
    done = db.session.scalars(select(AuditEvent.actor_id).where(
        AuditEvent.action == "task_completed", AuditEvent.task_id == task_id)).all()
    assert done == [11]


def test_message_is_delivered_and_409_when_not_waiting(deploy_fixture):
    deploy_fixture("window.bpmn")
    inst = engine.start(
        "window", {"published_on": "2025-03-03"}, actor_id=1, handling_region="330106"
    )
    inst = engine.send_message(inst.id, "objection", {"reason": "偏少"}, actor_id=5)
    assert inst.summary["objection"] == {"reason": "偏少"}
    assert open_task(inst, "review").role == "reviewer"
    with pytest.raises(Conflict) as err:
        engine.send_message(inst.id, "objection", {"reason": "再次"}, actor_id=5)
    assert err.value.status == 409
    assert "message_received" in _actions(inst.id)


def test_timer_fires_only_after_the_clock_passes_its_due_time(deploy_fixture):
    deploy_fixture("window.bpmn")
    # published Tue 2025-09-16 → 15 days end on 10-01 (holiday) → closes 24:00 2025-10-09 (R6)
    inst = engine.start(
        "window", {"published_on": "2025-09-16"}, actor_id=1, handling_region="330106"
    )
    assert inst.summary["window_closes_at"] == "2025-10-10T00:00:00+08:00"
    timer = db.session.scalars(select(Timer).where(Timer.instance_id == inst.id)).one()
    assert timer.due_at == datetime(2025, 10, 9, 16, 0, tzinfo=UTC)
    clock.set_now(timer.due_at - timedelta(seconds=1))
    assert engine.run_due() == 0
    assert engine.get_instance(inst.id).status == "running"
    clock.set_now(timer.due_at + timedelta(seconds=1))
    assert engine.run_due() == 1
    inst = engine.get_instance(inst.id)
    assert inst.status == "completed"
    assert "timer_fired" in _actions(inst.id)
    assert db.session.scalars(select(Timer).where(Timer.instance_id == inst.id)).all() == []
    assert engine.run_due() == 0


def test_R12_message_after_the_window_closed_is_refused_even_before_the_worker_ran(deploy_fixture):
    deploy_fixture("window.bpmn")
    inst = engine.start(
        "window", {"published_on": "2025-09-16"}, actor_id=1, handling_region="330106"
    )
    clock.set_now(datetime(2025, 10, 10, 1, 0, tzinfo=UTC))
    with pytest.raises(Conflict):
        engine.send_message(inst.id, "objection", {"reason": "晚了"}, actor_id=5)


def test_R13_non_interrupting_timer_escalates_and_the_task_stays(deploy_fixture):
    clock.set_now(datetime(2025, 9, 29, 2, 0, tzinfo=UTC))  # Mon 2025-09-29 10:00 Shanghai
    deploy_fixture("window.bpmn")
    inst = engine.start(
        "window", {"published_on": "2025-09-28"}, actor_id=1, handling_region="330106"
    )
    inst = engine.send_message(inst.id, "objection", {"reason": "偏少"}, actor_id=5)
    review = open_task(inst, "review")
    # R5: received Mon 2025-09-29 → 10 working days end 24:00 Mon 2025-10-20
    assert review.due_at == datetime(2025, 10, 20, 16, 0, tzinfo=UTC)
    assert (review.deadline_rule, review.provisional, review.escalated) == ("R13", False, False)
    clock.set_now(datetime(2025, 10, 20, 15, 59, tzinfo=UTC))
    engine.run_due()
    assert not open_task(engine.get_instance(inst.id), "review").escalated
    clock.set_now(datetime(2025, 10, 20, 16, 1, tzinfo=UTC))
    engine.run_due()
    inst = engine.get_instance(inst.id)
    review = open_task(inst, "review")
    assert review.escalated and inst.status == "running"
    assert "escalated" in _actions(inst.id)
    inst = engine.complete(review.id, {"decision": "uphold", "opinion": "维持"}, actor_id=6)
    assert inst.status == "completed"


def test_failing_script_is_an_incident_then_retry_after_the_fix(deploy_fixture):
    broken = {"on": True}

    def check(value):
        if broken["on"]:
            raise RuntimeError("政策表缺少数据")

    hooks.register_script_function("check", check)
    deploy_fixture("simple.bpmn")
    other = engine.start("simple", {}, actor_id=1, handling_region="330106")
    inst = engine.start("simple", {}, actor_id=1, handling_region="330106")
    fill = open_task(inst, "fill")
    result = engine.complete(fill.id, {"amount": "3"}, actor_id=1)
    assert result.status == "incident" and "政策表缺少数据" in result.incident_message
    row = db.session.get(ProcessInstance, inst.id)
    assert "RuntimeError" in row.incident_traceback
    # nothing else of the failed step is kept: the task is still open, no completion recorded
    assert [t.name for t in result.active_tasks] == ["fill"]
    assert "task_completed" not in _actions(inst.id) and "incident" in _actions(inst.id)
    with pytest.raises(Conflict):
        engine.complete(fill.id, {"amount": "3"}, actor_id=1)
    assert engine.get_instance(other.id).status == "running"  # other instances unaffected
    broken["on"] = False
    fixed = engine.retry(inst.id, actor_id=99)
    assert fixed.status == "running" and fixed.incident_message is None
    assert open_task(fixed, "approve")
    assert db.session.get(HumanTask, fill.id).completed_by == 1


def test_a_completion_alone_rolls_back_its_whole_failed_step_and_keeps_the_incident(
        deploy_fixture):
    """A completion request's step runs without a savepoint (`alone`): a failure rolls the
    transaction back and the incident is recorded afresh, with nothing of the step kept."""
    hooks.register_script_function("check", lambda value: (_ for _ in ()).throw(
        RuntimeError("政策表缺少数据")))
    deploy_fixture("simple.bpmn")
    other = engine.start("simple", {}, actor_id=1, handling_region="330106")
    inst = engine.start("simple", {}, actor_id=1, handling_region="330106")
    db.session.commit()
    fill = open_task(inst, "fill")
    result = engine.complete(fill.id, {"amount": "3"}, actor_id=1, alone=True)
    assert result.status == "incident" and "政策表缺少数据" in result.incident_message
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(ProcessInstance, inst.id).status == "incident"
    assert db.session.get(HumanTask, fill.id).state == "open"
    assert "task_completed" not in _actions(inst.id) and "incident" in _actions(inst.id)
    assert engine.get_instance(other.id).status == "running"


def test_cancel_closes_tasks_and_timers(deploy_fixture):
    deploy_fixture("window.bpmn")
    inst = engine.start(
        "window", {"published_on": "2025-03-03"}, actor_id=1, handling_region="330106"
    )
    inst = engine.send_message(inst.id, "objection", {"reason": "x"}, actor_id=5)
    task_id = open_task(inst, "review").id
    inst = engine.cancel(inst.id, actor_id=99)
    assert inst.status == "cancelled" and inst.active_tasks == []
    assert db.session.get(HumanTask, task_id).state == "cancelled"
    assert db.session.scalars(select(Timer).where(Timer.instance_id == inst.id)).all() == []
    assert _actions(inst.id)[-1] == "cancelled"
    with pytest.raises(Conflict):
        engine.cancel(inst.id, actor_id=99)


def test_audit_is_append_only_history(deploy_fixture):
    deploy_fixture("simple.bpmn")
    inst = engine.start("simple", {}, actor_id=3, handling_region="330106")
    before = [(e.id, e.action) for e in db.session.scalars(select(AuditEvent))]
    engine.complete(open_task(inst, "fill").id, {"amount": "1", "opinion": "好"}, actor_id=3)
    after = [
        (e.id, e.action) for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    ]
    assert after[: len(before)] == before and len(after) == len(before) + 1


def test_R4_recompute_provisional_deadline_moves_task_timer_and_state(deploy_fixture):
    from app.engine.models import Deadline

    deploy_fixture("window.bpmn")
    inst = engine.start(
        "window", {"published_on": "2025-03-03"}, actor_id=1, handling_region="330106"
    )
    inst = engine.send_message(inst.id, "objection", {"reason": "x"}, actor_id=5)
    dl = db.session.scalars(select(Deadline).where(Deadline.instance_id == inst.id)).one()
    true_due = dl.due_at
    # pretend it was counted before the year was known: provisional and one day early
    dl.provisional, dl.due_at = True, true_due - timedelta(days=1)
    task = db.session.get(HumanTask, open_task(inst, "review").id)
    task.provisional, task.due_at = True, dl.due_at
    timer = db.session.scalars(select(Timer).where(Timer.instance_id == inst.id)).one()
    row = db.session.get(ProcessInstance, inst.id)
    row.state_json = row.state_json.replace(
        "2025-03-18T00:00:00+08:00", "2025-03-17T00:00:00+08:00"
    )
    timer.due_at = dl.due_at
    db.session.flush()
    assert engine.recompute_provisional_deadlines() == 1
    assert (task.due_at, task.provisional) == (true_due, False)
    timer = db.session.scalars(select(Timer).where(Timer.instance_id == inst.id)).one()
    assert timer.due_at == true_due
    clock.set_now(true_due - timedelta(hours=1))
    engine.run_due()
    assert not db.session.get(HumanTask, task.id).escalated  # the old, earlier due time is gone


def test_annotated_summary_reaches_the_open_tasks_copy(deploy_fixture):
    """The inbox reads an instance's summary from its task rows (search, API task summaries): a
    summary changed outside the diagram (annotate_summary) reaches them too."""
    deploy_fixture("simple.bpmn")
    inst = engine.start("simple", {"note": "x"}, actor_id=7, handling_region="330106")
    engine.annotate_summary(inst.id, {"fee_notice": "paid"}, actor_id=7, action="fee_paid")
    row = db.session.get(HumanTask, open_task(inst, "fill").id)
    assert '"fee_notice": "paid"' in row.summary


def _completed_as_a_request(task_id: str, actor_id: int, data: dict | None = None):
    """What a completion request does: the task read with its instance (held on PostgreSQL),
    then the step alone (inbox.services.complete)."""
    assert engine.task_for_step(task_id) is not None
    return engine.complete(task_id, data or {}, actor_id=actor_id, alone=True)


def test_R13_a_deadline_counted_steps_before_its_task_still_dates_it_and_closes_with_it(
        deploy_fixture):
    """The completion's read says whether the instance has deadline rows, and a step of an
    instance without any skips reading them: one counted at the start for a later task must
    still reach that task (due date, rule) and close when it is done."""
    deploy_fixture("later_deadline.bpmn")
    inst = engine.start("later_deadline", {}, actor_id=1, handling_region="330106")
    db.session.commit()
    (counted,) = db.session.scalars(select(Deadline).where(Deadline.instance_id == inst.id))
    inst = _completed_as_a_request(open_task(inst, "fill").id, actor_id=1)
    approve = open_task(inst, "approve")
    assert (approve.due_at, approve.deadline_rule) == (counted.due_at, "R13")
    assert [(d.task, d.open) for d in inst.deadlines] == [("approve", True)]
    db.session.commit()
    inst = _completed_as_a_request(approve.id, actor_id=2)
    db.session.commit()
    assert inst.status == "completed"
    assert db.session.get(Deadline, counted.id).open is False


def test_a_completion_of_an_instance_without_deadlines_does_not_read_them(deploy_fixture):
    """docs/operations.md "Load": an instance without deadline rows is told so by the completion's
    first read (PostgreSQL, where that read holds the instance); its answer lists none."""
    deploy_fixture("simple.bpmn")
    inst = engine.start("simple", {}, actor_id=1, handling_region="330106")
    db.session.commit()
    statements: list[str] = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        inst = _completed_as_a_request(open_task(inst, "fill").id, actor_id=1,
                                       data={"amount": "1"})
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert open_task(inst, "approve").due_at is None and inst.deadlines == []
    reads = [s for s in statements if "FROM deadline" in s and "EXISTS" not in s]
    locking = db.engine.dialect.name == "postgresql"
    assert len(reads) == (0 if locking else 1), statements
    db.session.commit()
    statements.clear()
    event.listen(db.engine, "before_cursor_execute", listen)
    try:  # the last step: the ended instance has no deadline to close either
        inst = _completed_as_a_request(open_task(inst, "approve").id, actor_id=2)
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert inst.status == "completed"
    closes = [s for s in statements if s.startswith("UPDATE deadline")]
    assert len(closes) == (0 if locking else 1), statements


def _task_row_reads(statements: list[str]) -> list[str]:
    """Reads of an instance's task rows (not the completion's first read, which joins)."""
    return [s for s in statements if "FROM human_task \nWHERE human_task.instance_id" in s]


def test_parallel_tasks_the_completion_read_its_instances_open_rows_with_it(deploy_fixture):
    """The completion's first read brings the instance's open task rows (PostgreSQL, where it
    holds the instance): completing one of two parallel tasks keeps the other open and reads no
    task rows again."""
    deploy_fixture("parallel.bpmn")
    inst = engine.start("parallel", {}, actor_id=1, handling_region="330106")
    db.session.commit()
    statements: list[str] = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        inst = _completed_as_a_request(open_task(inst, "review_a").id, actor_id=1)
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    db.session.commit()
    assert [t.name for t in inst.active_tasks] == ["review_b"]
    locking = db.engine.dialect.name == "postgresql"
    assert len(_task_row_reads(statements)) == (0 if locking else 1), statements
    rows = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == inst.id)
                              .order_by(HumanTask.name)).all()
    assert [(r.name, r.state) for r in rows] == [("review_a", "completed"), ("review_b", "open")]
    inst = _completed_as_a_request(open_task(inst, "review_b").id, actor_id=1)
    db.session.commit()
    assert inst.status == "completed" and inst.active_tasks == []


def test_a_ready_task_that_has_a_closed_row_is_not_given_a_second_one(deploy_fixture):
    """A READY task without an open row (its row closed by hand) is looked up before a row is
    written for it: the step does not fail on the row's key, and the closed row stays."""
    deploy_fixture("parallel.bpmn")
    inst = engine.start("parallel", {}, actor_id=1, handling_region="330106")
    other = open_task(inst, "review_b")
    db.session.get(HumanTask, other.id).state = "cancelled"
    db.session.commit()
    inst = _completed_as_a_request(open_task(inst, "review_a").id, actor_id=1)
    db.session.commit()
    assert inst.status == "running" and inst.active_tasks == []
    assert db.session.get(HumanTask, other.id).state == "cancelled"


def test_a_start_neither_takes_its_new_row_first_nor_reads_rows_it_cannot_have_yet(
        deploy_fixture):
    """The instance a start inserted is its transaction's own until the commit: its first step
    writes the row once (no write-first to hold it) and reads no task or deadline rows."""
    deploy_fixture("simple.bpmn")
    statements: list[str] = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        inst = engine.start("simple", {}, actor_id=1, handling_region="330106")
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    db.session.commit()
    assert [t.name for t in inst.active_tasks] == ["fill"]
    assert len([s for s in statements if s.startswith("UPDATE process_instance")]) == 1
    assert not _task_row_reads(statements)
    assert not [s for s in statements if "FROM deadline" in s], statements
