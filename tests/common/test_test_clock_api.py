"""The test clock API: only in test mode, forward only, shared through the database."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

import app.engine as engine
from app import create_app
from app.common import clock
from app.common.models import TestClock
from app.extensions import db


def test_clock_put_and_get(client):
    resp = client.put("/api/v1/test/clock", json={"now": "2026-03-02T09:00:00+08:00"})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == {"now": "2026-03-02T09:00:00+08:00"}
    assert db.session.get(TestClock, 1).now == datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    assert clock.now() == datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    assert client.get("/api/v1/test/clock").get_json() == {"now": "2026-03-02T09:00:00+08:00"}
    resp = client.put("/api/v1/test/clock", json={"now": "2026-03-05T01:00:00Z"})
    assert resp.get_json() == {"now": "2026-03-05T09:00:00+08:00"}


def test_clock_only_moves_forward(client):
    client.put("/api/v1/test/clock", json={"now": "2026-03-02T09:00:00+08:00"})
    resp = client.put("/api/v1/test/clock", json={"now": "2026-03-01T09:00:00+08:00"})
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "conflict"
    same = client.put("/api/v1/test/clock", json={"now": "2026-03-02T09:00:00+08:00"})
    assert same.status_code == 200
    assert client.get("/api/v1/test/clock").get_json()["now"] == "2026-03-02T09:00:00+08:00"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"now": "yesterday"}, 422),
        ({"now": "2026-03-02T09:00:00"}, 422),  # no offset: ambiguous
        ({}, 422),
        ({"now": 5}, 422),
        (["2026-03-02T09:00:00+08:00"], 400),
    ],
)
def test_clock_rejects_bad_values(client, body, status):
    resp = client.put("/api/v1/test/clock", json=body)
    assert resp.status_code == status
    if status == 422:
        assert "now" in resp.get_json()["error"]["fields"]


def test_clock_rejects_a_non_json_body(client):
    resp = client.put("/api/v1/test/clock", data="now", content_type="text/plain")
    assert resp.status_code == 400


def test_run_due_calls_the_engine_at_the_clocks_now(client, monkeypatch):
    seen = []
    monkeypatch.setattr(engine, "run_due", lambda now=None: seen.append(now) or 2)
    client.put("/api/v1/test/clock", json={"now": "2026-03-02T09:00:00+08:00"})
    resp = client.post("/api/v1/test/run-due")
    assert resp.status_code == 200
    assert resp.get_json() == {"fired": 2}
    assert seen == [datetime(2026, 3, 2, 1, 0, tzinfo=UTC)]


def test_every_route_is_404_without_test_mode(database_url):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                      "ERFLOW_TEST_CLOCK": False, "SECRET_KEY": "t"})
    with app.app_context():
        db.create_all()
        client = app.test_client()
        assert client.get("/api/v1/test/clock").status_code == 404
        body = {"now": "2026-03-02T09:00:00+08:00"}
        assert client.put("/api/v1/test/clock", json=body).status_code == 404
        assert client.post("/api/v1/test/run-due").status_code == 404
        assert db.session.get(TestClock, 1) is None
        db.session.remove()


def test_run_due_with_the_real_engine_and_nothing_due(client):
    client.put("/api/v1/test/clock", json={"now": "2026-03-02T09:00:00+08:00"})
    resp = client.post("/api/v1/test/run-due")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == {"fired": 0}
