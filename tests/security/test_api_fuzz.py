"""Fuzz the JSON API from its own OpenAPI document (schemathesis, in-process on the WSGI app):
no request, however malformed, may produce a 500. Bounded examples keep it under two minutes."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from app import engine
from app.config import ROOT
from app.extensions import db

EXAMPLES = 15


@pytest.fixture
def api_schema(app, make_user, api_token):
    """The document as served, with an administrator's token (the widest reach) on every call."""
    app.config["ERFLOW_FORMS_DIR"] = str(ROOT / "tests" / "faults" / "fixtures" / "forms")
    engine.deploy({"fault_task.bpmn": (ROOT / "tests/faults/fixtures/fault_task.bpmn").read_text(
        "utf-8")}, actor_id=None)
    db.session.commit()
    admin = make_user(roles=["admin", "handler", "reviewer", "approver"], region_code=None)
    headers = api_token(admin)
    app.config["ERFLOW_FUZZ_HEADERS"] = headers
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return schema.exclude(path_regex=r"^/api/v1/test/")  # test clock: its own tests


def test_no_api_call_answers_500(app, api_schema):
    failures: dict[str, str] = {}
    operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        def fuzz(case):
            response = case.call(headers=app.config["ERFLOW_FUZZ_HEADERS"])
            if response.status_code >= 500:
                raise AssertionError(f"{response.status_code}: {case.as_curl_command()}")

        try:
            fuzz()
        except Exception as exc:  # collect every operation's first 500, then fail once
            failures[operation.label] = str(exc)[:400]
    assert operations > 40
    assert not failures, "\n".join(f"{k}: {v}" for k, v in failures.items())
