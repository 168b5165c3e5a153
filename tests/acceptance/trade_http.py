"""The HTTP harness of the trade scenarios (API.md only): staff of 西湖区/上城区/杭州市/浙江省 and
长安区/石家庄市/唐山路南区/河北省, units with paid-for rights, trades started and worked."""
from __future__ import annotations

import pytest

from tests.acceptance.harness import PASSWORD, ApiHarness  # noqa: F401  (PASSWORD: re-exported)

XIHU, SHANGCHENG, HANGZHOU, ZHEJIANG, HAISHU = "330106", "330102", "330100", "330000", "330203"
CHANGAN, QIAOXI, SJZ, LUNAN, HEBEI = "130102", "130104", "130100", "130202", "130000"
STAFF = {  # region → suffix of its users' names
    XIHU: "xihu", SHANGCHENG: "sc", HANGZHOU: "hz", ZHEJIANG: "zj", HAISHU: "hs",
    CHANGAN: "ca", QIAOXI: "qx", SJZ: "sjz", LUNAN: "ln", HEBEI: "hb",
}


class Http(ApiHarness):
    def start(self, unit, seller, amounts, price, method="agreement", expect=201, **project):
        body = {"seller": str(seller), "amounts": amounts, "method": method,
                "price_per_tonne": price,
                "project": {"name": "扩建项目", "substitution": dict(amounts), **project}}
        return self.call("POST", "/processes/trade/instances", unit, expect=expect,
                         json={"data": body})

    def do(self, who, name, data, iid=None, expect=200):
        who = self.token(who)
        tasks = [t for t in self.todo(who, name) if iid is None or t["instance_id"] == iid]
        assert tasks, f"no {name} task for {who}"
        return self.call("POST", f"/tasks/{tasks[0]['id']}/complete", who, expect=expect,
                         json={"data": data})

    def active(self, iid, who="root"):
        return [t["name"] for t in self.call("GET", f"/instances/{iid}", who)["active_tasks"]]


@pytest.fixture
def http(client, make_region_tree):
    make_region_tree()
    h = Http(client, serial=8100, label="交易验收单位", tag="TRD")
    h.staff((f"{role[0]}_{suffix}", role, region)
            for region, suffix in STAFF.items() for role in ("handler", "reviewer", "approver"))
    h.deploy("cross_region_approval", "trade", "mediation")
    h.clock("2026-03-02T09:00:00+08:00")
    return h


def open_reserve_sale(h, unit, method, price, tonnes="1.0000"):
    """A 西湖区 reserve sale of COD by `method`, reviewed, the applicant's deposit paid: bidding
    opens on Mon 2026-03-02 and closes 24:00 Mon 03-09 (5 working days, R5)."""
    h.lot(f"reserve:{XIHU}", "COD", "3.0000")
    iid = h.start(unit, f"reserve:{XIHU}", {"COD": tonnes}, price, method=method)["id"]
    h.do("r_xihu", "subject_review", {"review_decision": "approved", "opinion": "符合"}, iid=iid)
    h.do("h_xihu", "confirm_deposit", {"deposit_reference": "BZJ-A"}, iid=iid)
    return iid
