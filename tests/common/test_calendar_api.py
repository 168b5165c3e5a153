"""PUT/GET /api/v1/admin/calendar/{year} (R4) and `flask erflow calendar-load`."""
from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

import app.engine as engine
from app.common import workdays
from app.common.models import AdminAlert, CalendarDay
from app.extensions import db

DAYS_2027 = [
    {"date": "2027-01-01", "workday": False, "note": "元旦"},
    {"date": "2027-02-06", "workday": True, "note": "春节调休"},
    {"date": "2027-02-08", "workday": False, "note": "春节"},
]


@pytest.fixture
def admin(make_user, api_token):
    return api_token(make_user(roles=["admin"]))


@pytest.fixture
def recompute(monkeypatch):
    calls: list[int] = []

    def fake() -> int:
        calls.append(1)
        return 3

    monkeypatch.setattr(engine, "recompute_provisional_deadlines", fake)
    return calls


def test_R4_admin_loads_a_year_and_provisional_deadlines_are_recomputed(client, recompute, admin):
    assert workdays.working_days_after(date(2027, 2, 5), 1).provisional  # raises the alert
    db.session.commit()
    resp = client.put("/api/v1/admin/calendar/2027", json={"days": DAYS_2027},
                      headers=admin)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == {"year": 2027, "days": 3, "recomputed": 3}
    assert recompute == [1]
    assert workdays.year_known(2027)
    assert workdays.is_workday(date(2027, 2, 6))  # make-up Saturday
    assert not workdays.is_workday(date(2027, 2, 8))
    due = workdays.working_days_after(date(2027, 2, 5), 1)
    assert (due.day, due.provisional) == (date(2027, 2, 6), False)
    alert = db.session.scalar(select(AdminAlert).where(AdminAlert.kind == "calendar_missing"))
    assert alert.resolved_at is not None

    body = client.get("/api/v1/admin/calendar/2027", headers=admin).get_json()
    assert body["known"] is True and len(body["days"]) == 3 and body["loaded_at"].endswith("+08:00")


def test_R4_loading_again_replaces_the_years_rows(client, recompute, admin):
    headers = admin
    client.put("/api/v1/admin/calendar/2027", json={"days": DAYS_2027}, headers=headers)
    resp = client.put("/api/v1/admin/calendar/2027", json={"days": DAYS_2027[:1]}, headers=headers)
    assert resp.get_json()["days"] == 1
    assert db.session.scalars(select(CalendarDay.day)).all() == [date(2027, 1, 1)]
    assert workdays.is_workday(date(2027, 2, 8))  # back to the Mon–Fri fallback for that day


def test_R4_dates_outside_the_year_are_refused_with_fields(client, recompute, admin):
    days = DAYS_2027 + [{"date": "2028-01-01", "workday": False}]
    resp = client.put("/api/v1/admin/calendar/2027", json={"days": days},
                      headers=admin)
    assert resp.status_code == 422
    assert "days.3.date" in resp.get_json()["error"]["fields"]
    assert recompute == []
    assert db.session.scalar(select(CalendarDay.day)) is None


@pytest.mark.parametrize(
    "body",
    [
        {"days": [{"date": "2027-02-30", "workday": True}]},
        {"days": [{"date": "2027-01-01"}]},
        {"days": [{"date": "2027-01-01", "workday": "maybe"}]},
        {"days": [{"date": "2027-01-01", "workday": False}, {"date": "2027-01-01",
                                                               "workday": True}]},
        {},
    ],
)
def test_R4_malformed_days_answer_422(client, recompute, body, admin):
    resp = client.put("/api/v1/admin/calendar/2027", json=body, headers=admin)
    assert resp.status_code == 422
    assert resp.get_json()["error"]["fields"]


def test_R4_calendar_load_needs_an_administrator(client, recompute, make_user, api_token):
    assert client.put("/api/v1/admin/calendar/2027", json={"days": []}).status_code == 401
    handler = api_token(make_user(roles=["handler"], region_code="330000"))
    resp = client.put("/api/v1/admin/calendar/2027", json={"days": []}, headers=handler)
    assert resp.status_code == 403
    assert recompute == []


def test_R4_calendar_load_command(app, tmp_path, recompute):
    path = tmp_path / "2027.json"
    path.write_text(json.dumps({"days": DAYS_2027}), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["erflow", "calendar-load", "2027", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 days loaded" in result.output
    assert workdays.year_known(2027)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"date": "2026-01-01", "workday": False}]), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["erflow", "calendar-load", "2027", str(bad)])
    assert result.exit_code != 0


def test_R4_calendar_load_calls_the_real_engine_recompute(client, admin):
    resp = client.put("/api/v1/admin/calendar/2027", json={"days": DAYS_2027},
                      headers=admin)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["recomputed"] == 0  # no open provisional deadlines
