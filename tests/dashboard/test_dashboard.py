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


# -- engine health (administrators) ------------------------------------------------------------

def _allocation_version():
    from app.engine.models import ProcessVersion

    version = ProcessVersion(key="allocation", version=3, name="初始排污权核定", bpmn_xml="<x/>",
                             content_hash="a3", spec_json="{}", deployed_at=clock.now())
    db.session.add(version)
    db.session.commit()
    return version


def _instances(make_task, key, statuses):
    from app.engine.models import ProcessInstance

    out = []
    for status in statuses:
        inst = db.session.get(ProcessInstance, make_task(process_key=key).instance_id)
        inst.status = status
        if status == "incident":
            inst.incident_at, inst.incident_message = clock.now(), "脚本错误"
        out.append(inst)
    db.session.commit()
    return out


def test_instances_per_version_stacks_each_status(make_task, monday):
    _allocation_version()
    _instances(make_task, "allocation", ["running", "running", "incident", "completed"])
    _instances(make_task, "demo", ["cancelled"])
    bars = {(b.label, b.suffix): b for b in queries.instances_per_version()}
    alloc = bars[("初始排污权核定", " v1")]
    assert alloc.value == 4
    assert alloc.parts == (("running", 2), ("incident", 1), ("completed", 1))  # legend order
    assert bars[("演示", " v1")].parts == (("cancelled", 1),)


def test_incident_chart_counts_open_incidents_per_process(client, login, make_task, make_user,
                                                          monday):
    _allocation_version()
    done, *_ = _instances(make_task, "allocation", ["incident", "incident", "running"])
    _instances(make_task, "demo", ["incident"])
    done.status = "running"  # retried: incident_at stays as history, the incident is closed
    _instances(make_task, "allocation", ["incident"])
    assert [(b.label, b.value) for b in queries.incidents_per_process()] == [
        ("初始排污权核定", 2), ("演示", 1)]
    assert queries.incident_count() == 3
    login(client, make_user(roles=["admin"], region_code=None))
    html = client.get("/dashboard?lang=zh_CN").get_data(as_text=True)
    chart = html.split('data-testid="incident-chart"', 1)[1].split("</section>", 1)[0]
    assert "<svg" in chart and "各流程未处理的故障" in chart and "初始排污权核定" in chart
    assert 'data-testid="incident-count">3<' in chart and 'fill="#dc3545"' in chart
    assert "故障" in html.split('id="ch-versions"', 1)[1].split("</section>")[0]  # legend
    en = client.get("/dashboard?lang=en").get_data(as_text=True)
    chart = en.split('data-testid="incident-chart"', 1)[1].split("</section>", 1)[0]
    assert "Initial emission rights allocation" in chart and "初始排污权核定" not in chart
    assert ">Incident</li>" in en and "Initial emission rights allocation v1" in en


def test_worker_lag_chart_buckets_due_timers_and_heartbeat_ages(client, login, make_task,
                                                               make_user, monday):
    from app.engine.models import Timer
    from app.ops.models import WorkerHeartbeat

    task = make_task()
    for seconds in (30, 45, 200, 4000, 90000, -60):  # the last is not due yet
        db.session.add(Timer(instance_id=task.instance_id, task_id="t", name="x",
                             due_at=monday - timedelta(seconds=seconds)))
    for name, age in (("web1:11", 5), ("web2:12", 600)):
        db.session.add(WorkerHeartbeat(name=name, host=name.split(":")[0], pid=1,
                                       started_at=monday - timedelta(hours=1),
                                       beat_at=monday - timedelta(seconds=age)))
    db.session.commit()
    assert [b.value for b in queries.timer_lag_buckets(monday)] == [2, 1, 0, 1, 1]
    beats = {b.label: b for b in queries.heartbeat_ages(monday, stale_after=60)}
    assert beats["web1:11"].parts == (("fresh", 5),)
    assert beats["web2:12"].parts == (("stale", 600),)
    login(client, make_user(roles=["admin"], region_code=None))
    html = client.get("/dashboard?lang=zh_CN").get_data(as_text=True)
    lag = html.split('data-testid="lag-chart"', 1)[1].split("</section>", 1)[0]
    assert "<svg" in lag and "延迟 1 分钟以内" in lag and "延迟超过 1 天" in lag
    assert 'data-testid="due-timers">5<' in lag
    beat = html.split('data-testid="heartbeat-chart"', 1)[1].split("</section>", 1)[0]
    assert "<svg" in beat and "web2:12" in beat and "600 s" in beat
    assert "失联（超过 60 秒）" in beat and 'fill="#dc3545"' in beat and 'fill="#198754"' in beat
    en = client.get("/dashboard?lang=en").get_data(as_text=True)
    assert "More than a day late" in en and "Stale (over 60 s)" in en


def test_sla_by_month_leaves_out_enterprise_steps(make_task, staff, monday):
    for role, late in (("reviewer", False), ("enterprise", True), ("enterprise", True)):
        t = make_task(role=role, due_at=monday + timedelta(hours=24))
        t.state = "completed"
        t.completed_at = t.created_at + timedelta(hours=30 if late else 2)
    db.session.commit()
    [month] = queries.sla_by_month(queries.scope(staff["reviewer"]))
    assert month.value == 100.0 and month.note == "1/1"


def test_english_dashboard_names_steps_in_english(client, login, make_task, staff, monday):
    make_task(title="拟定核定量", due_at=monday - timedelta(hours=1))
    done = make_task(title="复核异议")
    done.state, done.completed_at = "completed", done.created_at + timedelta(hours=3)
    db.session.commit()
    login(client, staff["reviewer"])
    en = client.get("/dashboard?lang=en").get_data(as_text=True)
    main = en.split("<main", 1)[1]
    assert "Draft the amounts" in main and "拟定核定量" not in main
    assert "复核异议" not in main
    zh = client.get("/dashboard?lang=zh_CN").get_data(as_text=True)
    assert "拟定核定量" in zh and "Draft the amounts" not in zh


def test_R7_foreign_region_is_refused_in_the_pages_language(client, login, staff):
    login(client, staff["reviewer"])
    zh = client.get(f"/dashboard?region={COUNTY_B}&lang=zh_CN")
    assert zh.status_code == 404 and "地区不存在或不在管辖范围内" in zh.get_data(as_text=True)
    en = client.get(f"/dashboard?region={COUNTY_B}&lang=en")
    assert en.status_code == 404 and "地区不存在" not in en.get_data(as_text=True)
    assert "The region does not exist or is outside your jurisdiction" in en.get_data(as_text=True)


def test_long_labels_fit_the_label_column(app):
    from app.dashboard.views import fit_label

    assert fit_label("初审") == "初审"
    assert fit_label("共同上级部门审批跨区域交易") == "共同上级部门审批跨区域交易"  # 13 wide: fits
    assert fit_label("共同上级部门审批跨区域交易审批") == "共同上级部门审批跨区域交…"
    assert fit_label("Common superior bureau approves the cross-region trade") \
        == "Common superior bureau ap…"
