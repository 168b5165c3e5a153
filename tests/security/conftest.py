"""Security-test helpers: the route table with placeholder arguments, one user per role."""
from __future__ import annotations

import pytest
from werkzeug.routing import Rule
from werkzeug.routing.converters import NumberConverter

# Reachable without login, on purpose: the login form and token endpoint, the public disclosure
# pages and API (R38, R39), the OpenAPI document, liveness/readiness probes, static files, the
# landing page (it redirects by role) and the test clock (404 outside test mode, see
# test_config.py).
PUBLIC_ENDPOINTS = {
    "static", "auth.login", "auth.logout", "api.issue_token", "api.openapi_document",
    "api.public_publications", "api.public_certificate", "api.public_trades",
    "api.public_reserves", "api.public_sales", "api.test_clock_get",
    "api.test_clock_put", "api.test_run_due", "ops.healthz", "ops.readyz", "inbox.home",
}
PUBLIC_BLUEPRINTS = {"public"}
ROLES = ("enterprise", "handler", "reviewer", "approver", "admin")
PLACEHOLDER = {"integer": "999999", "unicode": "x"}


def is_public(rule: Rule) -> bool:
    return rule.endpoint in PUBLIC_ENDPOINTS or rule.endpoint.split(".")[0] in PUBLIC_BLUEPRINTS


def placeholder_url(rule: Rule, **values: str) -> str:
    """The rule's path with each argument replaced by `values[name]` or a placeholder."""
    path = rule.rule
    for name, converter in rule._converters.items():
        kind = "integer" if isinstance(converter, NumberConverter) else "unicode"
        value = values.get(name, PLACEHOLDER[kind])
        for pattern in (f"<{name}>", f"<int:{name}>", f"<path:{name}>", f"<string:{name}>"):
            path = path.replace(pattern, value)
    return path


def state_changing(rule: Rule) -> list[str]:
    return sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"})


def methods(rule: Rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


@pytest.fixture
def role_users(make_user):
    """One active user per role (bureau roles in 330106)."""
    return {role: make_user(roles=[role]) for role in ROLES}
