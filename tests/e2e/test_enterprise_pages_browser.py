"""What an enterprise sees, on a 1366×768 screen and on a phone (375×812), in Chinese and English:
my applications, the trade start form, a task form, a sale's bid page and my trades. Each page
fits the width (no horizontal scrolling), every input/select/textarea has a label, and Tab reaches
the page's main action.
Screenshots go to tests/e2e/screens/ through the shared `screenshot` fixture."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from tests.e2e.conftest import open_page
from tests.e2e.test_screens_browser import _start_allocation

ENTERPRISE = "qianjiang_power"  # a demo enterprise login (app/seed.py)
VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 375, "height": 812}}

UNLABELLED = """() => [...document.querySelectorAll('main input, main select, main textarea')]
  .filter(el => el.type !== 'hidden')
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.name || el.id || el.outerHTML.slice(0, 80))"""


def _enterprise_login(app) -> tuple[str, str | None]:
    """A demo enterprise login with an open task of its own when the demo data has one (it has
    instances in every state), and that task's id."""
    from app.auth.models import User
    from app.engine.models import HumanTask

    with app.app_context():
        task = db.session.scalar(select(HumanTask).where(
            HumanTask.state == "open", HumanTask.role == "enterprise",
            HumanTask.enterprise_id.is_not(None)).order_by(HumanTask.created_at))
        if task is not None:
            user = db.session.scalar(select(User).where(User.enterprise_id == task.enterprise_id))
            if user is not None:
                return user.username, task.id
    return ENTERPRISE, None


def _tab_reaches(page, selector: str, limit: int = 120) -> bool:
    page.locator("body").focus()
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)",
                         selector):
            return True
    return False


def _check(page, name: str, action: str, width: int, screenshot) -> None:
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate(
        "window.innerWidth"), f"{name}: wider than the screen"
    assert page.evaluate(UNLABELLED) == [], f"{name}: inputs without a label"
    assert _tab_reaches(page, action), f"{name}: Tab never reaches {action}"
    # the focused action shows a visible outline (app.css :focus-visible)
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", f"{name}: no visible focus outline"
    screenshot(page, name)


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_enterprise_pages_fit_are_labelled_and_keyboard_usable(live_server, browser, screenshot,
                                                               lang, viewport):
    size = VIEWPORTS[viewport]
    short = "zh" if lang == "zh_CN" else "en"
    context, page, errors = open_page(browser, VIEWPORTS[viewport], is_mobile=viewport == "phone")
    try:
        username, task_id = _enterprise_login(live_server.app)
        _sign_in(page, live_server, lang, username)

        page.goto(f"{live_server}/my/applications")
        heading = "我的申请" if short == "zh" else "My applications"
        assert heading in page.locator("main").inner_text()
        _check(page, f"enterprise_my_applications_{viewport}_{short}", "[data-testid=main-action]",
               size["width"], screenshot)

        page.goto(f"{live_server}/inbox/start/trade")
        guide = page.locator("[data-testid=start-guide]").inner_text()
        assert ("电子凭证" if short == "zh" else "Electronic certificate") in guide
        assert page.locator("#f-amounts-COD-help").count() == 1
        _check(page, f"enterprise_trade_start_{viewport}_{short}", "[data-testid=main-action]",
               size["width"], screenshot)

        if task_id is None:  # no enterprise task in the demo data: the form of a bureau task
            _instance_id, task_id, _owner = _start_allocation(live_server.app)
            _sign_in(page, live_server, lang, "xihu_handler")
        if task_id:
            page.goto(f"{live_server}/inbox/tasks/{task_id}")
            page.wait_for_selector("#task-form")
            _check(page, f"task_form_{viewport}_{short}", "#task-form [type=submit]",
                   size["width"], screenshot)
    finally:
        context.close()
    assert not errors, f"uncaught JavaScript errors: {errors}"


def test_skip_link_is_the_first_tab_stop(live_server, page):
    page.goto(f"{live_server}/login")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    assert page.locator("a[href='#main']").is_visible()


