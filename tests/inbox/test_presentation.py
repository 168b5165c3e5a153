"""Business summaries as people read them: Chinese labels, unit names, Asia/Shanghai times (R3) and
period ends shown as 24:00 of their last day (R5, R6)."""
from __future__ import annotations

from flask_babel import force_locale

from app.inbox.presentation import summary_rows, when


def test_R6_a_window_ending_at_midnight_reads_as_24_00_of_its_last_day():
    assert when("2025-10-10T00:00:00+08:00") == "2025-10-09 24:00"
    assert when("2025-10-09T16:00:00+00:00") == "2025-10-09 24:00"  # stored UTC, shown in Shanghai


def test_R3_other_moments_show_in_shanghai_time():
    assert when("2025-09-16T01:30:00+00:00") == "2025-09-16 09:30"


def test_allocation_summary_has_chinese_labels_and_the_units_name(app, make_enterprise):
    unit = make_enterprise(name="杭州之江精细化工有限公司")
    summary = {
        "enterprise_id": unit.id,
        "amounts": {"COD": "12.5000", "SO2": "3.2000"},
        "allocating_level": "county",
        "window_closes_at": "2025-10-10T00:00:00+08:00",
        "objection": None,
        "something_new": "kept",
    }
    with app.test_request_context(), force_locale("zh_CN"):
        rows = {r.label: r.value for r in summary_rows(summary)}
    assert rows["排污单位"] == "杭州之江精细化工有限公司"
    assert ("化学需氧量（COD）", "12.5000") in rows["核定量（吨/年）"]
    assert rows["核定部门层级"] == "县级生态环境部门"
    assert rows["公示期截止"] == "2025-10-09 24:00"
    assert rows["复核申请"] == "—"
    assert rows["something_new"] == "kept"  # unknown keys are shown, never hidden


def test_R5_the_inbox_shows_a_deadline_as_24_00_of_its_last_day(app):
    from datetime import UTC, datetime

    due = datetime(2025, 10, 20, 16, 0, tzinfo=UTC)  # 24:00 Mon 2025-10-20 in Shanghai
    with app.test_request_context():
        rendered = app.jinja_env.from_string("{{ due|local_due }}").render(due=due)
    assert rendered == "2025-10-20 24:00"
