"""R37 no double sale: several trades for the same seller's last tonnes — a reserve's, and a unit's
surplus — are settled at once from separate processes (each its own app instance, as gunicorn
workers would be); exactly one gets the rights, the others a 409 naming R37, and their trades end
cleanly (outcome `rights_unavailable`, deposit refunded, the buyer notified, R27a); `flask erflow
ledger-check` finds 0 differences. The races run in the PostgreSQL stage (ERFLOW_TEST_DB=postgres);
on SQLite the second of two settlements of the same tonnes is refused and ended the same way."""
from __future__ import annotations

import multiprocessing

import pytest
from sqlalchemy import select

from app.extensions import db
from app.ledger import services as ledger
from app.notifications.models import Notification
from tests.acceptance import trade_http
from tests.acceptance.trade_http import CHANGAN, PASSWORD
from tests.db import test_db_kind

http = trade_http.http  # the fixture
RACERS = 6
needs_postgres = pytest.mark.skipif(
    test_db_kind() != "postgres",
    reason="several writer processes need PostgreSQL (ERFLOW_TEST_DB=postgres); SQLite "
           "serialises writers and refuses lock upgrades instead")


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
        results.put((task_id, resp.status_code, (body.get("error") or {}).get("rule")))


def _race(database_url: str, tasks: dict[str, int]) -> dict[int, tuple[int, str | None]]:
    """Settle every task at once from its own process: instance id → (status, rule)."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(len(tasks)), ctx.Queue()
    procs = [ctx.Process(target=_settle, args=(database_url, t, barrier, results))
             for t in tasks]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    return {tasks[task]: (status, rule) for task, status, rule in outcomes}


def _settlement_task(h, iid: int) -> str:
    return [t for t in h.todo("h_ca", "confirm_settlement") if t["instance_id"] == iid][0]["id"]


def _reserve_trade(h) -> int:
    """A green-channel purchase of 0.5 t SO2 from 长安区's reserve, signed (R29: no deposit)."""
    _, unit = h.enterprise(CHANGAN)
    iid = h.start(unit, f"reserve:{CHANGAN}", {"SO2": "0.5000"}, "5000.00")["id"]
    h.do(unit, "sign_contract", {"contract_decision": "sign"}, iid=iid)
    return iid


def _surplus_trade(h, seller: int) -> int:
    """A purchase of 1 t SO2 of `seller`'s surplus by agreement: certified (R19), reviewed,
    deposit paid (R27a), contract signed — waiting for its settlement."""
    _, unit = h.enterprise(CHANGAN)
    iid = h.start(unit, seller, {"SO2": "1.0000"}, "6000.00")["id"]
    h.do("h_ca", "certify", {"certify_decision": "certified", "opinion": "可交易"}, iid=iid)
    h.do("r_ca", "subject_review", {"review_decision": "approved", "opinion": "符合"}, iid=iid)
    h.do("h_ca", "confirm_deposit", {"deposit_reference": f"BZJ-{iid}"}, iid=iid)
    h.do(unit, "sign_contract", {"contract_decision": "sign"}, iid=iid)
    return iid


def _assert_ended_for_lack_of_rights(h, iid: int, *, deposit: bool) -> None:
    """R37: the loser's trade has ended with the refusal on record, the deposit back (R27a) and
    its buyer told."""
    inst = h.call("GET", f"/instances/{iid}", "h_ca")
    data = inst["data"]
    assert inst["status"] == "completed" and inst["active_tasks"] == []
    assert data["outcome"] == "rights_unavailable" and data["certificate"] is None
    assert data["end_reason"]["rule"] == "R37" and "不可交易" in data["end_reason"]["message"]
    assert any(e["action"] == "refused" for e in inst["history"])
    if deposit:
        assert data["deposit"]["status"] == "refunded"
    buyer_users = db.session.scalars(select(Notification.title).where(
        Notification.ref == f"trade:{iid}:ended")).all()
    assert buyer_users and all("交易已终止" in t for t in buyer_users)


def _assert_ledger_clean(app) -> None:
    assert ledger.ledger_check() == []
    result = app.test_cli_runner().invoke(args=["erflow", "ledger-check"])
    assert result.exit_code == 0 and "0 differences" in result.output


@needs_postgres
def test_R37_racing_settlements_sell_the_last_tonnes_once(http, app, database_url):
    http.lot(f"reserve:{CHANGAN}", "SO2", "0.5000")
    ids = [_reserve_trade(http) for _ in range(RACERS)]
    outcomes = _race(database_url, {_settlement_task(http, iid): iid for iid in ids})
    assert sorted(outcomes.values()) == [(200, None)] + [(409, "R37")] * (RACERS - 1), outcomes

    db.session.expire_all()
    for iid, (status, _rule) in outcomes.items():
        if status == 409:
            _assert_ended_for_lack_of_rights(http, iid, deposit=False)
    assert ledger.balances(f"reserve:{CHANGAN}") == {"SO2": 0}
    _assert_ledger_clean(app)


@needs_postgres
def test_R37_R27a_racing_settlements_of_a_units_last_surplus_end_the_losers_refunded(
        http, app, database_url):
    seller, _ = http.enterprise(CHANGAN)
    http.lot(seller, "SO2", "1.0000")
    ids = [_surplus_trade(http, seller) for _ in range(RACERS)]
    outcomes = _race(database_url, {_settlement_task(http, iid): iid for iid in ids})
    assert sorted(outcomes.values()) == [(200, None)] + [(409, "R37")] * (RACERS - 1), outcomes

    db.session.expire_all()
    (winner,) = [iid for iid, (status, _) in outcomes.items() if status == 200]
    data = http.call("GET", f"/instances/{winner}", "h_ca")["data"]
    assert data["certificate"] and data["deposit"]["status"] == "applied"
    for iid in ids:
        if iid != winner:
            _assert_ended_for_lack_of_rights(http, iid, deposit=True)
    assert ledger.balances(f"enterprise:{seller}").get("SO2", 0) == 0
    assert ledger.balances(f"enterprise:{data['buyer_id']}") == {"SO2": 1}
    _assert_ledger_clean(app)


def test_R37_second_settlement_of_the_same_tonnes_is_refused_and_ends_the_trade(http, app):
    http.lot(f"reserve:{CHANGAN}", "SO2", "0.5000")
    ids = [_reserve_trade(http) for _ in range(2)]
    http.do("h_ca", "confirm_settlement", {"settlement_reference": "A"}, iid=ids[0])
    err = http.do("h_ca", "confirm_settlement", {"settlement_reference": "B"}, iid=ids[1],
                  expect=409)["error"]
    assert err["rule"] == "R37"
    _assert_ended_for_lack_of_rights(http, ids[1], deposit=False)  # not stuck at 409 forever
    assert ledger.balances(f"reserve:{CHANGAN}") == {"SO2": 0}
    _assert_ledger_clean(app)