def _sign_in(page, live_server, lang: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server}/login?lang={lang}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo1234")
    with page.expect_navigation():
        page.click("form[action$='/login'] [type=submit]")


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_holdings_and_objection_form_fit_are_labelled_and_keyboard_usable(
        live_server, browser, screenshot, lang, viewport):
    """My emission rights (R37: balances, lots, certificate links) of a unit with a final
    allocation, and the objection form (R12) of a unit whose allocation is under publication."""
    size = VIEWPORTS[viewport]
    short = "zh" if lang == "zh_CN" else "en"
    context, page, errors = open_page(browser, VIEWPORTS[viewport], is_mobile=viewport == "phone")
    try:
        _sign_in(page, live_server, lang, "qianjiang_power")  # final and paid allocation (demo)
        page.goto(f"{live_server}/my/holdings")
        main = page.locator("main").inner_text()
        assert ("我的排污权" if short == "zh" else "My emission rights") in main
        assert ("初始分配" if short == "zh" else "Initial allocation") in main
        assert page.locator("[data-testid=lot]").count() >= 1
        _check(page, f"enterprise_holdings_{viewport}_{short}", "[data-testid=main-action]",
               size["width"], screenshot)

        _sign_in(page, live_server, lang, "xixi_power")  # allocation under publication (demo)
        page.goto(f"{live_server}/my/applications")
        button = page.locator("[data-testid=objection-button]")
        assert button.count() == 1
        with page.expect_navigation():
            button.click()
        page.wait_for_selector("#objection-form")
        assert page.locator("#f-reason-help").count() == 1
        assert "f-reason-help" in page.get_attribute("#f-reason", "aria-describedby")
        _check(page, f"enterprise_objection_{viewport}_{short}", "#objection-form [type=submit]",
               size["width"], screenshot)
        # sent without a reason: the field says so, focusable by keyboard, nothing delivered
        with page.expect_navigation():
            page.click("#objection-form [type=submit]")
        assert page.locator("#f-reason-error").count() == 1
    finally:
        context.close()
    assert not errors, f"uncaught JavaScript errors: {errors}"


def open_demo_sale(app) -> int:
    """The demo's reserve sale by auction (R20), taken through its subject review and deposit by
    the 西湖区 staff: it takes bids, announced on /public/sales. Returns its instance id."""
    from app import engine
    from app.auth.models import User
    from app.engine.models import HumanTask, ProcessInstance

    with app.app_context():
        staff = {u.username: u.id for u in db.session.scalars(select(User).where(
            User.username.in_(("xihu_reviewer", "xihu_handler"))))}
        inst = db.session.scalar(select(ProcessInstance).where(
            ProcessInstance.key == "trade", ProcessInstance.status == "running",
            ProcessInstance.summary["method"].as_string() == "auction"))
        steps = (("subject_review", {"review_decision": "approved", "opinion": "符合"},
                  "xihu_reviewer"),
                 ("confirm_deposit", {"deposit_reference": "BZJ-E2E"}, "xihu_handler"))
        for name, data, who in steps:
            task = db.session.scalar(select(HumanTask).where(
                HumanTask.instance_id == inst.id, HumanTask.name == name,
                HumanTask.state == "open"))
            engine.complete(task.id, data, actor_id=staff[who])
            db.session.commit()
        return inst.id


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_bid_page_and_my_trades_fit_are_labelled_and_keyboard_usable(
        live_server, browser, screenshot, lang, viewport):
    """R20: from the announcement to a sale's bid page (the sale, its countdown, the form), a bid
    sent without a price (the field says so), and "my trades" — for a unit that is no party."""
    size = VIEWPORTS[viewport]
    short = "zh" if lang == "zh_CN" else "en"
    sale = open_demo_sale(live_server.app)
    context, page, errors = open_page(browser, VIEWPORTS[viewport], is_mobile=viewport == "phone")
    try:
        _sign_in(page, live_server, lang, "xixi_power")
        page.goto(f"{live_server}/public/sales")
        with page.expect_navigation():
            page.click(f"[data-testid=bid-action][href$='/trading/trades/{sale}/bid']")
        page.wait_for_selector("#bid-form")
        assert page.locator("[data-testid=countdown]").count() == 1
        _check(page, f"enterprise_bid_{viewport}_{short}", "#bid-form [type=submit]",
               size["width"], screenshot)
        with page.expect_navigation():
            page.click("#bid-form [type=submit]")
        assert page.locator("#f-price-error").count() == 1
        assert "f-price-error" in page.get_attribute("#f-price", "aria-describedby")

        page.goto(f"{live_server}/my/trades")
        heading = "我的交易" if short == "zh" else "My trades"
        assert heading in page.locator("main").inner_text()
        _check(page, f"enterprise_my_trades_{viewport}_{short}", "[data-testid=main-action]",
               size["width"], screenshot)
    finally:
        context.close()
    assert not errors, f"uncaught JavaScript errors: {errors}"
