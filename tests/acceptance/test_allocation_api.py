"""Initial allocation end to end over HTTP only (API.md), with the test clock (R6, R10–R16):
no objection; an objection with evidence decided in time; an overdue review escalated and still
decidable; a late objection refused (R12); the allocating level by the R11 table; a unit without a
permit refused (R10); the fee of a part year to the fen (R15); an unpaid notice blocking a later
start (R16); windows and deadlines across the 2025 National Day and 2026 Spring Festival."""
from __future__ import annotations

import base64

import pytest

from tests.acceptance.harness import ApiHarness

STAFF = (  # username, role, region: 西湖区, 杭州市 and 浙江省 bureaus
    ("h_xihu", "handler", "330106"), ("a_xihu", "approver", "330106"),
    ("r_xihu", "reviewer", "330106"), ("h_hz", "handler", "330100"),
    ("a_hz", "approver", "330100"), ("h_zj", "handler", "330000"),
    ("a_zj", "approver", "330000"),
)
LEASE_BPMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d_lease"
    targetNamespace="http://erflow.local/test">
  <bpmn:process id="lease" name="Lease (test stub)" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e" />
    <bpmn:endEvent id="e"><bpmn:incoming>f</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""


class Http(ApiHarness):
    def publish(self, ent, amounts, handler="h_xihu", approver="a_xihu"):
        inst = self.call("POST", "/processes/allocation/instances", self.token(handler),
                         expect=201, json={"data": {"enterprise_id": ent,
                                                    "amounts": amounts}})
        draft = [t for t in inst["active_tasks"] if t["name"] == "draft"][0]
        self.call("POST", f"/tasks/{draft['id']}/complete", self.token(handler),
                  json={"data": {"amounts": inst["data"]["amounts"], "opinion": "拟定"}})
        step = self.todo(self.token(approver), "approve")[0]
        return self.call("POST", f"/tasks/{step['id']}/complete", self.token(approver),
                         json={"data": {"decision": "approve", "opinion": "同意公示"}})


@pytest.fixture
def http(client, make_region_tree):
    make_region_tree()
    h = Http(client, serial=7000, label="验收排污单位", tag="ACC")
    h.staff(STAFF)
    h.deploy("allocation")
    return h


def test_R6_R14_R15_allocation_without_objection(http):
    ent, unit = http.enterprise()
    http.clock("2025-09-16T09:00:00+08:00")
    inst = http.publish(ent, {"COD": "12.5", "SO2": "3.2"})
    iid, data = inst["id"], inst["data"]
    assert set(data) == {"enterprise_id", "amounts", "allocating_level", "published_at",
                         "window_closes_at", "objection", "final_amounts", "fee_notice"}
    assert data["allocating_level"] == "county" and data["objection"] is None
    # R6: day 15 is 10-01 (National Day) → the window closes 24:00 of the workday 10-09
    assert data["window_closes_at"] == "2025-10-10T00:00:00+08:00"
    pubs = http.call("GET", "/public/publications")["items"]
    assert [p["instance_id"] for p in pubs] == [iid]

    http.clock("2025-10-09T23:59:00+08:00")
    assert http.run_due() == 0
    http.clock("2025-10-10T00:00:00+08:00")
    assert http.run_due() == 1
    final = http.call("GET", f"/instances/{iid}", unit)
    assert final["status"] == "completed", final
    assert final["data"]["final_amounts"] == {"COD": "12.5000", "SO2": "3.2000"}
    assert http.call("GET", "/public/publications")["items"] == []

    # R14, R37: lots valid to the end of the five-year period
    holdings = http.call("GET", f"/enterprises/{ent}/holdings", unit)
    assert holdings["balances"] == {"COD": "12.5000", "SO2": "3.2000"}
    assert {(lot["valid_from"], lot["valid_to"]) for lot in holdings["lots"]} == {
        ("2026-01-01", "2030-12-31")}

    # R15: five whole years: 12.5 × 4000 × 5 + 3.2 × 1000 × 5
    fee = final["data"]["fee_notice"]
    assert fee["amount"] == "266000.00" and fee["status"] == "unpaid"
    notices = http.call("GET", "/fee-notices", unit, query_string={"enterprise_id": ent})
    assert notices["total"] == 1
    notice = notices["items"][0]
    assert notice["number"] == fee["number"] and notice["bureau_name"]
    assert notice["due_at"] == "2025-11-11T00:00:00+08:00"  # 30 days from 10-10 → Mon 11-10
    assert notice["issue_due_at"] == "2025-10-24T00:00:00+08:00"  # R15: 10 working days
    http.call("POST", f"/fee-notices/{notice['id']}/payment", unit, expect=403, json={})
    paid = http.call("POST", f"/fee-notices/{notice['id']}/payment", "h_xihu",
                     json={"reference": "税票 330106-0001"})
    assert paid["status"] == "paid"
    http.call("POST", f"/fee-notices/{notice['id']}/payment", "h_xihu", expect=409,
              json={})
    assert http.call("GET", f"/instances/{iid}", unit)["data"]["fee_notice"]["status"] == "paid"


