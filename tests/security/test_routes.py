"""Every route is reachable by exactly the roles an explicit matrix pins (RULES/DESIGN:
administration for administrators, the enterprise portal for units, bureau pages for bureau roles,
the public pages for everyone, object-scoped pages for any signed-in user who then sees only their
own or their jurisdiction's objects — tests/security/test_jurisdiction.py). A route whose decorator
grants more (or less) than its row fails, and so does a new route without a row."""
from __future__ import annotations

import pytest

from tests.security.conftest import ROLES, methods, placeholder_url

PUBLIC = "public"  # no login (the login form, disclosure R38/R39, probes, the test clock)
ANYONE_SIGNED_IN = frozenset(ROLES)  # every role; the view scopes objects to the caller (R7)
ADMIN = frozenset({"admin"})
ENTERPRISE = frozenset({"enterprise"})
BUREAU_AND_ADMIN = frozenset({"handler", "reviewer", "approver", "admin"})
# R15 fee payment confirmed, R20 reserve sale started: the handling and approving officers
FEE_AND_SALE_OFFICERS = frozenset({"handler", "approver", "admin"})

EXPECTED = {
    # DESIGN admin/: diagrams, decisions, forms, versions, calendar, policy, users — administrators
    "admin.attainment": ADMIN,
    "admin.attainment_save": ADMIN,
    "admin.calendar": ADMIN,
    "admin.calendar_load": ADMIN,
    "admin.decision_deploy": ADMIN,
    "admin.decision_editor": ADMIN,
    "admin.decision_xml": ADMIN,
    "admin.decisions": ADMIN,
    "admin.draft_xml": ADMIN,
    "admin.enterprise_edit": ADMIN,
    "admin.enterprise_new": ADMIN,
    "admin.enterprises": ADMIN,
    "admin.form_editor": ADMIN,
    "admin.form_preview": ADMIN,
    "admin.form_save": ADMIN,
    "admin.forms": ADMIN,
    "admin.incident": ADMIN,
    "admin.incident_retry": ADMIN,
    "admin.incidents": ADMIN,
    "admin.index": ADMIN,
    "admin.instance_migrate": ADMIN,
    "admin.modeler": ADMIN,
    "admin.modeler_deploy": ADMIN,
    "admin.modeler_draft": ADMIN,
    "admin.modeler_validate": ADMIN,
    "admin.policy_benchmarks": ADMIN,
    "admin.policy_benchmarks_save": ADMIN,
    "admin.policy_fees": ADMIN,
    "admin.policy_fees_save": ADMIN,
    "admin.policy_pilots": ADMIN,
    "admin.policy_pilots_save": ADMIN,
    "admin.processes": ADMIN,
    "admin.user_edit": ADMIN,
    "admin.user_new": ADMIN,
    "admin.users": ADMIN,
    "admin.version_diff": ADMIN,
    "admin.version_rollback": ADMIN,
    "admin.version_xml": ADMIN,
    "admin.versions": ADMIN,

    # R15/R16 fee notices: the unit sees its own, bureaus their jurisdiction's (scoped in the view);
    # officers confirm payment; the objection form is the unit's own (R12)
    "allocation.confirm_payment": FEE_AND_SALE_OFFICERS,
    "allocation.fee_notice": ANYONE_SIGNED_IN,
    "allocation.fee_notice_pdf": ANYONE_SIGNED_IN,
    "allocation.fee_notices": ANYONE_SIGNED_IN,
    "allocation.objection": ENTERPRISE,

    # API: administration as above; tasks, instances, attachments, enterprises, notices, trades are
    # scoped to the caller's unit or jurisdiction (R7); the public API needs no login (R38, R39)
    "api.admin_versions": ADMIN,
    "api.cancel_instance": ADMIN,
    "api.claim_task": ANYONE_SIGNED_IN,
    "api.complete_task": ANYONE_SIGNED_IN,
    "api.confirm_fee_payment": FEE_AND_SALE_OFFICERS,
    "api.create_enterprise": ADMIN,
    "api.create_lot": ADMIN,
    "api.create_user": ADMIN,
    "api.decision_files": ADMIN,
    "api.deploy_decision": ADMIN,
    "api.deploy_diagram": ADMIN,
    "api.deploy_version": ADMIN,
    "api.diff_versions": ADMIN,
    "api.download_attachment": ANYONE_SIGNED_IN,
    "api.enterprise_holdings": ANYONE_SIGNED_IN,
    "api.expiry_reminders": ANYONE_SIGNED_IN,
    "api.get_attainment": BUREAU_AND_ADMIN,
    "api.get_calendar_year": ADMIN,
    "api.get_enterprise": ANYONE_SIGNED_IN,
    "api.get_fee_notice": ANYONE_SIGNED_IN,
    "api.get_incident": ADMIN,
    "api.get_instance": ANYONE_SIGNED_IN,
    "api.get_task": ANYONE_SIGNED_IN,
    "api.get_user": ADMIN,
    "api.issue_token": PUBLIC,
    "api.latest_draft": ADMIN,
    "api.ledger_sweep": ADMIN,
    "api.list_bids": ANYONE_SIGNED_IN,
    "api.list_enterprises": ANYONE_SIGNED_IN,
    "api.list_fee_notices": ANYONE_SIGNED_IN,
    "api.list_incidents": ADMIN,
    "api.list_mediation": ANYONE_SIGNED_IN,
    "api.list_processes": ANYONE_SIGNED_IN,
    "api.list_tasks": ANYONE_SIGNED_IN,
    "api.list_users": ADMIN,
    "api.list_versions": ANYONE_SIGNED_IN,
    "api.load_calendar_year": ADMIN,
    "api.me": ANYONE_SIGNED_IN,
    "api.migrate_instance": ADMIN,
    "api.migration_candidates": ADMIN,
    "api.openapi_document": PUBLIC,
    "api.place_bid": ENTERPRISE,
    "api.public_certificate": PUBLIC,
    "api.public_publications": PUBLIC,
    "api.public_reserves": PUBLIC,
    "api.public_sales": PUBLIC,
    "api.public_trades": PUBLIC,
    "api.put_attainment": ADMIN,
    "api.request_mediation": ANYONE_SIGNED_IN,
    "api.reserve_balances": BUREAU_AND_ADMIN,
    "api.reserve_history": BUREAU_AND_ADMIN,
    "api.reserve_sale": FEE_AND_SALE_OFFICERS,
    "api.retry_instance": ADMIN,
    "api.revoke_token": ANYONE_SIGNED_IN,
    "api.rollback_version": ADMIN,
    "api.save_draft": ADMIN,
    "api.send_message": ANYONE_SIGNED_IN,
    "api.start_instance": ANYONE_SIGNED_IN,
    "api.substitution_check": ANYONE_SIGNED_IN,
    "api.test_clock_get": PUBLIC,
    "api.test_clock_put": PUBLIC,
    "api.test_run_due": PUBLIC,
    "api.trade_contract": ANYONE_SIGNED_IN,
    "api.unclaim_task": ANYONE_SIGNED_IN,
    "api.update_enterprise": ADMIN,
    "api.update_user": ADMIN,
    "api.upload_attachment": ANYONE_SIGNED_IN,
    "api.validate_diagram": ADMIN,
    "api.version_bpmn": ANYONE_SIGNED_IN,

    # signing in and out
    "auth.login": PUBLIC,
    "auth.logout": PUBLIC,

    # bureau figures of the caller's jurisdiction
    "dashboard.index": BUREAU_AND_ADMIN,

    # the enterprise portal (我的申请, 我的排污权) is the unit's; printed decisions and a unit's
    # holdings are scoped to the unit or the jurisdiction
    "enterprise_portal.decision": ANYONE_SIGNED_IN,
    "enterprise_portal.decision_pdf": ANYONE_SIGNED_IN,
    "enterprise_portal.enterprise_holdings": ANYONE_SIGNED_IN,
    "enterprise_portal.index": ENTERPRISE,
    "enterprise_portal.my_holdings": ENTERPRISE,
    "enterprise_portal.my_trades": ENTERPRISE,

    # the inbox: bureau lanes and enterprise-lane steps (a unit signs its contract there); the
    # landing page redirects by role
    "inbox.claim": ANYONE_SIGNED_IN,
    "inbox.complete": ANYONE_SIGNED_IN,
    "inbox.diagram": ANYONE_SIGNED_IN,
    "inbox.home": PUBLIC,
    "inbox.index": ANYONE_SIGNED_IN,
    "inbox.instance": ANYONE_SIGNED_IN,
    "inbox.instance_bpmn": ANYONE_SIGNED_IN,
    "inbox.start": ANYONE_SIGNED_IN,
    "inbox.start_list": ANYONE_SIGNED_IN,
    "inbox.task": ANYONE_SIGNED_IN,
    "inbox.unclaim": ANYONE_SIGNED_IN,

    # each user's own notifications
    "notifications.index": ANYONE_SIGNED_IN,
    "notifications.read": ANYONE_SIGNED_IN,
    "notifications.read_all": ANYONE_SIGNED_IN,

    # probes for the load balancer
    "ops.healthz": PUBLIC,
    "ops.readyz": PUBLIC,

    # public disclosure and certificate verification (R38, R39)
    "public.certificate": PUBLIC,
    "public.index": PUBLIC,
    "public.reserves": PUBLIC,
    "public.sales_list": PUBLIC,
    "public.trades": PUBLIC,

    # government reserve accounts (R33, R34) for bureaus; public balances are under public/
    "reserve.detail": BUREAU_AND_ADMIN,
    "reserve.index": BUREAU_AND_ADMIN,

    "static": PUBLIC,

    # a trade's documents, bids and mediation: its parties and the bureaus over it (R20, R24, R25);
    # a sale's bid page: any signed-in user sees the sale, the bid service refuses all but units
    "trading.bid": ANYONE_SIGNED_IN,
    "trading.bids": ANYONE_SIGNED_IN,
    "trading.certificate": ANYONE_SIGNED_IN,
    "trading.certificate_pdf": ANYONE_SIGNED_IN,
    "trading.contract": ANYONE_SIGNED_IN,
    "trading.contract_pdf": ANYONE_SIGNED_IN,
    "trading.trade_mediation": ANYONE_SIGNED_IN,
}
GATE_MESSAGES = ("当前角色无权执行此操作", "当前角色无权访问此页面")  # app/auth/access.py


