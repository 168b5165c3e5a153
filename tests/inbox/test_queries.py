"""Inbox queries over human_task: who sees what (R7), filters, sorting (R30/R35), lights
(R4, R5)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.common import clock
from app.extensions import db
from app.inbox import queries
from app.inbox.queries import TaskFilter
from tests.inbox.conftest import COUNTY_A, COUNTY_B


def ids(page):
    return [t.id for t in page.items]


def test_todo_holds_own_role_and_region_unclaimed_or_assigned_to_me(staff, make_task, monday):
    me = staff["reviewer"]
    mine = make_task()
    other_role = make_task(role="approver")
    other_county = make_task(region_code=COUNTY_B)
    taken = make_task(assignee_id=staff["reviewer2"].id)
    assigned = make_task(role="approver", assignee_id=me.id)
    closed = make_task(state="completed", completed_by=me.id)
    todo = ids(queries.list_tasks(user=me, view="todo"))
    assert mine.id in todo and assigned.id in todo
    for absent in (other_role, other_county, taken, closed):
        assert absent.id not in todo
    assert queries.todo_count(me) == 2


def test_R7_another_county_sees_nothing_of_ours(staff, make_task, monday):
    make_task()
    assert queries.list_tasks(user=staff["other_county"], view="todo").total == 0


def test_R13_escalated_task_reaches_the_approver(staff, make_task, monday):
    row = make_task(escalated=True)
    assert row.id in ids(queries.list_tasks(user=staff["approver"], view="todo"))


def test_enterprise_sees_only_its_own_tasks(make_user, make_task, monday):
    user = make_user(roles=["enterprise"])
    own = make_task(role="enterprise", region_code=None, enterprise_id=user.enterprise_id)
    other = make_task(role="enterprise", region_code=None, enterprise_id=user.enterprise_id + 999)
    todo = ids(queries.list_tasks(user=user, view="todo"))
    assert own.id in todo and other.id not in todo


def test_done_lists_what_i_completed_newest_first(staff, make_task, monday):
    me = staff["reviewer"]
    first = make_task(state="completed", completed_by=me.id, completed_at=monday)
    second = make_task(state="completed", completed_by=me.id,
                       completed_at=monday + timedelta(hours=1))
    make_task(state="completed", completed_by=staff["reviewer2"].id, completed_at=monday)
    assert ids(queries.list_tasks(user=me, view="done")) == [second.id, first.id]


def test_mine_lists_instances_i_started(staff, make_task, monday):
    make_task(started_by=staff["handler"].id)
    make_task()
    page = queries.list_started(user=staff["handler"])
    assert page.total == 1


def test_filters_process_overdue_and_text(staff, make_task, monday):
    me = staff["reviewer"]
    late = make_task(due_at=monday - timedelta(hours=1), business_key="FP-2025-000007")
    soon = make_task(due_at=monday + timedelta(days=2), summary='{"name": "钱江化工"}')
    other = make_task(process_key="trade")
    assert ids(queries.list_tasks(user=me, flt=TaskFilter(overdue=True))) == [late.id]
    assert ids(queries.list_tasks(user=me, flt=TaskFilter(q="000007"))) == [late.id]
    assert ids(queries.list_tasks(user=me, flt=TaskFilter(q="钱江"))) == [soon.id]
    assert ids(queries.list_tasks(user=me, flt=TaskFilter(process="trade"))) == [other.id]
    assert queries.list_tasks(user=me, flt=TaskFilter(q="%")).total == 0  # LIKE escaped


def test_q_finds_the_applicant_unit_by_name(staff, make_task, make_enterprise, monday):
    ent = make_enterprise(name="富春江造纸有限公司", region_code=COUNTY_A)
    row = make_task()
    from app.engine.models import ProcessInstance

    db.session.get(ProcessInstance, row.instance_id).enterprise_id = ent.id
    db.session.commit()
    assert ids(queries.list_tasks(user=staff["reviewer"], flt=TaskFilter(q="富春江"))) == [row.id]


def test_R30_sort_by_priority_puts_priority_work_first_then_due(staff, make_task, monday):
    me = staff["reviewer"]
    plain_early = make_task(due_at=monday + timedelta(days=1))
    prio_late = make_task(priority=10, due_at=monday + timedelta(days=9))
    prio_early = make_task(priority=10, due_at=monday + timedelta(days=2))
    no_due = make_task()
    by_priority = ids(queries.list_tasks(user=me, flt=TaskFilter(sort="priority")))
    assert by_priority == [prio_early.id, prio_late.id, plain_early.id, no_due.id]
    by_due = ids(queries.list_tasks(user=me, flt=TaskFilter(sort="due")))
    assert by_due == [plain_early.id, prio_early.id, prio_late.id, no_due.id]
    by_created = ids(queries.list_tasks(user=me, flt=TaskFilter(sort="created")))
    assert by_created == [no_due.id, prio_early.id, prio_late.id, plain_early.id]
    # R30, R35: a queue opened without choosing an order shows priority work first
    assert ids(queries.list_tasks(user=me, flt=TaskFilter())) == by_priority


def test_pages_cut_the_list_and_count_all(staff, make_task, monday):
    for _ in range(5):
        make_task()
    page = queries.list_tasks(user=staff["reviewer"], page=2, per_page=2)
    assert page.total == 5 and len(page.items) == 2 and page.page == 2


def test_R5_lights_green_yellow_red_none(app, monday):
    # Mon 2025-03-03 09:00; due_at is 24:00 of the last counted day (R5)
    end_of = clock.end_of_day
    assert queries.light(None) == "none"
    assert queries.light(monday - timedelta(minutes=1)) == "red"
    assert queries.light(end_of(monday.date())) == "yellow"  # due tonight: 0 days left
    assert queries.light(end_of(datetime(2025, 3, 6).date())) == "yellow"  # Thu: 3 working days
    assert queries.light(end_of(datetime(2025, 3, 7).date())) == "green"  # Fri: 4 working days


def test_R4_yellow_counts_working_days_across_a_holiday(app):
    # Mon 2025-09-29: 9-30 works, 10-1…10-8 are National Day, 10-9 and 10-10 work (3 days),
    # Sat 10-11 is a make-up working day (the 4th)
    clock.set_now(datetime(2025, 9, 29, 1, 0, tzinfo=UTC))
    assert queries.light(clock.end_of_day(datetime(2025, 10, 10).date())) == "yellow"
    assert queries.light(clock.end_of_day(datetime(2025, 10, 11).date())) == "green"


def test_R4_provisional_tasks_are_marked(staff, make_task, monday):
    row = make_task(due_at=monday + timedelta(days=400), provisional=True)
    page = queries.list_tasks(user=staff["reviewer"])
    assert page.items[0].id == row.id and page.items[0].provisional


def test_R7_view_rights(staff, make_task, monday):
    row = make_task(region_code=COUNTY_A)
    assert queries.can_view(staff["city"], row)  # the city sees its counties
    assert not queries.can_work(staff["city"], row)  # but works only its own region
    assert not queries.can_view(staff["other_county"], row)
    assert queries.can_work(staff["reviewer"], row)