def test_R12_R13_objection_with_evidence_decided_in_time(http):
    ent, unit = http.enterprise()
    http.clock("2025-09-16T09:00:00+08:00")
    iid = http.publish(ent, {"COD": "12.5", "SO2": "3.2"})["id"]
    http.clock("2025-09-29T10:00:00+08:00")
    pdf = base64.b64encode(b"%PDF-1.4 evidence").decode()
    http.call("POST", f"/instances/{iid}/attachments", unit, expect=422,
              json={"filename": "x.exe", "content_base64": pdf})
    http.call("POST", f"/instances/{iid}/attachments", unit, expect=422,
              json={"filename": "fake.pdf", "content_base64": base64.b64encode(b"MZ").decode()})
    att = http.call("POST", f"/instances/{iid}/attachments", unit, expect=201,
                    json={"filename": "产能核查报告.pdf", "content_base64": pdf})
    assert att["size"] == 17 and len(att["sha256"]) == 64
    http.call("POST", f"/instances/{iid}/messages/objection", unit, expect=422,
              json={"data": {"reason": " "}})
    inst = http.call("POST", f"/instances/{iid}/messages/objection", unit, expect=202,
                     json={"data": {"reason": "COD 产能数据有误", "attachments": [att["id"]]}})
    objection = inst["data"]["objection"]
    # R5: received Mon 9-29 → 10 working days end 24:00 Mon 10-20 (incl. make-up Sat 10-11)
    assert objection["received_at"].startswith("2025-09-29")
    assert objection["due_at"] == "2025-10-21T00:00:00+08:00"
    assert objection["attachments"][0]["sha256"] == att["sha256"]
    again = http.call("POST", f"/instances/{iid}/messages/objection", unit, expect=409,
                      json={"data": {"reason": "再次"}})
    assert again["error"]["rule"] == "R12"

    reviewer = "r_xihu"
    review = http.todo(reviewer, "review_objection")[0]
    assert review["due_at"] == "2025-10-21T00:00:00+08:00" and review["light"] == "green"
    http.call("POST", f"/tasks/{review['id']}/complete", reviewer, expect=422,
              json={"data": {"decision": "revise", "opinion": "调整"}})  # amounts required
    http.clock("2025-10-15T10:00:00+08:00")
    http.call("POST", f"/tasks/{review['id']}/complete", reviewer, json={"data": {
        "decision": "revise", "amounts": {"COD": "13.0000", "SO2": "3.2000"},
        "opinion": "经核实，调整 COD 核定量"}})
    inst = http.call("GET", f"/instances/{iid}", unit)
    assert inst["status"] == "completed"  # the window closed on 10-09: final at once (R14)
    assert inst["data"]["objection"]["decision"] == "revise"
    assert inst["data"]["final_amounts"] == {"COD": "13.0000", "SO2": "3.2000"}
    told = [e for e in inst["history"] if e["action"] == "enterprise_notified"]
    assert told and told[0]["detail"]["opinion"] == "经核实，调整 COD 核定量"
    holdings = http.call("GET", f"/enterprises/{ent}/holdings", unit)
    assert holdings["balances"]["COD"] == "13.0000"


