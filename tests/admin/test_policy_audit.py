"""Every change of policy data is audited with who and when (issue 5): the working-day calendar
(R4) and regions' attainment (R27), whether changed through the API or the admin pages."""
from __future__ import annotations

from app.common.audit import policy_audit


def test_R4_loading_a_calendar_year_is_audited(client, make_user, api_token):
    admin = make_user(roles=["admin"])
    resp = client.put("/api/v1/admin/calendar/2027", headers=api_token(admin), json={
        "days": [{"date": "2027-01-01", "workday": False, "note": "元旦"}]})
    assert resp.status_code == 200
    [row] = policy_audit("calendar")
    assert row.actor_id == admin.id and row.at is not None
    assert row.detail["year"] == 2027 and row.detail["new"] == {"days": 1}


def test_R27_attainment_changes_are_audited_with_old_and_new(client, make_user, api_token):
    admin = make_user(roles=["admin"])
    headers = api_token(admin)
    for air in (True, False):
        resp = client.put("/api/v1/admin/attainment/330106/2025", headers=headers,
                          json={"air": air, "water": True})
        assert resp.status_code == 200
    latest, first = policy_audit("region_attainment")
    assert first.detail["old"] is None and first.detail["new"] == {"air": True, "water": True}
    assert latest.detail["old"] == {"air": True, "water": True}
    assert latest.detail["new"] == {"air": False, "water": True}
    assert latest.actor_id == admin.id
