"""Ledger API: POST /admin/lots (R1, R2), holdings and reserves by jurisdiction, R27 data."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.common import clock
from app.extensions import db
from app.ledger import services
from tests.ledger import helpers as h


@pytest.fixture
def world(app, make_enterprise, make_user, api_token):
    clock.set_now(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    ent = make_enterprise(region_code=h.XH)
    other = make_enterprise(region_code=h.NB_HS)

    def headers(roles, **kw):
        return api_token(make_user(roles=roles, **kw))

    return {"ent": ent, "other": other, "admin": headers(["admin"]), "headers": headers}


def _lot_body(owner, **kw):
    body = {"owner": owner, "pollutant": "COD", "tonnes": "12.5000", "valid_from": "2026-01-01",
            "valid_to": "2030-12-31", "acquisition": "paid"}
    body.update(kw)
    return body


def test_R37_admin_registers_a_lot_and_holdings_show_it(client, world):
    ent = world["ent"]
    resp = client.post("/api/v1/admin/lots", json=_lot_body(str(ent.id)), headers=world["admin"])
    assert resp.status_code == 201, resp.get_json()
    lot = resp.get_json()
    assert lot["id"] and lot["tonnes"] == "12.5000" and lot["acquisition"] == "paid"
    client.post("/api/v1/admin/lots", json=_lot_body(ent.id, pollutant="SO2", tonnes="3.2"),
                headers=world["admin"])
    resp = client.get(f"/api/v1/enterprises/{ent.id}/holdings", headers=world["admin"])
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["balances"] == {"COD": "12.5000", "SO2": "3.2000"}
    assert {x["pollutant"] for x in body["lots"]} == {"COD", "SO2"}
    first = next(x for x in body["lots"] if x["pollutant"] == "COD")
    assert set(first) >= {"id", "pollutant", "tonnes", "valid_from", "valid_to", "acquisition",
                          "certificate"}
    assert first["valid_from"] == "2026-01-01" and first["certificate"] is None
    assert services.ledger_check() == []


def test_R37_reserve_lot_and_reserve_balances(client, world):
    resp = client.post("/api/v1/admin/lots", json=_lot_body(f"reserve:{h.HZ}", acquisition="free"),
                       headers=world["admin"])
    assert resp.status_code == 201
    resp = client.get(f"/api/v1/reserves/{h.HZ}", headers=world["admin"])
    assert resp.status_code == 200
    assert resp.get_json()["balances"] == {"COD": "12.5000"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tonnes": "1.00001"}, "tonnes"),  # R1
        ({"tonnes": "abc"}, "tonnes"),
        ({"tonnes": "-1"}, "tonnes"),
        ({"pollutant": "VOCs"}, "pollutant"),  # R2: pilot, not switched on
        ({"pollutant": "PM2.5"}, "pollutant"),  # R2
        ({"valid_to": "2025-12-31"}, "valid_to"),
        ({"owner": "999999"}, "owner"),
        ({"owner": "reserve:999999"}, "owner"),
        ({"acquisition": "stolen"}, "acquisition"),
        ({"valid_from": "2026-13-01"}, "valid_from"),
    ],
)
def test_R1_R2_lot_validation_answers_422_with_fields(client, world, change, field):
    body = {**_lot_body(str(world["ent"].id)), **change}
    resp = client.post("/api/v1/admin/lots", json=body, headers=world["admin"])
    assert resp.status_code == 422, resp.get_json()
    assert field in resp.get_json()["error"]["fields"]


def test_R2_pilot_pollutant_accepted_where_switched_on(client, world):
    from app.ledger import policy

    policy.set_pilot_pollutant(region_code=h.ZJ, pollutant="TP", enabled=True)
    db.session.commit()
    body = _lot_body(str(world["ent"].id), pollutant="TP")
    assert client.post("/api/v1/admin/lots", json=body, headers=world["admin"]).status_code == 201


def test_lots_api_is_for_administrators_only(client, world):
    body = _lot_body(str(world["ent"].id))
    assert client.post("/api/v1/admin/lots", json=body).status_code == 401
    handler = world["headers"](["handler"], region_code=h.ZJ)
    assert client.post("/api/v1/admin/lots", json=body, headers=handler).status_code == 403


def test_holdings_jurisdiction(client, world):
    ent, other = world["ent"], world["other"]
    url = f"/api/v1/enterprises/{ent.id}/holdings"
    own = world["headers"](["enterprise"], enterprise=ent)
    stranger = world["headers"](["enterprise"], enterprise=other)
    county = world["headers"](["handler"], region_code=h.XH)
    city = world["headers"](["reviewer"], region_code=h.HZ)
    province = world["headers"](["approver"], region_code=h.ZJ)
    elsewhere = world["headers"](["handler"], region_code=h.NB)
    for headers in (own, county, city, province, world["admin"]):
        assert client.get(url, headers=headers).status_code == 200
    for headers in (stranger, elsewhere):
        assert client.get(url, headers=headers).status_code == 403
    assert client.get(url).status_code == 401
    assert client.get("/api/v1/enterprises/424242/holdings", headers=own).status_code == 404


def test_reserve_jurisdiction(client, world):
    url = f"/api/v1/reserves/{h.HZ}"

    def status(region):
        headers = world["headers"](["handler"], region_code=region)
        return client.get(url, headers=headers).status_code

    assert (status(h.HZ), status(h.ZJ), status(h.XH)) == (200, 200, 403)
    ent_user = world["headers"](["enterprise"], enterprise=world["ent"])
    assert client.get(url, headers=ent_user).status_code == 403
    assert client.get("/api/v1/reserves/999999", headers=world["admin"]).status_code == 404


def test_R27_attainment_put_and_get(client, world):
    url = f"/api/v1/admin/attainment/{h.XH}/2025"
    resp = client.put(url, json={"air": False, "water": True}, headers=world["admin"])
    assert resp.status_code == 200
    body = resp.get_json()
    assert (body["region_code"], body["year"], body["air"], body["water"]) == (h.XH, 2025, False,
                                                                               True)
    resp = client.put(url, json={"air": True, "water": True}, headers=world["admin"])
    assert resp.get_json()["air"] is True
    assert client.get(url, headers=world["admin"]).get_json()["air"] is True
    assert client.put(url, json={"air": True}, headers=world["admin"]).status_code == 422
    assert client.put("/api/v1/admin/attainment/999999/2025", json={"air": True, "water": True},
                      headers=world["admin"]).status_code == 404
    handler = world["headers"](["handler"], region_code=h.XH)
    assert client.put(url, json={"air": True, "water": True}, headers=handler).status_code == 403


def test_R37_ledger_check_command_reports_zero_differences(app, world):
    services.register_lot(owner=world["ent"].id, pollutant="COD", tonnes="1", acquisition="paid",
                          valid_from=datetime(2026, 1, 1).date(),
                          valid_to=datetime(2030, 12, 31).date())
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["erflow", "ledger-check"])
    assert result.exit_code == 0, result.output
    assert "0 differences" in result.output
    from app.ledger.models import RightsLot

    db.session.execute(RightsLot.__table__.update().values(balance=7))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["erflow", "ledger-check"])
    assert result.exit_code == 1
    assert "1 differences" in result.output
