"""A completion validates against the newest stored version of its form (read with the task in
one query, docs/operations.md "Load"): a version saved a moment ago applies to the next
completion, and a form that exists only as a file in forms/ still applies."""
from __future__ import annotations

from app import engine
from app.extensions import db
from tests.faults.conftest import db_clock, fault_diagrams  # noqa: F401  (probe diagrams, forms)


def _task(region: str = "330106") -> str:
    info = engine.start("fault_task", {"tag": "ok"}, actor_id=None, handling_region=region)
    db.session.commit()
    return info.active_tasks[0].id


def test_a_newly_saved_form_version_applies_to_the_next_completion(
        client, fault_diagrams, make_user, api_token):  # noqa: F811
    headers = api_token(make_user(roles=["reviewer"], region_code="330106"))
    first, second = _task(), _task()
    ok = client.post(f"/api/v1/tasks/{first}/complete", headers=headers,
                     json={"data": {"opinion": "同意"}})
    assert ok.status_code == 200, ok.json  # the file in forms/: no stored version yet
    engine.save_form_file(filename="fault_review.schema.json", author_id=None, comment="新版",
                          content={"type": "object", "required": ["basis"], "properties": {
                              "basis": {"type": "string", "minLength": 1},
                              "opinion": {"type": "string"}}})
    db.session.commit()
    refused = client.post(f"/api/v1/tasks/{second}/complete", headers=headers,
                          json={"data": {"opinion": "同意"}})
    assert refused.status_code == 422 and "basis" in refused.json["error"]["fields"]
    done = client.post(f"/api/v1/tasks/{second}/complete", headers=headers,
                       json={"data": {"opinion": "同意", "basis": "监测报告"}})
    assert done.status_code == 200, done.json
