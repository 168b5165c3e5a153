"""The HTTP harness of the trade scenarios (API.md only): staff of 西湖区/上城区/杭州市/浙江省 and
长安区/石家庄市/唐山路南区/河北省, units with paid-for rights, trades started and worked."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.auth.credit_code import make_credit_code
from app.auth.services import create_user
from app.extensions import db

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Accept-2025!"
XIHU, SHANGCHENG, HANGZHOU, ZHEJIANG, HAISHU = "330106", "330102", "330100", "330000", "330203"
CHANGAN, QIAOXI, SJZ, LUNAN, HEBEI = "130102", "130104", "130100", "130202", "130000"
STAFF = {  # region → suffix of its users' names
    XIHU: "xihu", SHANGCHENG: "sc", HANGZHOU: "hz", ZHEJIANG: "zj", HAISHU: "hs",
    CHANGAN: "ca", QIAOXI: "qx", SJZ: "sjz", LUNAN: "ln", HEBEI: "hb",
}


@pytest.fixture
def http(client, make_region_tree):
    make_region_tree()
    create_user(username="root", password=PASSWORD, roles=["admin"], display_name="管理员")
    db.session.commit()
    serial = iter(range(8100, 9000))

    class Http:
        def token(self, username: str) -> dict:
            resp = client.post("/api/v1/auth/token",
                               json={"username": username, "password": PASSWORD})
            assert resp.status_code == 200, resp.json
            return {"Authorization": f"Bearer {resp.json['token']}"}

        def call(self, method, url, who=None, expect=200, **kw):
            who = self.token(who) if isinstance(who, str) else who
            headers = {**(who or {}), **kw.pop("headers", {})}
            resp = client.open(f"/api/v1{url}", method=method, headers=headers, **kw)
            assert resp.status_code == expect, (method, url, resp.status_code, resp.get_json())
            return resp.get_json()

        def clock(self, iso: str) -> None:
            self.call("PUT", "/test/clock", json={"now": iso})

        def run_due(self) -> int:
            return self.call("POST", "/test/run-due")["fired"]

        def enterprise(self, region=XIHU, **attrs) -> tuple[int, str]:
            n = next(serial)
            body = {"name": f"交易验收单位{n}", "credit_code": make_credit_code(n),
                    "region_code": region, "source_type": "industrial", "industry": "化工",
                    "permit_no": f"91{region}TRD{n}P", "permit_class": "key",
                    "auto_monitoring": True, "grade": "B", **attrs}
            ent = self.call("POST", "/admin/enterprises", self.root, expect=201, json=body)["id"]
            self.call("POST", "/admin/users", self.root, expect=201, json={
                "username": f"unit{ent}", "password": PASSWORD, "display_name": f"unit{ent}",
                "roles": ["enterprise"], "enterprise_id": ent})
            return ent, f"unit{ent}"

        def lot(self, owner, pollutant, tonnes, valid_to="2030-12-31", acquisition="paid"):
            return self.call("POST", "/admin/lots", self.root, expect=201, json={
                "owner": str(owner), "pollutant": pollutant, "tonnes": tonnes,
                "valid_from": "2026-01-01", "valid_to": valid_to, "acquisition": acquisition})

        def start(self, unit, seller, amounts, price, method="agreement", expect=201, **project):
            body = {"seller": str(seller), "amounts": amounts, "method": method,
                    "price_per_tonne": price,
                    "project": {"name": "扩建项目", "substitution": dict(amounts), **project}}
            return self.call("POST", "/processes/trade/instances", unit, expect=expect,
                             json={"data": body})

        def todo(self, who, name):
            who = self.token(who) if isinstance(who, str) else who
            return [t for t in self.call("GET", "/tasks", who, query_string={"per_page": 200})[
                "items"] if t["name"] == name]

        def do(self, who, name, data, iid=None, expect=200):
            who = self.token(who)
            tasks = [t for t in self.todo(who, name) if iid is None or t["instance_id"] == iid]
            assert tasks, f"no {name} task for {who}"
            return self.call("POST", f"/tasks/{tasks[0]['id']}/complete", who, expect=expect,
                             json={"data": data})

        def active(self, iid, who="root"):
            return [t["name"] for t in self.call("GET", f"/instances/{iid}", who)["active_tasks"]]

    h = Http()
    h.root = h.token("root")
    for region, suffix in STAFF.items():
        for role in ("handler", "reviewer", "approver"):
            h.call("POST", "/admin/users", h.root, expect=201, json={
                "username": f"{role[0]}_{suffix}", "password": PASSWORD,
                "display_name": f"{role}@{suffix}", "roles": [role], "region_code": region})
    for name in ("cross_region_approval", "trade"):
        h.call("POST", f"/processes/{name}/versions", h.root, expect=201,
               data=(ROOT / "bpmn" / f"{name}.bpmn").read_bytes(),
               headers={"Content-Type": "application/xml"})
    h.clock("2026-03-02T09:00:00+08:00")
    return h