def test_R13_overdue_review_escalates_and_stays_decidable(http):
    ent, unit = http.enterprise()
    http.clock("2025-09-16T09:00:00+08:00")
    iid = http.publish(ent, {"COD": "12.5"})["id"]
    http.clock("2025-09-29T10:00:00+08:00")
    http.call("POST", f"/instances/{iid}/messages/objection", unit, expect=202,
              json={"data": {"reason": "偏少"}})
    http.clock("2025-10-10T09:00:00+08:00")  # the window has closed, the review is still open
    http.run_due()
    assert http.call("GET", f"/instances/{iid}", unit)["status"] == "running"
    http.clock("2025-10-21T08:30:00+08:00")  # R13: 24:00 of 10-20 has passed
    assert http.run_due() >= 1
    reviewer, approver = "r_xihu", "a_xihu"
    overdue = http.call("GET", "/tasks", reviewer, query_string={"overdue": "true"})["items"]
    assert [(t["name"], t["light"]) for t in overdue] == [("review_objection", "red")]
    escalated = http.todo(approver, "review_objection")
    assert escalated, "the escalated review reaches the approver"
    inst = http.call("GET", f"/instances/{iid}", unit)
    assert "escalated" in [e["action"] for e in inst["history"]]
    http.call("POST", f"/tasks/{escalated[0]['id']}/complete", approver,
              json={"data": {"decision": "uphold", "opinion": "维持原核定量"}})
    inst = http.call("GET", f"/instances/{iid}", unit)
    assert inst["status"] == "completed" and inst["data"]["final_amounts"] == {"COD": "12.5000"}


def test_R12_objection_one_minute_after_close_is_refused(http):
    ent, unit = http.enterprise()
    http.clock("2025-09-16T09:00:00+08:00")
    iid = http.publish(ent, {"COD": "12.5"})["id"]
    http.clock("2025-10-10T00:01:00+08:00")
    late = http.call("POST", f"/instances/{iid}/messages/objection", unit, expect=409,
                     json={"data": {"reason": "晚了"}})
    assert late["error"]["rule"] == "R12"
    assert "2025-10-09 24:00" in late["error"]["message"]


def test_R11_coal_power_300MW_province_and_299_9MW_city(http):
    big, _ = http.enterprise(industry="火电", capacity_mw="300.0")
    small, _ = http.enterprise(industry="火电", capacity_mw="299.9")
    http.clock("2025-09-16T09:00:00+08:00")
    http.call("POST", "/processes/allocation/instances", "h_xihu", expect=403,
              json={"data": {"enterprise_id": big, "amounts": {"SO2": "100"}}})
    inst = http.call("POST", "/processes/allocation/instances", "h_zj", expect=201,
                     json={"data": {"enterprise_id": big, "amounts": {"SO2": "100"}}})
    assert inst["data"]["allocating_level"] == "province"
    assert [(t["name"], t["region_code"]) for t in inst["active_tasks"]] == [("draft", "330000")]
    inst = http.call("POST", "/processes/allocation/instances", "h_hz", expect=201,
                     json={"data": {"enterprise_id": small, "amounts": {"SO2": "90"}}})
    assert inst["data"]["allocating_level"] == "city"
    assert [(t["name"], t["region_code"]) for t in inst["active_tasks"]] == [("draft", "330100")]


def test_R10_unit_without_permit_is_refused(http):
    http.clock("2025-09-16T09:00:00+08:00")
    none, _ = http.enterprise(permit_class="none")
    refused = http.call("POST", "/processes/allocation/instances", "h_xihu",
                        expect=422, json={"data": {"enterprise_id": none,
                                                   "amounts": {"COD": "1"}}})
    assert refused["error"]["rule"] == "R10" and "排污许可证" in refused["error"]["message"]
    registered, _ = http.enterprise(permit_class="registered", permit_no="REG-0001")
    refused = http.call("POST", "/processes/allocation/instances", "h_xihu",
                        expect=422, json={"data": {"enterprise_id": registered,
                                                   "amounts": {"COD": "1"}}})
    assert refused["error"]["rule"] == "R10"
    http.call("POST", "/admin/lots", http.root, expect=201, json={
        "owner": str(registered), "pollutant": "COD", "tonnes": "0.5000",
        "valid_from": "2021-01-01", "valid_to": "2025-12-31", "acquisition": "paid"})
    http.call("POST", "/processes/allocation/instances", "h_xihu", expect=201,
              json={"data": {"enterprise_id": registered, "amounts": {"COD": "1"}}})


