"""Pages in a real browser: styled, translated, assets served locally (no CDN), no script errors."""
from __future__ import annotations

from flask import url_for

NAVBAR_BLUE = "rgb(10, 88, 202)"  # app.css's AA blue over Bootstrap's .bg-primary (4.5:1 and more)


def _url(live_server, endpoint: str) -> str:
    with live_server.app.test_request_context():
        return live_server + url_for(endpoint)


def test_public_page_renders_in_chinese_with_local_bootstrap(live_server, page, screenshot):
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    response = page.goto(_url(live_server, "public.index"))
    assert response.status == 200
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("nav.navbar").evaluate("e => getComputedStyle(e).backgroundColor") == (
        NAVBAR_BLUE
    )
    # .navbar's flex layout proves vendor/bootstrap/bootstrap.min.css was served
    assert page.locator("nav.navbar").evaluate("e => getComputedStyle(e).display") == "flex"
    assert page.get_by_role("link", name="信息公开").count() >= 1
    assert all(url.startswith(live_server) for url in requests), "every asset is served locally"
    assert page.evaluate("typeof window.ERFlow.fetchJSON") == "function"  # app/static/js/app.js
    screenshot(page, "public")


def test_login_page_switches_to_english(live_server, page, screenshot):
    page.goto(_url(live_server, "auth.login"))
    assert page.get_by_role("button", name="登录").is_visible()
    screenshot(page, "login_zh")
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    assert page.get_by_role("button", name="Log in").is_visible()
    assert page.locator("input[name=username]").is_visible()
    screenshot(page, "login_en")