def _granted(app, rule):
    """("api" | "page" | None, the roles the route's decorator lets in)."""
    view = app.view_functions[rule.endpoint]
    if hasattr(view, "api_roles"):
        return "api", frozenset(view.api_roles or ROLES)
    if hasattr(view, "page_roles"):
        return "page", frozenset(view.page_roles or ROLES)
    return None, None


def test_every_route_has_a_row_in_the_matrix_and_grants_exactly_it(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    new = sorted(endpoints - set(EXPECTED))
    assert not new, f"routes without a decision — add them to EXPECTED with their roles: {new}"
    gone = sorted(set(EXPECTED) - endpoints)
    assert not gone, f"EXPECTED names routes that no longer exist: {gone}"
    wrong = []
    for rule in app.url_map.iter_rules():
        kind, roles = _granted(app, rule)
        expected = EXPECTED[rule.endpoint]
        if expected == PUBLIC:
            if kind is not None:
                wrong.append(f"{rule.endpoint}: expected public, is {kind} {sorted(roles or ())}")
        elif kind is None:
            wrong.append(f"{rule.endpoint}: expected {sorted(expected)}, is unprotected")
        elif roles != expected:
            wrong.append(f"{rule.endpoint}: expected {sorted(expected)}, grants {sorted(roles)}")
    assert not wrong, "\n".join(wrong)


def test_api_routes_use_bearer_tokens_and_pages_use_sessions(app):
    for rule in app.url_map.iter_rules():
        kind, _ = _granted(app, rule)
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
        if EXPECTED.get(rule.endpoint) == PUBLIC:
            continue
        url = placeholder_url(rule)
        for method in methods(rule):
            resp = client.open(url, method=method, json={} if method != "GET" else None)
            if rule.rule.startswith("/api/"):
                assert resp.status_code == 401, (method, url, resp.status_code)
                assert resp.json["error"]["code"] == "unauthorized"
            else:
                assert resp.status_code == 302, (method, url, resp.status_code)
                assert "/login" in resp.headers["Location"], (method, url)


def _call(client, rule, role, user, tokens, login, method):
    url = placeholder_url(rule)
    if rule.rule.startswith("/api/"):
        return client.open(url, method=method, headers=tokens[role],
                           json={} if method != "GET" else None)
    login(client, user)
    return client.open(url, method=method)


def test_each_role_reaches_exactly_its_routes(no_csrf_app, client, role_users, api_token,
                                              login):
    """Outside its row a role gets 403 on every method; inside, the role gate lets it through
    (the view may still answer 404 for the placeholder object, or 403 for another
    jurisdiction — never the role gate's refusal), and nothing answers 500."""
    app = no_csrf_app
    tokens = {role: api_token(user) for role, user in role_users.items()}
    refused = admitted = 0
    for rule in app.url_map.iter_rules():
        expected = EXPECTED.get(rule.endpoint)
        if expected in (None, PUBLIC):
            continue
        for role in ROLES:
            for method in methods(rule):
                if rule.endpoint == "api.revoke_token" and role in expected:
                    continue  # would revoke the token the rest of the loop uses
                resp = _call(client, rule, role, role_users[role], tokens, login, method)
                where = (rule.endpoint, role, method, resp.status_code)
                assert resp.status_code < 500, where
                gate = resp.status_code == 403 and any(
                    m in resp.get_data(as_text=True) for m in GATE_MESSAGES)
                if role in expected:
                    assert not gate, ("refused by the role gate", *where)
                    admitted += 1
                else:
                    assert resp.status_code == 403, ("not refused", *where)
                    refused += 1
    assert refused > 100 and admitted > 200
