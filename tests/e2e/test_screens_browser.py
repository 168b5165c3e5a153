"""Screenshots of what people see, in both languages: the inbox, a task, the instance diagram, the
dashboard, the notifications, the public page; and the enterprise's "my applications" on a phone.

Saved under tests/e2e/screens/ (git-ignored); the README's docs/screenshots/inbox.png is a copy of
screens_inbox_zh.png."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.common.models import TestClock
from app.extensions import db

TEXT = {
    "zh_CN": {"inbox": "待办", "dashboard": "各环节在办件及期限预警", "public": "信息公开",
              "bell": "我的通知", "mine": "我的申请"},
    "en": {"inbox": "Task inbox", "dashboard": "Open work by step", "public": "Public disclosure",
           "bell": "My notifications", "mine": "My applications"},
}


def _start_allocation(app) -> tuple[int, str, str]:
    """An allocation of a county-A unit; returns (instance id, draft task id, enterprise login)."""
    from app.auth.models import Enterprise, User
    from app.engine.models import HumanTask
    from app.inbox import services

    with app.app_context():
        db.session.merge(TestClock(id=1, now=datetime(2025, 9, 16, 1, 0, tzinfo=UTC)))
        handler = db.session.scalar(select(User).where(User.username == "xihu_handler"))
        ent = db.session.scalar(select(Enterprise).where(
            Enterprise.region_code == "330106", Enterprise.permit_class != "none",
            Enterprise.industry != "火电"))
        info = services.start(user=handler, key="allocation",
                              data={"enterprise_id": ent.id, "amounts": {"COD": "8.5"}})
        db.session.commit()
        task = db.session.scalar(select(HumanTask).where(
            HumanTask.instance_id == info.id, HumanTask.state == "open"))
        owner = db.session.scalar(select(User).where(User.enterprise_id == ent.id))
        return info.id, task.id, owner.username


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_screens_in_both_languages(live_server, page, login, screenshot, lang):
    instance_id, task_id, _owner = _start_allocation(live_server.app)
    text = TEXT[lang]
    short = "zh" if lang == "zh_CN" else "en"
    login(page, "xihu_handler", "demo1234")

    page.goto(f"{live_server}/inbox?lang={lang}")
    assert text["inbox"] in page.locator("body").inner_text()
    assert page.locator("tr.task-row").count() >= 1
    screenshot(page, f"screens_inbox_{short}", full_page=False)

    page.goto(f"{live_server}/inbox/tasks/{task_id}")
    page.wait_for_selector("#task-form")
    screenshot(page, f"screens_task_{short}")

    page.goto(f"{live_server}/inbox/instances/{instance_id}")
    page.wait_for_selector("[data-bpmn-viewer][data-state=ready]")
    assert page.locator('g.djs-element.erflow-active[data-element-id="draft"]').count() == 1
    screenshot(page, f"screens_instance_{short}")

    page.goto(f"{live_server}/dashboard")
    assert text["dashboard"] in page.locator("main").inner_text()
    assert page.locator("main svg.erflow-chart").count() >= 1
    screenshot(page, f"screens_dashboard_{short}")

    page.goto(f"{live_server}/notifications")
    assert text["bell"] in page.locator("main").inner_text()
    assert page.locator("[data-testid=bell-count]").count() == 1  # the new draft task
    screenshot(page, f"screens_notifications_{short}")

    page.goto(f"{live_server}/")
    page.goto(f"{live_server}/public")
    assert text["public"] in page.locator("body").inner_text()
    screenshot(page, f"screens_public_{short}")


def test_my_applications_on_a_phone(live_server, browser, screenshot):
    _instance_id, _task_id, owner = _start_allocation(live_server.app)
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/login")
        page.fill("input[name=username]", owner)
        page.fill("input[name=password]", "demo1234")
        with page.expect_navigation():
            page.click("form[action$='/login'] [type=submit]")
        page.goto(f"{live_server}/my/applications")
        main = page.locator("main").inner_text()
        assert "我的申请" in main and "生态环境主管部门正在办理您的申请" in main
        # nothing wider than the phone: no horizontal scrolling
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(page, "screens_my_applications_phone")
    finally:
        context.close()


def test_readme_inbox_screenshot(live_server, browser, screenshot):
    """The README's picture (docs/screenshots/inbox.png is a copy): the Xihu reviewer's inbox on
    the demo data, an overdue escalated objection review and one on time, with the bell."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport={"width": 1280, "height": 470})
    page = context.new_page()
    try:
        page.goto(f"{live_server}/login")
        page.fill("input[name=username]", "xihu_reviewer")
        page.fill("input[name=password]", "demo1234")
        with page.expect_navigation():
            page.click("form[action$='/login'] [type=submit]")
        page.goto(f"{live_server}/inbox")
        assert page.locator("tr.task-row").count() >= 1
        assert page.locator("[data-testid=bell-count]").count() == 1
        screenshot(page, "screens_readme_inbox", full_page=False)
    finally:
        context.close()


def test_review_decision_print_page(live_server, page, login, screenshot):
    from app.engine.models import AuditEvent, ProcessInstance

    with live_server.app.app_context():
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "task_completed").order_by(AuditEvent.id)).all()
        decided = [e.instance_id for e in events if (e.detail or {}).get("decision")]
        assert decided, "the demo data has decided applications"
        inst = db.session.get(ProcessInstance, decided[0])
        instance_id, number = inst.id, inst.business_key
    login(page, "xihu_approver", "demo1234")
    page.goto(f"{live_server}/documents/decisions/{instance_id}")
    doc = page.locator("[data-testid=decision-document]").inner_text()
    assert "审查决定书" in doc and f"{number}-JD" in doc
    page.emulate_media(media="print")
    assert page.locator("nav.navbar").is_hidden()  # printed without the navigation
    screenshot(page, "screens_decision_print")
