"""Leases end to end over HTTP with the test clock (R31, R32, R37): a lease from March to December
whose tonnes return at the end of its end date; a lease crossing a year refused; leased tonnes
refused as substitution; a cross-region lease approved by the common superior's bureau.
`ledger_check()` finds no difference after each."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.ledger.services import ledger_check
from tests.acceptance.harness import ApiHarness

STAFF = (  # username, role, region: 西湖区, 拱墅区, 杭州市 and 浙江省 bureaus
    ("h_xihu", "handler", "330106"), ("a_xihu", "approver", "330106"),
    ("h_gs", "handler", "330105"), ("a_gs", "approver", "330105"),
    ("h_hz", "handler", "330100"), ("a_hz", "approver", "330100"), ("r_hz", "reviewer", "330100"),
    ("h_zj", "handler", "330000"), ("a_zj", "approver", "330000"),
)
PROCESSES = ("cross_region_approval", "lease", "buyback", "recovery")  # called one first


class Http(ApiHarness):
    def holdings(self, ent) -> dict:
        return self.call("GET", f"/enterprises/{ent}/holdings", "root")

    def decide(self, who, name, decision="approve", opinion="同意"):
        task = self.todo(who, name)[0]
        return self.call("POST", f"/tasks/{task['id']}/complete", who,
                         json={"data": {"decision": decision, "opinion": opinion}})


@pytest.fixture
def http(client, make_region_tree):
    make_region_tree()
    h = Http(client, serial=8100, label="租赁验收单位", tag="LSE")
    h.staff(STAFF)
    h.deploy(*PROCESSES)
    return h


def assert_books_balance():
    assert ledger_check() == []  # R37


def test_R31_lease_march_to_december_returns_on_its_end_date(http):
    http.clock("2026-02-20T09:00:00+08:00")
    lessor, lessor_user = http.enterprise()
    lessee, lessee_user = http.enterprise()
    http.lot(lessor, tonnes="10")
    inst = http.call("POST", "/processes/lease/instances", lessor_user, expect=201, json={
        "data": {"lessee": lessee, "amounts": {"COD": "4"}, "starts_on": "2026-03-01",
                 "ends_on": "2026-12-31", "price_per_tonne": "800"}})
    data = inst["data"]
    assert data["cross_region"] is False and data["approving_region"] is None
    assert data["returns_at"] == "2027-01-01T00:00:00+08:00"
    http.decide("a_xihu", "approve")

    http.clock("2026-02-28T23:59:00+08:00")
    assert http.run_due() == 0
    assert http.holdings(lessor)["balances"] == {"COD": "10.0000"}
    http.clock("2026-03-01T00:00:00+08:00")
    assert http.run_due() == 1
    assert http.holdings(lessor)["balances"] == {"COD": "6.0000"}
    leased = http.holdings(lessee)
    assert leased["balances"] == {"COD": "4.0000"}
    [lot] = leased["lots"]
    assert lot["temporary"] is True and lot["acquisition"] == "lease"
    assert (lot["valid_from"], lot["valid_to"]) == ("2026-03-01", "2026-12-31")
    assert_books_balance()

    # the last minute of the end date: still the lessee's
    http.clock("2026-12-31T23:59:00+08:00")
    assert http.run_due() == 0
    assert http.holdings(lessee)["balances"] == {"COD": "4.0000"}
    http.clock("2027-01-01T00:00:00+08:00")
    assert http.run_due() == 1
    assert http.holdings(lessor)["balances"] == {"COD": "10.0000"}
    assert http.holdings(lessee)["balances"] == {}
    final = http.call("GET", f"/instances/{inst['id']}", lessor_user)
    assert final["status"] == "completed" and final["data"]["status"] == "returned"
    # R37: the ledger shows both moves, caused by this instance
    from sqlalchemy import select

    from app.ledger.models import LedgerEntry

    causes = db.session.scalars(select(LedgerEntry.cause).where(
        LedgerEntry.instance_id == inst["id"], LedgerEntry.account == f"enterprise:{lessor}")
        .order_by(LedgerEntry.id)).all()
    assert causes == ["lease", "return"]
    assert_books_balance()


def test_R31_lease_crossing_a_year_is_refused(http):
    http.clock("2026-02-20T09:00:00+08:00")
    lessor, lessor_user = http.enterprise()
    lessee, _ = http.enterprise()
    http.lot(lessor)
    refused = http.call("POST", "/processes/lease/instances", lessor_user, expect=422, json={
        "data": {"lessee": lessee, "amounts": {"COD": "1"}, "starts_on": "2026-11-01",
                 "ends_on": "2027-02-28"}})
    assert refused["error"]["rule"] == "R31"
    # more than the lessor holds: refused on the amount
    short = http.call("POST", "/processes/lease/instances", lessor_user, expect=422, json={
        "data": {"lessee": lessee, "amounts": {"COD": "11"}, "starts_on": "2026-03-01",
                 "ends_on": "2026-06-30"}})
    assert "amounts.COD" in short["error"]["fields"]
    assert_books_balance()


def test_R31_leased_tonnes_refused_as_substitution(http):
    http.clock("2026-02-20T09:00:00+08:00")
    lessor, lessor_user = http.enterprise()
    lessee, lessee_user = http.enterprise()
    http.lot(lessor, tonnes="10")
    http.lot(lessee, tonnes="1")
    http.call("POST", "/processes/lease/instances", lessor_user, expect=201, json={
        "data": {"lessee": lessee, "amounts": {"COD": "4"}, "starts_on": "2026-02-20",
                 "ends_on": "2026-08-31"}})
    http.decide("a_xihu", "approve")
    http.run_due()  # the term has begun: the tonnes move now (or already did on approval)
    assert http.holdings(lessee)["balances"] == {"COD": "5.0000"}
    ok = http.call("POST", "/substitution-checks", lessee_user,
                   json={"enterprise_id": lessee, "amounts": {"COD": "1"}})
    assert ok["ok"] is True and ok["own"] == {"COD": "1.0000"} and ok["leased"] == {
        "COD": "4.0000"}
    refused = http.call("POST", "/substitution-checks", lessee_user, expect=422,
                        json={"enterprise_id": lessee, "amounts": {"COD": "3"}})
    assert refused["error"]["rule"] == "R31"
    # leased-in rights cannot be leased on either
    other, _ = http.enterprise()
    sub = http.call("POST", "/processes/lease/instances", lessee_user, expect=422, json={
        "data": {"lessee": other, "amounts": {"COD": "3"}, "starts_on": "2026-03-01",
                 "ends_on": "2026-06-30"}})
    assert "amounts.COD" in sub["error"]["fields"]
    assert_books_balance()


def test_R32_cross_region_lease_is_approved_by_the_common_superior(http):
    http.clock("2026-02-20T09:00:00+08:00")
    lessor, lessor_user = http.enterprise()
    lessee, _ = http.enterprise(region_code="330105")
    http.lot(lessor, pollutant="SO2")
    inst = http.call("POST", "/processes/lease/instances", lessor_user, expect=201, json={
        "data": {"lessee": lessee, "amounts": {"SO2": "2"}, "starts_on": "2026-04-01",
                 "ends_on": "2026-09-30"}})
    assert inst["data"]["cross_region"] is True
    assert inst["data"]["approving_region"] == "330100"
    # neither county bureau decides it; the common superior (杭州市) does, as for trades (R26)
    assert http.todo("a_xihu", "approve") == [] and http.todo("a_gs", "approve") == []
    [task] = http.todo("r_hz", "approve_cross_region")
    assert task["region_code"] == "330100"
    http.call("POST", f"/tasks/{task['id']}/complete", "r_hz", json={
        "data": {"approval_decision": "approved", "opinion": "同意跨区域租赁"}})
    http.clock("2026-04-01T00:00:00+08:00")
    http.run_due()
    assert http.holdings(lessee)["balances"] == {"SO2": "2.0000"}
    assert http.holdings(lessor)["balances"] == {"SO2": "8.0000"}
    assert_books_balance()


def test_R32_cross_region_lease_refused_by_the_common_superior_moves_nothing(http):
    http.clock("2026-02-20T09:00:00+08:00")
    lessor, lessor_user = http.enterprise()
    lessee, _ = http.enterprise(region_code="330105")
    http.lot(lessor, pollutant="SO2")
    inst = http.call("POST", "/processes/lease/instances", lessor_user, expect=201, json={
        "data": {"lessee": lessee, "amounts": {"SO2": "2"}, "starts_on": "2026-04-01",
                 "ends_on": "2026-09-30"}})
    [task] = http.todo("r_hz", "approve_cross_region")
    http.call("POST", f"/tasks/{task['id']}/complete", "r_hz", json={
        "data": {"approval_decision": "rejected", "opinion": "不同意"}})
    done = http.call("GET", f"/instances/{inst['id']}", lessor_user)
    assert done["status"] == "completed" and done["data"]["approval_decision"] == "rejected"
    http.clock("2026-04-01T00:00:00+08:00")
    http.run_due()
    assert http.holdings(lessee)["balances"] == {}
    assert_books_balance()


def test_R32_R28_water_pollutant_lease_across_water_systems_is_refused(http):
    # 西湖区 (钱塘江) → 拱墅区 (运河): the call activity's R28 check refuses it
    http.clock("2026-02-20T09:00:00+08:00")
    lessor, lessor_user = http.enterprise()
    lessee, _ = http.enterprise(region_code="330105")
    http.lot(lessor)
    inst = http.call("POST", "/processes/lease/instances", lessor_user, expect=201, json={
        "data": {"lessee": lessee, "amounts": {"COD": "2"}, "starts_on": "2026-04-01",
                 "ends_on": "2026-09-30"}})
    assert inst["status"] == "completed"
    assert inst["data"]["approval_decision"] == "rejected"
    assert inst["data"]["cross_refusal"]["rule"] == "R28"
    http.clock("2026-04-01T00:00:00+08:00")
    assert http.run_due() == 0
    assert http.holdings(lessor)["balances"] == {"COD": "10.0000"}
    assert_books_balance()


def test_R31_refused_lease_moves_nothing(http):
    http.clock("2026-02-20T09:00:00+08:00")
    lessor, lessor_user = http.enterprise()
    lessee, _ = http.enterprise()
    http.lot(lessor)
    inst = http.call("POST", "/processes/lease/instances", lessor_user, expect=201, json={
        "data": {"lessee": lessee, "amounts": {"COD": "2"}, "starts_on": "2026-04-01",
                 "ends_on": "2026-09-30"}})
    http.decide("a_xihu", "approve", decision="refuse", opinion="不同意")
    assert http.call("GET", f"/instances/{inst['id']}", lessor_user)["status"] == "completed"
    http.clock("2026-04-01T00:00:00+08:00")
    assert http.run_due() == 0
    assert http.holdings(lessor)["balances"] == {"COD": "10.0000"}
    assert_books_balance()


def test_R31_lease_fails_on_record_when_the_lessor_no_longer_holds_the_tonnes(http):
    http.clock("2026-02-20T09:00:00+08:00")
    lessor, lessor_user = http.enterprise()
    lessee, _ = http.enterprise()
    http.lot(lessor, tonnes="3")
    inst = http.call("POST", "/processes/lease/instances", lessor_user, expect=201, json={
        "data": {"lessee": lessee, "amounts": {"COD": "3"}, "starts_on": "2026-04-01",
                 "ends_on": "2026-09-30"}})
    http.decide("a_xihu", "approve")
    # the county reserve takes 2 t before the term starts (a recovery of the paid rights)
    http.call("POST", "/processes/recovery/instances", "h_xihu", expect=201, json={
        "data": {"enterprise_id": lessor, "reason": "not_started", "amounts": {"COD": "2"}}})
    http.decide("a_xihu", "approve")
    http.clock("2026-04-01T00:00:00+08:00")
    assert http.run_due() == 1
    state = http.call("GET", f"/instances/{inst['id']}", lessor_user)
    assert state["status"] == "running" and state["data"]["status"] == "failed"
    assert "lease_failed" in [h["action"] for h in state["history"]]
    assert http.holdings(lessee)["balances"] == {}
    http.clock("2026-10-01T00:00:00+08:00")
    assert http.run_due() == 1
    assert http.call("GET", f"/instances/{inst['id']}", lessor_user)["status"] == "completed"
    assert http.holdings(lessor)["balances"] == {"COD": "1.0000"}
    assert_books_balance()
