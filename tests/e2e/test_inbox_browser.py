"""The inbox in a real browser: log in, open the inbox, complete a task through its form (a bad
value first: the page keeps the input and marks the field), open the instance page and see the
diagram with the completed step and the active step highlighted."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from app.common.models import TestClock
from app.extensions import db


def _start_allocation(app) -> int:
    from app.auth.models import Enterprise, User
    from app.inbox import services

    with app.app_context():
        db.session.merge(TestClock(id=1, now=datetime(2025, 9, 16, 1, 0, tzinfo=UTC)))
        handler = db.session.scalar(select(User).where(User.username == "xihu_handler"))
        # a unit the county bureau allocates itself (R11: coal power goes to the city/province)
        ent = db.session.scalar(select(Enterprise).where(
            Enterprise.region_code == "330106", Enterprise.permit_class != "none",
            Enterprise.industry != "火电"))
        info = services.start(user=handler, key="allocation",
                              data={"enterprise_id": ent.id, "amounts": {"COD": "8.5"}})
        db.session.commit()
        return info.id  # the demo data has other drafts in this inbox too


def test_complete_a_task_and_see_the_highlighted_diagram(live_server, page, login, screenshot):
    instance_id = _start_allocation(live_server.app)
    login(page, "xihu_handler", "demo1234")
    page.goto(f"{live_server}/inbox")
    row = page.locator("tr.task-row", has_text=f"初始排污权核定 #{instance_id}")
    assert row.count() == 1
    screenshot(page, "inbox_todo")
    row.get_by_role("link", name="拟定核定量").click()
    page.wait_for_selector("#task-form")

    page.get_by_label("化学需氧量（COD）").fill("8.123456")
    page.get_by_label("经办意见").fill("依据排污许可证核定")
    page.get_by_role("button", name="提交").click()
    page.wait_for_selector("#f-amounts-COD-error")
    assert page.get_by_label("化学需氧量（COD）").input_value() == "8.123456"
    assert page.get_by_label("经办意见").input_value() == "依据排污许可证核定"

    page.get_by_label("化学需氧量（COD）").fill("8.5")
    with page.expect_navigation():
        page.get_by_role("button", name="提交").click()
    assert page.url.endswith("/inbox")
    assert "已办理" in page.locator("main").inner_text()

    page.goto(f"{live_server}/inbox/instances/{instance_id}")
    page.wait_for_selector("[data-bpmn-viewer][data-state=ready]")
    assert page.locator('g.djs-element.erflow-completed[data-element-id="draft"]').count() == 1
    assert page.locator('g.djs-element.erflow-active[data-element-id="approve"]').count() == 1
    assert "依据排污许可证核定" in page.locator("main").inner_text()
    screenshot(page, "inbox_instance")
