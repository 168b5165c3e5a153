"""Dashboards: bureau charts scoped to the jurisdiction (R7), lights (R4/R5), handling time and
on-time share; the engine section for administrators only; drawn as inline SVG (no CDN)."""
from __future__ import annotations

from datetime import timedelta

from app.common import clock
from app.dashboard import queries
from app.extensions import db
from tests.dashboard.conftest import COUNTY_A, COUNTY_B


def test_R7_open_work_by_step_and_light_is_scoped(make_task, staff, monday):
    make_task(title="初审", due_at=monday - timedelta(hours=1))  # red
    make_task(title="初审", due_at=monday + timedelta(days=1))  # yellow
    make_task(title="复核", due_at=monday + timedelta(days=30))  # green
    make_task(title="外县任务", region_code=COUNTY_B)
    bars = {b.label: b for b in queries.open_work_by_step(queries.scope(staff["reviewer"]))}
    assert set(bars) == {"初审", "复核"}  # county B is outside county A's jurisdiction
    assert bars["初审"].value == 2 and dict(bars["初审"].parts) == {"red": 1, "yellow": 1}
    city = {b.label for b in queries.open_work_by_step(queries.scope(staff["city"]))}
    assert city == {"初审", "复核", "外县任务"}  # the city sees its counties


def test_overdue_per_reviewer_median_and_on_time_share(make_task, staff, monday):
    reviewer = staff["reviewer"]
    make_task(due_at=monday - timedelta(days=1), assignee_id=reviewer.id)
    make_task(due_at=monday - timedelta(days=1))
    regions = queries.scope(reviewer)
    overdue = {b.label: b.value for b in queries.overdue_per_reviewer(regions, unassigned="-")}
    assert overdue == {reviewer.display_name: 1, "-": 1}
    for hours, late in ((2, False), (4, False), (30, True)):
        t = make_task(title="审核", due_at=monday + timedelta(hours=24))
        t.state, t.completed_at = "completed", t.created_at + timedelta(hours=hours)
        assert (t.completed_at > t.due_at) is late
    db.session.commit()
    [median] = queries.median_hours_per_step(regions)
    assert median.label == "审核" and median.value == 4.0
    [month] = queries.sla_by_month(regions)
    assert month.label == "2025-03" and month.value == 66.7 and month.note == "2/3"


def test_dashboard_page_draws_svg_for_bureau_and_engine_for_admin(client, login, make_task,
                                                                  make_user, staff, monday):
    make_task(title="初审", due_at=monday - timedelta(hours=1))
    login(client, staff["reviewer"])
    html = client.get("/dashboard").get_data(as_text=True)
    assert "<svg" in html and "各环节在办件及期限预警" in html and "初审" in html
    assert "流程引擎运行情况" not in html  # not an administrator
    assert "http://" not in html.split("<main", 1)[1]  # nothing from a CDN
    assert "Open work by step" in client.get("/dashboard?lang=en").get_data(as_text=True)
    admin = make_user(roles=["admin"], region_code=None)
    login(client, admin)
    html = client.get("/dashboard?lang=zh_CN").get_data(as_text=True)
    assert "流程引擎运行情况" in html and "各流程及版本的实例数" in html
    assert 'data-testid="incident-count">0<' in html


def test_enterprise_users_may_not_open_the_dashboard(client, login, make_user):
    login(client, make_user(roles=["enterprise"]))
    assert client.get("/dashboard").status_code == 403


def test_worker_lag_counts_due_timers(make_task, monday):
    from app.engine.models import Timer

    task = make_task()
    db.session.add(Timer(instance_id=task.instance_id, task_id="t", name="x",
                         due_at=monday - timedelta(seconds=90)))
    db.session.commit()
    lag = queries.worker_lag(clock.now())
    assert lag["due_timers"] == 1 and lag["lag_seconds"] == 90
    assert COUNTY_A  # fixtures loaded


def test_R7_region_filter_stays_within_the_jurisdiction(client, login, make_task, staff, monday):
    make_task(title="西湖初审")
    make_task(title="拱墅初审", region_code=COUNTY_B)
    login(client, staff["city"])
    html = client.get("/dashboard").get_data(as_text=True)
    assert "西湖初审" in html and "拱墅初审" in html
    assert f'value="{COUNTY_A}"' in html  # the counties below the city are offered
    html = client.get(f"/dashboard?region={COUNTY_A}").get_data(as_text=True)
    assert "西湖初审" in html and "拱墅初审" not in html
    login(client, staff["reviewer"])  # a county may not look at its neighbour
    assert client.get(f"/dashboard?region={COUNTY_B}").status_code == 404
    assert "<table" in html and "以表格查看数据" in html  # the figures behind the chart
