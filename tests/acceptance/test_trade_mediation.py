"""Trade dispute mediation over HTTP (R25, with R5 counting and R7 jurisdiction): a party's
request starts the `mediation` process; its 调解 task reaches the handlers of the trade's handling
bureau with a working-day deadline and light; the outcome closes the request, shows on the trade
and notifies both parties. Only parties file, one mediation at a time, never after the trade ended;
nobody starts a mediation from the start list."""
from __future__ import annotations

from sqlalchemy import select

from app.auth.services import find_user
from app.extensions import db
from app.notifications.models import Notification
from tests.acceptance import trade_http
from tests.acceptance.trade_http import CHANGAN, SJZ, XIHU

http = trade_http.http  # the fixture

DUE = "2026-03-31T00:00:00+08:00"  # R5: 20 working days from Mon 03-02 end 24:00 Mon 03-30


def _transfer(h):
    seller, seller_user = h.enterprise(XIHU)
    buyer, unit = h.enterprise(XIHU)
    h.lot(seller, "COD", "5.0000")
    iid = h.start(unit, seller, {"COD": "1.0000"}, "5000.00")["id"]
    return iid, unit, seller_user


def _notified(username: str, ref: str) -> list[Notification]:
    user = find_user(username)
    return list(db.session.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.ref == ref)))


def test_R25_mediation_task_for_the_handling_bureau_outcome_on_trade_and_to_both_parties(
        http, client, login):
    iid, unit, seller_user = _transfer(http)
    row = http.call("POST", f"/trades/{iid}/mediation", unit, expect=201,
                    json={"reason": "卖方要求另付分摊费用"})
    assert row["party"] == "buyer" and row["status"] == "open" and row["instance_id"] == iid
    assert row["mediation_instance_id"] and row["outcome"] is None
    assert row["due_at"] == DUE and row["provisional"] is False
    # the handler of the trade's handling region has it, with the R25 deadline and its light
    task = http.todo("h_xihu", "mediate")[0]
    assert task["instance_id"] == row["mediation_instance_id"] and task["role"] == "handler"
    assert task["region_code"] == XIHU and task["due_at"] == DUE and task["light"] == "green"
    assert task["summary"]["trade_id"] == iid and task["summary"]["mediation"]["party"] == "buyer"
    assert http.todo("r_xihu", "mediate") == []  # the handler's work, not the reviewer's
    detail = http.call("GET", f"/tasks/{task['id']}", "h_xihu")
    assert set(detail["form"]["schema"]["properties"]) == {"outcome", "opinion"}
    assert http.call("GET", f"/instances/{iid}", unit)["data"]["mediation"]["status"] == "open"

    http.do("h_xihu", "mediate", {"outcome": "agreed_maybe", "opinion": "x"}, expect=422)
    http.do("h_xihu", "mediate", {"outcome": "agreed", "opinion": "双方同意按协议价结算"})
    assert http.call("GET", f"/instances/{row['mediation_instance_id']}", "h_xihu")[
        "status"] == "completed"
    items = http.call("GET", f"/trades/{iid}/mediation", seller_user)["items"]
    assert [(i["status"], i["outcome"], i["opinion"]) for i in items] == [
        ("resolved", "agreed", "双方同意按协议价结算")]
    assert items[0]["resolved_at"].startswith("2026-03-02T09:00")
    trade = http.call("GET", f"/instances/{iid}", unit)
    assert trade["data"]["mediation"]["status"] == "resolved"
    assert trade["data"]["mediation"]["outcome"] == "agreed"
    assert "mediation_resolved" in [h["action"] for h in trade["history"]]
    # both parties are told (the existing notifications), once each
    ref = f"mediation:{row['id']}"
    for who in (unit, seller_user):
        notes = _notified(who, ref)
        assert len(notes) == 1 and "达成调解协议" in notes[0].title
        assert notes[0].link == f"/trading/trades/{iid}/mediation"
    # the trade still goes on, and its next step keeps the mediation in its summary
    http.do("h_xihu", "certify", {"certify_decision": "certified", "opinion": "可交易"})
    assert http.call("GET", f"/instances/{iid}", unit)["data"]["mediation"]["outcome"] == "agreed"
    # the trade's page (buyer) and the mediation page (seller) show it
    login(client, find_user(unit))
    page = client.get(f"/inbox/instances/{iid}").get_data(as_text=True)
    assert "交易纠纷调解（R25）" in page and "达成调解协议" in page
    login(client, find_user(seller_user))
    page = client.get(f"/trading/trades/{iid}/mediation")
    assert page.status_code == 200 and "双方同意按协议价结算" in page.text


def test_R25_R7_another_county_neither_sees_nor_completes_the_mediation_task(http):
    iid, unit, _ = _transfer(http)
    http.call("POST", f"/trades/{iid}/mediation", unit, expect=201, json={"reason": "交付争议"})
    task = http.todo("h_xihu", "mediate")[0]
    for outsider in ("h_sc", "r_sc", "h_ca"):  # 上城区 (same city), 长安区 (another province)
        assert http.todo(outsider, "mediate") == []
        http.call("GET", f"/tasks/{task['id']}", outsider, expect=404)
        http.call("POST", f"/tasks/{task['id']}/complete", outsider, expect=404,
                  json={"data": {"outcome": "failed", "opinion": "越权"}})
        http.call("GET", f"/instances/{task['instance_id']}", outsider, expect=404)
    assert http.todo("h_xihu", "mediate")[0]["id"] == task["id"]  # still open


