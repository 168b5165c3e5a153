"""R29: a green-channel trade's tasks say so — in the task API (`summary.green_channel`, list and
detail) and on the inbox page (a badge); a standard trade's tasks do not."""
from __future__ import annotations

from app.auth.services import find_user
from tests.acceptance import trade_http
from tests.acceptance.trade_http import CHANGAN

http = trade_http.http  # the fixture


def test_R29_green_channel_shows_in_task_api_summary_and_inbox(http, client, login):
    _, unit = http.enterprise(CHANGAN)
    http.lot(f"reserve:{CHANGAN}", "SO2", "3.0000")
    green = http.start(unit, f"reserve:{CHANGAN}", {"SO2": "0.9999"}, "5000.00")["id"]
    plain = http.start(unit, f"reserve:{CHANGAN}", {"SO2": "1.0000"}, "5000.00")["id"]
    http.do(unit, "sign_contract", {"contract_decision": "sign"}, iid=green)

    items = http.call("GET", "/tasks", "h_ca")["items"]
    task = [t for t in items if t["instance_id"] == green][0]
    assert task["name"] == "confirm_settlement"
    assert task["summary"]["green_channel"] is True
    assert task["summary"]["amounts"] == {"SO2": "0.9999"}
    detail = http.call("GET", f"/tasks/{task['id']}", "h_ca")
    assert detail["summary"]["green_channel"] is True
    review = [t for t in http.call("GET", "/tasks", "r_ca")["items"]
              if t["instance_id"] == plain][0]
    assert review["summary"]["green_channel"] is False

    login(client, find_user("h_ca"))
    page = client.get("/inbox")
    assert page.status_code == 200, page.headers.get("Location")
    row = page.text.split(f'data-task-id="{task["id"]}"')[1].split("</tr>")[0]
    assert "绿色通道" in row or "Green channel" in row
