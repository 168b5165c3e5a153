"""R37 no double sale: several trades for the same reserve's last tonnes are settled at once from
separate processes (each its own app instance, as gunicorn workers would be); exactly one gets the
rights, the others a 409 naming R37, and `flask erflow ledger-check` finds 0 differences.
The race runs in the PostgreSQL stage (ERFLOW_TEST_DB=postgres); on SQLite the second of two
settlements of the same tonnes is refused the same way."""
from __future__ import annotations

import multiprocessing

import pytest

from app.ledger import services as ledger
from tests.acceptance import trade_http
from tests.acceptance.trade_http import CHANGAN, PASSWORD
from tests.db import test_db_kind

http = trade_http.http  # the fixture
RACERS = 6


def _settle(url: str, task_id: str, barrier, results) -> None:
    """One web process: its own app and connection pool, confirming one trade's settlement."""
    from app import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test",
                      "ERFLOW_TEST_CLOCK": True})
    client = app.test_client()
    with app.app_context():
        token = client.post("/api/v1/auth/token",
                            json={"username": "h_ca", "password": PASSWORD}).get_json()["token"]
        barrier.wait(timeout=60)
        resp = client.post(f"/api/v1/tasks/{task_id}/complete",
                           headers={"Authorization": f"Bearer {token}"},
                           json={"data": {"settlement_reference": task_id[:8]}})
        body = resp.get_json() or {}
        results.put((resp.status_code, (body.get("error") or {}).get("rule")))


@pytest.mark.skipif(test_db_kind() != "postgres",
                    reason="several writer processes need PostgreSQL (ERFLOW_TEST_DB=postgres); "
                           "SQLite serialises writers and refuses lock upgrades instead")
def test_R37_racing_settlements_sell_the_last_tonnes_once(http, app, database_url):
    http.lot(f"reserve:{CHANGAN}", "SO2", "0.5000")
    tasks = []
    for _ in range(RACERS):
        _, unit = http.enterprise(CHANGAN)
        iid = http.start(unit, f"reserve:{CHANGAN}", {"SO2": "0.5000"}, "5000.00")["id"]
        http.do(unit, "sign_contract", {"contract_decision": "sign"}, iid=iid)
        tasks.append([t for t in http.todo("h_ca", "confirm_settlement")
                      if t["instance_id"] == iid][0]["id"])
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(RACERS), ctx.Queue()
    procs = [ctx.Process(target=_settle, args=(database_url, t, barrier, results))
             for t in tasks]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert sorted(outcomes) == [(200, None)] + [(409, "R37")] * (RACERS - 1), outcomes

    assert ledger.balances(f"reserve:{CHANGAN}") == {"SO2": 0}
    assert ledger.ledger_check() == []
    result = app.test_cli_runner().invoke(args=["erflow", "ledger-check"])
    assert result.exit_code == 0 and "0 differences" in result.output


def test_R37_second_settlement_of_the_same_tonnes_is_refused(http, app):
    http.lot(f"reserve:{CHANGAN}", "SO2", "0.5000")
    ids = []
    for _ in range(2):
        _, unit = http.enterprise(CHANGAN)
        iid = http.start(unit, f"reserve:{CHANGAN}", {"SO2": "0.5000"}, "5000.00")["id"]
        http.do(unit, "sign_contract", {"contract_decision": "sign"}, iid=iid)
        ids.append(iid)
    http.do("h_ca", "confirm_settlement", {"settlement_reference": "A"}, iid=ids[0])
    err = http.do("h_ca", "confirm_settlement", {"settlement_reference": "B"}, iid=ids[1],
                  expect=409)["error"]
    assert err["rule"] == "R37"
    assert http.active(ids[1]) == ["confirm_settlement"]  # nothing happened; still open
    result = app.test_cli_runner().invoke(args=["erflow", "ledger-check"])
    assert result.exit_code == 0 and "0 differences" in result.output