def test_R25_only_parties_file_one_at_a_time_and_not_after_the_trade_ended(http):
    iid, unit, seller_user = _transfer(http)
    _, stranger = http.enterprise(XIHU)
    http.call("POST", f"/trades/{iid}/mediation", stranger, expect=404, json={"reason": "x"})
    err = http.call("POST", f"/trades/{iid}/mediation", "h_xihu", expect=403,
                    json={"reason": "x"})["error"]
    assert err["rule"] == "R25"  # the bureau over a transfer between units mediates, not files
    http.call("POST", f"/trades/{iid}/mediation", seller_user, expect=201, json={"reason": "迟延"})
    err = http.call("POST", f"/trades/{iid}/mediation", unit, expect=409,
                    json={"reason": "又一争议"})["error"]
    assert err["rule"] == "R25"
    http.do("h_xihu", "mediate", {"outcome": "withdrawn", "opinion": "卖方撤回申请"})
    # resolved: a new dispute may be filed; the trade's summary shows the latest request
    again = http.call("POST", f"/trades/{iid}/mediation", unit, expect=201,
                      json={"reason": "又一争议"})
    assert http.call("GET", f"/instances/{iid}", unit)["data"]["mediation"]["id"] == again["id"]
    http.do("h_xihu", "mediate", {"outcome": "failed", "opinion": "未达成一致"})
    # the trade ends (certification refused): no more requests
    http.do("h_xihu", "certify", {"certify_decision": "refused", "opinion": "不予认定"})
    err = http.call("POST", f"/trades/{iid}/mediation", unit, expect=409,
                    json={"reason": "晚了"})["error"]
    assert err["rule"] == "R25"


def test_R25_reserve_sale_the_reserve_bureau_is_a_party(http):
    _, unit = http.enterprise(CHANGAN)
    http.lot(f"reserve:{CHANGAN}", "SO2", "3.0000")
    iid = http.start(unit, f"reserve:{CHANGAN}", {"SO2": "0.5000"}, "5000.00")["id"]
    err = http.call("POST", f"/trades/{iid}/mediation", "h_sjz", expect=403,
                    json={"reason": "x"})["error"]
    assert err["rule"] == "R25"  # the city bureau oversees the sale; the reserve is 长安区's
    row = http.call("POST", f"/trades/{iid}/mediation", "h_ca", expect=201,
                    json={"reason": "买方逾期未签合同"})
    assert row["party"] == "bureau"
    assert http.todo("h_ca", "mediate")[0]["instance_id"] == row["mediation_instance_id"]
    assert SJZ != CHANGAN and http.todo("h_ca", "mediate")[0]["region_code"] == CHANGAN
    http.do("h_ca", "mediate", {"outcome": "agreed", "opinion": "买方同意三日内签约"})
    assert len(_notified(unit, f"mediation:{row['id']}")) == 1  # the buying unit
    assert len(_notified("h_ca", f"mediation:{row['id']}")) == 1  # the reserve's bureau


def test_R25_overdue_mediation_is_escalated_and_stays_open(http):
    iid, unit, _ = _transfer(http)
    http.call("POST", f"/trades/{iid}/mediation", unit, expect=201, json={"reason": "价款争议"})
    http.clock("2026-03-30T23:59:00+08:00")
    assert http.run_due() == 0
    assert http.todo("h_xihu", "mediate")[0]["light"] == "yellow"
    http.clock(DUE)
    assert http.run_due() == 1
    task = http.todo("h_xihu", "mediate")[0]
    assert task["escalated"] is True and task["light"] == "red"
    http.do("h_xihu", "mediate", {"outcome": "failed", "opinion": "调解不成，告知当事人依法维权"})
    items = http.call("GET", f"/trades/{iid}/mediation", unit)["items"]
    assert items[0]["status"] == "resolved" and items[0]["outcome"] == "failed"


def test_R25_mediation_is_neither_offered_nor_started_by_hand(http, client, login):
    from app.inbox import services as inbox

    for username in ("h_xihu", "r_xihu", "a_xihu", "root"):
        user = find_user(username)
        assert "mediation" not in {p.key for p in inbox.startable_processes(user=user)}
        http.call("POST", "/processes/mediation/instances", username, expect=403,
                  json={"data": {"mediation_id": 1}})
    login(client, find_user("h_xihu"))
    html = client.get("/inbox/start").get_data(as_text=True)
    assert "交易纠纷调解" not in html
    assert client.get("/inbox/start/mediation").status_code == 403


def test_R25_a_party_files_on_the_mediation_page(http, client, login):
    from tests.inbox.test_pages import csrf

    iid, unit, seller_user = _transfer(http)
    login(client, find_user(seller_user))
    page = client.get(f"/trading/trades/{iid}/mediation")
    assert page.status_code == 200 and 'id="mediation-form"' in page.text
    token = csrf(page.text)
    resp = client.post(f"/trading/trades/{iid}/mediation", data={"csrf_token": token,
                                                                 "reason": ""})
    assert resp.status_code == 422 and 'id="f-reason-error"' in resp.text
    resp = client.post(f"/trading/trades/{iid}/mediation",
                       data={"csrf_token": token, "reason": "买方拖延签约"})
    assert resp.status_code == 302
    page = client.get(f"/trading/trades/{iid}/mediation").get_data(as_text=True)
    assert "买方拖延签约" in page and "调解中" in page and 'id="mediation-form"' not in page
    assert http.todo("h_xihu", "mediate")[0]["summary"]["mediation"]["party"] == "seller"
