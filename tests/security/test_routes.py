"""Every route demands login and the right role; a new route without a decision fails here."""
from __future__ import annotations

import pytest

from tests.security.conftest import ROLES, is_public, methods, placeholder_url


def _roles_of(app, rule):
    view = app.view_functions[rule.endpoint]
    if hasattr(view, "api_roles"):
        return "api", tuple(view.api_roles)
    if hasattr(view, "page_roles"):
        return "page", tuple(view.page_roles)
    return None, None


def test_every_route_is_public_on_purpose_or_protected(app):
    unprotected = [
        f"{rule.rule} ({rule.endpoint})" for rule in app.url_map.iter_rules()
        if not is_public(rule) and _roles_of(app, rule)[0] is None
    ]
    assert not unprotected, (
        "routes without @page_auth/@api_auth (add the decorator, or list the endpoint in "
        f"tests/security/conftest.py PUBLIC_ENDPOINTS with a reason): {unprotected}")


def test_api_routes_use_bearer_tokens_and_pages_use_sessions(app):
    for rule in app.url_map.iter_rules():
        kind, _ = _roles_of(app, rule)
        if kind == "api":
            assert rule.rule.startswith("/api/"), rule.rule
        if kind == "page":
            assert not rule.rule.startswith("/api/"), rule.rule


@pytest.fixture
def no_csrf_app(app):
    app.config["WTF_CSRF_ENABLED"] = False  # here we test auth; CSRF has its own test
    yield app
    app.config["WTF_CSRF_ENABLED"] = True


def test_anonymous_callers_are_refused_everywhere_but_public_routes(no_csrf_app, client):
    app = no_csrf_app
    for rule in app.url_map.iter_rules():
        kind, _ = _roles_of(app, rule)
        if kind is None:
            continue
        url = placeholder_url(rule)
        for method in methods(rule):
            resp = client.open(url, method=method, json={} if method != "GET" else None)
            if kind == "api":
                assert resp.status_code == 401, (method, url, resp.status_code)
                assert resp.json["error"]["code"] == "unauthorized"
            else:
                assert resp.status_code == 302, (method, url, resp.status_code)
                assert "/login" in resp.headers["Location"], (method, url)


def test_a_signed_in_user_without_the_role_gets_403(no_csrf_app, client, role_users, api_token,
                                                    login):
    app = no_csrf_app
    tokens = {role: api_token(user) for role, user in role_users.items()}
    checked = 0
    for rule in app.url_map.iter_rules():
        kind, roles = _roles_of(app, rule)
        if not roles:
            continue
        outsiders = [r for r in ROLES if r not in roles]
        url = placeholder_url(rule)
        for role in outsiders:
            for method in methods(rule):
                if kind == "api":
                    resp = client.open(url, method=method, headers=tokens[role],
                                       json={} if method != "GET" else None)
                else:
                    login(client, role_users[role])
                    resp = client.open(url, method=method)
                assert resp.status_code == 403, (role, method, url, resp.status_code)
                checked += 1
    assert checked > 50
