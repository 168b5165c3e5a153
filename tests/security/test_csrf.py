"""CSRF: every state-changing page (not /api, which takes bearer tokens only) refuses a POST
without the token with 400, for a signed-in administrator who would otherwise be allowed."""
from __future__ import annotations

import re

from tests.security.conftest import placeholder_url, state_changing


def test_every_state_changing_page_form_demands_the_csrf_token(app, client, make_user, login):
    admin = make_user(roles=["admin", "handler", "reviewer", "approver"])
    login(client, admin)
    checked = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or not state_changing(rule):
            continue
        url = placeholder_url(rule)
        for method in state_changing(rule):
            resp = client.open(url, method=method, data={"anything": "x"})
            assert resp.status_code == 400, (method, url, resp.status_code)
            assert b"CSRF" in resp.data or "csrf" in resp.get_data(as_text=True).lower()
            checked.append(url)
    assert "/login" in checked and "/logout" in checked and len(checked) > 20


def test_a_valid_csrf_token_is_accepted(app, client):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    resp = client.post("/login", data={"csrf_token": token, "username": "nobody",
                                       "password": "wrong"})
    assert resp.status_code != 400


def test_the_api_never_reads_the_session_cookie(app, client, make_user, login):
    """The API is CSRF-exempt because it authenticates with bearer tokens only: a browser session
    cookie must not authenticate an API call (or a forged cross-site POST would work)."""
    login(client, make_user(roles=["admin"]))
    assert client.get("/api/v1/auth/me").status_code == 401
    assert client.post("/api/v1/admin/users", json={}).status_code == 401
