"""Fuzz the JSON API from its own OpenAPI document (schemathesis, in-process on the WSGI app):
no request, however malformed, may produce a 500 — as an administrator (the widest reach), and on
the demo data as a unit's user and as a county reviewer, with every other example's path ids
swapped for real rows (instances, tasks, enterprises, notices, certificates) so the handlers get
past "not found" into their checks and writes. Bounded examples keep the file near a minute."""
from __future__ import annotations

import collections
import itertools

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from sqlalchemy import select

from app import engine
from app.config import ROOT
from app.extensions import db

EXAMPLES = 15
ROLE_EXAMPLES = 15
# Not fuzzed: the test clock (its own tests) and revoking the caller's own token (every call
# after it would be a 401; tests/auth covers it).
SKIPPED = r"^(/api/v1)?/test/"  # schemathesis names paths relative to the API's base path


def _schema(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return schema.exclude(path_regex=SKIPPED).exclude(
        method="DELETE", path_regex=r"^(/api/v1)?/auth/token$")


def _fuzz(schema, headers: dict, examples: int, real: dict[str, list] | None = None):
    """Every operation's examples; returns ({operation: first 500}, statuses seen (and how many
    401s came back although the token was valid), how many answers to real ids were 2xx)."""
    failures: dict[str, str] = {}
    statuses: collections.Counter = collections.Counter()
    real_hits = [0]
    turn = itertools.count()
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        def fuzz(case):
            swapped = False
            if real and case.path_parameters and next(turn) % 2 == 0:
                for name in case.path_parameters:
                    if real.get(name):
                        case.path_parameters[name] = real[name][next(turn) % len(real[name])]
                        swapped = True
            response = case.call(headers=headers)
            statuses[response.status_code] += 1
            if response.status_code == 401 and case.operation.label != "POST /auth/token":
                statuses["401 with a valid token"] += 1
            if swapped and response.status_code < 300:
                real_hits[0] += 1
            if response.status_code >= 500:
                raise AssertionError(f"{response.status_code}: {case.as_curl_command()}")

        try:
            fuzz()
        except Exception as exc:  # collect every operation's first 500, then fail once
            failures[operation.label] = str(exc)[:400]
    assert operations > 40
    return failures, statuses, real_hits[0]


def test_no_api_call_answers_500_for_an_administrator(app, make_user, api_token):
    app.config["ERFLOW_FORMS_DIR"] = str(ROOT / "tests" / "faults" / "fixtures" / "forms")
    engine.deploy({"fault_task.bpmn": (ROOT / "tests/faults/fixtures/fault_task.bpmn").read_text(
        "utf-8")}, actor_id=None)
    db.session.commit()
    admin = make_user(roles=["admin", "handler", "reviewer", "approver"], region_code=None)
    failures, statuses, _ = _fuzz(_schema(app), api_token(admin), EXAMPLES)
    assert not failures, "\n".join(f"{k}: {v}" for k, v in failures.items())
    assert statuses["401 with a valid token"] == 0, dict(statuses)  # the token stayed valid


@pytest.fixture
def demo_rows(app):
    """The demo data (bpmn/ deployed, `seed-demo`) and the ids of its rows by path name."""
    from app.auth.models import Enterprise, User
    from app.engine.models import HumanTask, ProcessInstance
    from app.ledger.models import FeeNotice
    from app.seed import seed_demo
    from app.trading.models import Certificate

    app.config["ERFLOW_PASSWORD_HASH_METHOD"] = "scrypt:1024:8:1"
    engine.deploy_dir(ROOT / "bpmn", actor_id=None)
    seed_demo()
    db.session.commit()
    users = {u.username: u for u in db.session.scalars(select(User))}
    trades = list(db.session.scalars(select(ProcessInstance.id).where(
        ProcessInstance.key == "trade")))
    real = {
        "instance_id": trades + list(db.session.scalars(select(ProcessInstance.id).where(
            ProcessInstance.key != "trade"))),
        "task_id": list(db.session.scalars(select(HumanTask.id).where(
            HumanTask.state == "open"))),
        "enterprise_id": list(db.session.scalars(select(Enterprise.id))),
        "notice_id": list(db.session.scalars(select(FeeNotice.id))),
        "user_id": [u.id for u in users.values()],
        "number": list(db.session.scalars(select(Certificate.number))),
        "region_code": ["330106", "130102", "330100"],
        "key": ["allocation", "trade", "lease"],
        "name": ["objection", "trade_green_channel"],
        "year": [2026],
    }
    assert all(real[k] for k in ("instance_id", "task_id", "notice_id", "number"))
    return users, real


@pytest.mark.parametrize("username", ["zhijiang_chem", "xihu_reviewer"])
def test_no_api_call_answers_500_for_a_unit_or_a_county_reviewer_on_real_rows(
        app, api_token, demo_rows, username):
    users, real = demo_rows
    failures, statuses, hits = _fuzz(_schema(app), api_token(users[username]), ROLE_EXAMPLES,
                                     real)
    assert not failures, "\n".join(f"{k}: {v}" for k, v in failures.items())
    assert statuses["401 with a valid token"] == 0, dict(statuses)
    assert hits >= 10, f"too few examples reached real rows ({hits}): {dict(statuses)}"
