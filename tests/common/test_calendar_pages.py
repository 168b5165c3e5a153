"""Admin pages of the calendar (R4) and attainment (R27): month grid, alert banner, upload."""
from __future__ import annotations

import json
from datetime import date

import pytest

import app.engine as engine
from app.common import workdays
from app.extensions import db
from app.ledger import policy
from tests.auth.conftest import csrf_from


@pytest.fixture
def admin_client(app, client, monkeypatch, make_user, login):  # noqa: F811
    monkeypatch.setattr(engine, "recompute_provisional_deadlines", lambda: 0)
    return login(client, make_user(roles=["admin"]))


def test_R4_calendar_page_shows_month_grid_legend_and_alert(admin_client):
    workdays.working_days_after(date(2027, 3, 1), 3)  # provisional → alert
    db.session.commit()
    html = admin_client.get("/admin/calendar?year=2025&lang=en").get_data(as_text=True)
    assert "Make-up working day" in html and "Holiday" in html  # legend
    assert "2025-10-11 Make-up working day" in html  # 调休 Saturday coloured as make-up
    assert "2025-10-01 Holiday" in html
    assert "The 2027 working-day schedule is not loaded" in html
    assert 'name="csrf_token"' in html


def test_R4_calendar_page_loads_pasted_json(admin_client):
    page = admin_client.get("/admin/calendar?year=2027").get_data(as_text=True)
    body = {"days": [{"date": "2027-01-01", "workday": False, "note": "元旦"}]}
    resp = admin_client.post(
        "/admin/calendar/2027", data={"csrf_token": csrf_from(page), "json": json.dumps(body)}
    )
    assert resp.status_code == 302
    assert workdays.year_known(2027) and not workdays.is_workday(date(2027, 1, 1))


def test_R4_calendar_page_keeps_bad_input_and_answers_422(admin_client):
    page = admin_client.get("/admin/calendar?year=2027").get_data(as_text=True)
    bad = '{"days": [{"date": "2026-01-01", "workday": false}]}'
    resp = admin_client.post(
        "/admin/calendar/2027", data={"csrf_token": csrf_from(page), "json": bad}
    )
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "days.0.date" in html and "2026-01-01" in html
    assert not workdays.year_known(2027)


def test_R4_calendar_page_needs_a_login(client):
    assert client.get("/admin/calendar").status_code == 302  # to the login page


def test_R4_calendar_page_needs_an_administrator(client, make_user, login):
    login(client, make_user(roles=["handler"]))
    assert client.get("/admin/calendar").status_code == 403


def test_R27_attainment_page_records_a_region(admin_client):
    page = admin_client.get("/admin/attainment?year=2025").get_data(as_text=True)
    resp = admin_client.post(
        "/admin/attainment",
        data={"csrf_token": csrf_from(page), "region_code": "330106", "year": "2025", "water": "1"},
    )
    assert resp.status_code == 302
    row = policy.attainment(region_code="330106", year=2025)
    assert (row.air, row.water) == (False, True)
    html = admin_client.get("/admin/attainment?year=2025").get_data(as_text=True)
    assert "西湖区" in html
    resp = admin_client.post(
        "/admin/attainment",
        data={"csrf_token": csrf_from(page), "region_code": "999999", "year": "2025"},
    )
    assert resp.status_code == 422
