"""Cross-jurisdiction access is refused on every object endpoint (R7): a bureau user of another
county, and another enterprise, get 403/404 on instances, tasks, attachments, enterprises,
holdings, reserves, fee notices and notifications of county A. A new object endpoint must be added
here (or to EXEMPT with a reason)."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from app import engine
from app.config import ROOT
from app.extensions import db
from tests.security.conftest import is_public

COUNTY_A, COUNTY_B = "330106", "330105"
REFUSED = {403, 404}
FORMS = ROOT / "tests" / "faults" / "fixtures" / "forms"
DIAGRAM = ROOT / "tests" / "faults" / "fixtures" / "fault_task.bpmn"

# Objects that belong to no jurisdiction: process definitions are province-wide; starting is
# role-checked (tests/security/test_routes.py) and the started instance is checked on start.
EXEMPT = {"api.list_versions", "api.version_bpmn", "api.start_instance", "inbox.start"}




@pytest.fixture
def world(app, make_user, make_enterprise, api_token):
    app.config["ERFLOW_FORMS_DIR"] = str(FORMS)
    engine.deploy({DIAGRAM.name: DIAGRAM.read_text("utf-8")}, actor_id=None)
    ent_a = make_enterprise(region_code=COUNTY_A)
    ent_b = make_enterprise(region_code=COUNTY_B)
    info = engine.start("fault_task", {"tag": "ok"}, actor_id=None, handling_region=COUNTY_A,
                        enterprise_id=ent_a.id)
    db.session.commit()
    users = {
        "reviewer_a": make_user(roles=["reviewer", "handler", "approver"], region_code=COUNTY_A),
        "bureau_b": make_user(roles=["reviewer", "handler", "approver"], region_code=COUNTY_B),
        "ent_a": make_user(roles=["enterprise"], enterprise=ent_a),
        "ent_b": make_user(roles=["enterprise"], enterprise=ent_b),
    }
    from app.allocation import attachments
    from app.ledger.models import FeeNotice
    from app.notifications.models import Notification

    att = attachments.store(instance_id=info.id, filename="evidence.pdf",
                            content=b"%PDF-1.4 test", uploaded_by=users["reviewer_a"].id)
    now = datetime(2026, 3, 2, tzinfo=UTC)
    notice = FeeNotice(number="FN-SEC-1", instance_id=info.id, enterprise_id=ent_a.id,
                       region_code=COUNTY_A, bureau_name="西湖区生态环境分局",
                       province_code="330000", valid_from=date(2026, 1, 1),
                       valid_to=date(2026, 12, 31), lines=[], amount=Decimal("100.00"),
                       finalised_at=now, issue_due_at=now, issued_at=now, due_at=now)
    note = Notification(user_id=users["reviewer_a"].id, kind="task", ref="x", title="t",
                        created_at=now)
    db.session.add_all([notice, note])
    db.session.commit()
    ids = {"instance_id": info.id, "task_id": info.active_tasks[0].id, "attachment_id": att.id,
           "enterprise_id": ent_a.id, "notice_id": notice.id, "notification_id": note.id,
           "region_code": COUNTY_A, "name": "objection", "year": 2026}
    return {"ids": ids, "users": users, "tokens": {k: api_token(u) for k, u in users.items()}}


def _path_args(rule) -> set[str]:
    """The rule's arguments taken from the path (not those its `defaults` fix, e.g. as_pdf)."""
    return set(rule.arguments) - set(rule.defaults or {})


def _object_rules(app):
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if not _path_args(rule) or is_public(rule) or rule.endpoint in EXEMPT:
            continue
        roles = getattr(view, "api_roles", None) or getattr(view, "page_roles", None) or ()
        if tuple(roles) == ("admin",):
            continue  # administrators are province-wide; role refusal is tested in test_routes
        yield rule


def test_every_object_endpoint_refuses_other_jurisdictions(app, client, world, login):
    app.config["WTF_CSRF_ENABLED"] = False  # the refusal, not the CSRF token, is under test
    ids, tokens = world["ids"], world["tokens"]
    checked = set()
    for rule in _object_rules(app):
        missing = _path_args(rule) - set(ids)
        assert not missing, f"{rule.rule}: no test object for {missing} — add one to `world`"
        url = rule.rule
        for name in _path_args(rule):
            url = url.replace(f"<int:{name}>", str(ids[name])).replace(f"<{name}>", str(ids[name]))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for outsider in ("bureau_b", "ent_b"):
                if url.startswith("/api/"):
                    # with no body and with a minimal one: every view loads and authorizes the
                    # object before it reads the body, so both are refused as such (403/404)
                    bodies = [None] if method == "GET" else [None, {"data": {}}]
                    codes = [client.open(url, method=method, headers=tokens[outsider],
                                         json=body).status_code for body in bodies]
                else:
                    login(client, world["users"][outsider])
                    codes = [client.open(url, method=method, data={}).status_code]
                assert set(codes) <= REFUSED, (outsider, method, url, codes)
            checked.add(rule.endpoint)
    assert {"api.get_instance", "api.get_task", "api.complete_task", "api.download_attachment",
            "api.enterprise_holdings", "api.reserve_balances", "api.get_fee_notice",
            "inbox.instance", "inbox.task", "notifications.read"} <= checked


def test_the_owner_side_still_reaches_the_objects(app, client, world):
    """The refusals above are about jurisdiction, not broken endpoints."""
    ids, tokens = world["ids"], world["tokens"]
    assert client.get(f"/api/v1/instances/{ids['instance_id']}",
                      headers=tokens["reviewer_a"]).status_code == 200
    assert client.get(f"/api/v1/tasks/{ids['task_id']}",
                      headers=tokens["reviewer_a"]).status_code == 200
    assert client.get(f"/api/v1/attachments/{ids['attachment_id']}",
                      headers=tokens["reviewer_a"]).status_code == 200
    assert client.get(f"/api/v1/enterprises/{ids['enterprise_id']}",
                      headers=tokens["ent_a"]).status_code == 200