def test_R15_part_year_fee_to_the_fen(http):
    ent, unit = http.enterprise()
    http.clock("2026-03-02T09:00:00+08:00")
    iid = http.publish(ent, {"COD": "1.2345"})["id"]
    http.clock("2026-03-18T08:00:00+08:00")  # window closed 24:00 of Tue 03-17
    assert http.run_due() == 1
    notice = http.call("GET", "/fee-notices", unit)["items"][0]
    # 2026-03-18 … 2030-12-31: 289 days of 2026 + 4 whole years
    # 1.2345 t × 4000 × (4 + 289/365) = 23661.8136… → 23661.81
    assert (notice["valid_from"], notice["valid_to"]) == ("2026-03-18", "2030-12-31")
    assert notice["lines"][0]["part_days"] == 289 and notice["lines"][0]["full_years"] == 4
    assert notice["amount"] == "23661.81"
    assert http.call("GET", f"/instances/{iid}", unit)["data"]["fee_notice"]["amount"] == \
        "23661.81"


def test_R16_unpaid_notice_past_its_deadline_blocks_a_later_start(http):
    http.call("POST", "/processes/lease/versions", http.root, expect=201, data=LEASE_BPMN,
              headers={"Content-Type": "application/xml"})
    ent, unit = http.enterprise()
    lessee, _ = http.enterprise()
    lease = {"lessee": lessee, "amounts": {"COD": "1"}, "starts_on": "2026-03-01",
             "ends_on": "2026-06-30"}  # a valid lease (R31): only R16 may refuse it
    http.clock("2025-09-16T09:00:00+08:00")
    http.publish(ent, {"COD": "2"})
    http.clock("2025-10-10T09:00:00+08:00")
    http.run_due()
    notice = http.call("GET", "/fee-notices", unit)["items"][0]
    http.clock("2025-11-10T23:59:00+08:00")  # last minute of the payment term: not yet blocked
    http.call("POST", "/processes/lease/instances", unit, expect=201, json={"data": lease})
    http.clock("2025-11-11T00:00:00+08:00")
    refused = http.call("POST", "/processes/lease/instances", unit, expect=422,
                        json={"data": lease})
    assert refused["error"]["rule"] == "R16"
    assert notice["number"] in refused["error"]["message"]
    assert http.call("GET", "/fee-notices", unit)["items"][0]["overdue"] is True
    http.call("POST", f"/fee-notices/{notice['id']}/payment", "a_xihu",
              json={"paid_at": "2025-11-11T00:00:00+08:00"})
    http.call("POST", "/processes/lease/instances", unit, expect=201, json={"data": lease})


def test_R5_R6_window_and_review_across_2026_spring_festival(http):
    ent, unit = http.enterprise()
    http.clock("2026-02-03T09:00:00+08:00")
    inst = http.publish(ent, {"NH3-N": "0.8000"})
    # R6: day 15 is 02-18, inside the Spring Festival holiday (02-15…02-23) → 24:00 of 02-24
    assert inst["data"]["window_closes_at"] == "2026-02-25T00:00:00+08:00"
    http.clock("2026-02-13T16:00:00+08:00")
    inst = http.call("POST", f"/instances/{inst['id']}/messages/objection", unit, expect=202,
                     json={"data": {"reason": "氨氮核定偏少"}})
    # R5: from 02-14 (make-up Saturday) 1, 02-24…27 5, 02-28 (make-up) 6, 03-02…05 10
    assert inst["data"]["objection"]["due_at"] == "2026-03-06T00:00:00+08:00"


def test_R1_R2_start_amounts_are_refused_naming_the_rule(http):
    """The start form's schema leaves amounts to the allocation's own checks, so API clients get
    field messages naming the rule: more than four decimals (R1), a pollutant not listed (R2)."""
    ent, _ = http.enterprise()
    for amounts, rule in (({"COD": "1.23456"}, "R1"), ({"PM25": "1.0"}, "R2")):
        body = http.call("POST", "/processes/allocation/instances", http.token("h_xihu"),
                         expect=422, json={"data": {"enterprise_id": ent, "amounts": amounts}})
        field = f"amounts.{next(iter(amounts))}"
        assert body["error"]["fields"][field][0].startswith(f"{rule}："), body
