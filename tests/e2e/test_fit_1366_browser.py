"""Bureau and public pages fit a 1366×768 screen in Chinese and English: no horizontal scrolling
(document.scrollWidth <= window.innerWidth) on the inbox, task pages (one of each kind open for
the demo's Xihu staff), an instance page, the dashboard (with the administrators' engine charts),
a sale's bid page (R20) and the public portal with an open sale. A failure names the elements
that stick out."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from tests.e2e.conftest import open_page
from tests.e2e.test_enterprise_pages_browser import open_demo_sale
from tests.e2e.test_public_browser import _settled_trade
from tests.e2e.test_screens_browser import _start_allocation

SIZE = {"width": 1366, "height": 768}
WIDEST = """() => {
  const limit = window.innerWidth + 0.5;
  const out = el => el && el.getBoundingClientRect().right > limit;
  return [...document.querySelectorAll('body *')]
    .filter(el => out(el) && !out(el.parentElement))
    .slice(0, 5)
    .map(el => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} `
               + `right=${Math.round(el.getBoundingClientRect().right)}: `
               + (el.innerText || '').slice(0, 60));
}"""


def _fits(page, what: str) -> None:
    page.wait_for_load_state("load")
    wide, inner = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]")
    assert wide <= inner, f"{what}: {wide}px wide on a {inner}px screen: {page.evaluate(WIDEST)}"


def _open_tasks(app, username: str, limit: int = 8) -> list[str]:
    """One open task of each step (process, name) the user may work on."""
    from app.auth.models import User
    from app.engine.models import HumanTask
    from app.inbox.queries import can_work

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        seen, out = set(), []
        for task in db.session.scalars(select(HumanTask).where(HumanTask.state == "open")
                                       .order_by(HumanTask.created_at)):
            if (task.process_key, task.name) in seen or not can_work(user, task):
                continue
            seen.add((task.process_key, task.name))
            out.append(task.id)
        return out[:limit]


@pytest.fixture
def wide_page(browser):
    context, page, errors = open_page(browser, SIZE)
    yield page
    context.close()
    assert not errors, f"uncaught JavaScript errors: {errors}"


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_bureau_pages_fit_1366(live_server, wide_page, login, lang):
    page = wide_page
    instance_id, _task_id, _owner = _start_allocation(live_server.app)
    sale = open_demo_sale(live_server.app)
    for username in ("xihu_handler", "xihu_reviewer"):
        login(page, username, "demo1234")
        page.goto(f"{live_server}/inbox?lang={lang}")
        _fits(page, f"{username} inbox ({lang})")
        page.goto(f"{live_server}/inbox?tab=mine")
        _fits(page, f"{username} started by me ({lang})")
        for task_id in _open_tasks(live_server.app, username):
            page.goto(f"{live_server}/inbox/tasks/{task_id}")
            _fits(page, f"{username} task {task_id} ({lang})")
        page.goto(f"{live_server}/dashboard")
        _fits(page, f"{username} dashboard ({lang})")
        page.goto(f"{live_server}/trading/trades/{sale}/bid")  # the sale; no form for staff
        assert page.locator("[data-testid=refusal]").count() == 1
        _fits(page, f"{username} bid page ({lang})")
    page.goto(f"{live_server}/inbox/instances/{instance_id}")
    page.wait_for_selector("[data-bpmn-viewer][data-state=ready]")
    _fits(page, f"instance page ({lang})")
    page.goto(f"{live_server}/inbox/start")
    _fits(page, f"start list ({lang})")
    login(page, "admin", "admin123")
    page.goto(f"{live_server}/dashboard?lang={lang}")
    assert page.locator("[data-testid=lag-chart] svg.erflow-chart").count() == 1
    _fits(page, f"administrator's dashboard ({lang})")


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_public_pages_fit_1366(live_server, wide_page, lang):
    page = wide_page
    _instance_id, number = _settled_trade(live_server.app)
    open_demo_sale(live_server.app)  # an announcement with its login link to bid
    paths = ["/public/", "/public/trades", "/public/reserves", "/public/certificates",
             f"/public/certificates/{number}", "/public/sales"]
    page.goto(f"{live_server}/public/?lang={lang}")
    for path in paths:
        page.goto(f"{live_server}{path}")
        _fits(page, f"{path} ({lang})")
    # one login link per announced sale: this test's and the demo's listing (app/trading/demo.py)
    assert page.locator("[data-testid=bid-login]").count() == 2
