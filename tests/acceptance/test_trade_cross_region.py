"""Cross-region trades and refusals over HTTP (R9, R16, R18–R21, R23, R26–R28, R30): the common
superior bureau approves (city for two counties of one city, province for two cities), a county
reviewer cannot see that task; attainment, water system, benchmark and the other refusals name
their rule and the province whose policy applied."""
from __future__ import annotations

from tests.acceptance import trade_http
from tests.acceptance.trade_http import (
    CHANGAN,
    HAISHU,
    HANGZHOU,
    HEBEI,
    LUNAN,
    QIAOXI,
    SHANGCHENG,
    XIHU,
)

http = trade_http.http  # the fixture


def _through_review(h, unit, certifier, reviewer):
    h.do(certifier, "certify", {"certify_decision": "certified", "opinion": "可交易"})
    h.do(reviewer, "subject_review", {"review_decision": "approved", "opinion": "符合"})


def test_R9_R26_cross_county_trade_approved_by_the_city_bureau(http):
    seller, _ = http.enterprise(SHANGCHENG)
    buyer, unit = http.enterprise(XIHU)
    http.lot(seller, "SO2", "4.0000")
    inst = http.start(unit, seller, {"SO2": "1.5000"}, "1200.00")
    iid, data = inst["id"], inst["data"]
    assert data["cross_region"] is True and data["approving_region"] == HANGZHOU
    _through_review(http, unit, "h_sc", "r_sc")
    assert http.active(iid) == ["approve_cross_region"]
    task = http.todo("r_hz", "approve_cross_region")[0]
    assert task["region_code"] == HANGZHOU and task["due_at"] == "2026-03-17T00:00:00+08:00"
    # a county reviewer (either county) neither sees nor opens it
    assert http.todo("r_xihu", "approve_cross_region") == []
    assert http.todo("r_sc", "approve_cross_region") == []
    http.call("GET", f"/tasks/{task['id']}", "r_xihu", expect=404)
    http.call("POST", f"/tasks/{task['id']}/complete", "r_sc", expect=404,
              json={"data": {"approval_decision": "approved", "opinion": "同意"}})
    http.do("r_hz", "approve_cross_region", {"approval_decision": "approved", "opinion": "同意"})
    assert http.active(iid) == ["confirm_deposit"]


def test_R9_R26_cross_city_trade_approved_by_the_province_bureau(http):
    seller, _ = http.enterprise(CHANGAN)
    buyer, unit = http.enterprise(LUNAN)
    http.lot(seller, "NOx", "4.0000")
    inst = http.start(unit, seller, {"NOx": "2.0000"}, "6500.00")
    iid = inst["id"]
    assert inst["data"]["approving_region"] == HEBEI
    _through_review(http, unit, "h_ca", "r_ca")
    assert http.todo("r_sjz", "approve_cross_region") == []
    assert http.todo("r_ca", "approve_cross_region") == []
    http.do("r_hb", "approve_cross_region", {"approval_decision": "rejected", "opinion": "不同意"})
    final = http.call("GET", f"/instances/{iid}", unit)
    assert final["status"] == "completed" and final["data"]["outcome"] == "refused"


def test_R26_same_county_trade_skips_cross_region_approval(http):
    seller, _ = http.enterprise(CHANGAN)
    buyer, unit = http.enterprise(CHANGAN)
    http.lot(seller, "NOx", "4.0000")
    iid = http.start(unit, seller, {"NOx": "2.0000"}, "6500.00")["id"]
    _through_review(http, unit, "h_ca", "r_ca")
    assert http.active(iid) == ["confirm_deposit"]


def test_R28_water_pollutant_across_water_systems_refused_in_zhejiang(http):
    seller, _ = http.enterprise(HAISHU)  # 宁波：甬江
    buyer, unit = http.enterprise(XIHU)  # 杭州：钱塘江
    http.lot(seller, "COD", "4.0000")
    err = http.start(unit, seller, {"COD": "1.0000"}, "5000.00", expect=422)["error"]
    assert err["rule"] == "R28" and "浙江省" in err["message"]
    # an air pollutant between the same counties is not bound by water systems
    http.lot(seller, "SO2", "4.0000")
    assert http.start(unit, seller, {"SO2": "1.0000"}, "5000.00")["data"]["approving_region"] \
        == "330000"


def test_R28_does_not_apply_in_hebei(http):
    seller, _ = http.enterprise(CHANGAN)
    buyer, unit = http.enterprise(QIAOXI)
    http.lot(seller, "COD", "4.0000")
    inst = http.start(unit, seller, {"COD": "1.0000"}, "5000.00", water_system="瓯江")
    assert inst["data"]["cross_region"] is True


def test_R27_buyer_county_without_attainment_refused(http):
    http.call("PUT", f"/admin/attainment/{XIHU}/2025", http.root,
              json={"air": False, "water": True})
    seller, _ = http.enterprise(SHANGCHENG)
    buyer, unit = http.enterprise(XIHU)
    http.lot(seller, "SO2", "4.0000")
    err = http.start(unit, seller, {"SO2": "1.0000"}, "5000.00", expect=422)["error"]
    assert err["rule"] == "R27" and "2025" in err["message"]
    # water attained: a water pollutant from the same water system may go on
    http.lot(seller, "COD", "4.0000")
    http.start(unit, seller, {"COD": "1.0000"}, "5000.00")


def test_R21_price_under_the_benchmark_refused_in_hebei(http):
    buyer, unit = http.enterprise(CHANGAN)
    http.lot(f"reserve:{CHANGAN}", "SO2", "3.0000")
    err = http.start(unit, f"reserve:{CHANGAN}", {"SO2": "0.5000"}, "4999.99",
                     expect=422)["error"]
    assert err["rule"] == "R21" and "5000.00" in err["message"] and "河北省" in err["message"]


def test_R21_surplus_under_fee_standard_offers_priority_buyback_in_zhejiang(http):
    seller, seller_user = http.enterprise(XIHU)
    buyer, unit = http.enterprise(XIHU)
    http.lot(seller, "COD", "3.0000")
    iid = http.start(unit, seller, {"COD": "1.0000"}, "3500.00")["id"]
    _through_review(http, unit, "h_xihu", "r_xihu")
    assert http.active(iid) == ["priority_buyback"]
    http.do("h_xihu", "priority_buyback", {"buyback_decision": "buyback", "opinion": "回购"})
    final = http.call("GET", f"/instances/{iid}", unit)
    assert final["status"] == "completed" and final["data"]["outcome"] == "bought_back"
    assert http.call("GET", f"/reserves/{XIHU}", "h_xihu")["balances"] == {"COD": "1.0000"}
    # declined: the deal goes on
    iid = http.start(unit, seller, {"COD": "1.0000"}, "3500.00")["id"]
    _through_review(http, unit, "h_xihu", "r_xihu")
    http.do("h_xihu", "priority_buyback", {"buyback_decision": "decline", "opinion": "放弃"})
    assert http.active(iid) == ["confirm_deposit"]


def test_R20_zhejiang_reserve_sale_by_public_bidding_at_the_fee_standard(http):
    buyer, unit = http.enterprise(XIHU)
    http.lot(f"reserve:{XIHU}", "COD", "3.0000")
    err = http.start(unit, f"reserve:{XIHU}", {"COD": "1.0000"}, "5000.00",
                     expect=422)["error"]
    assert err["rule"] == "R20"
    err = http.start(unit, f"reserve:{XIHU}", {"COD": "1.0000"}, "3999.00", method="auction",
                     expect=422)["error"]
    assert err["rule"] == "R20" and "4000.00" in err["message"]
    http.start(unit, f"reserve:{XIHU}", {"COD": "1.0000"}, "4000.00", method="auction")


def test_R18_R19_R23_R9_refusals(http):
    seller, _ = http.enterprise(XIHU)
    buyer, unit = http.enterprise(XIHU)
    http.lot(seller, "COD", "3.0000")
    body = {"seller": str(seller), "amounts": {"COD": "1.0000"}, "method": "agreement",
            "price_per_tonne": "5000.00",
            "project": {"name": "新建项目", "substitution": {"COD": "1.2000"}}}
    err = http.call("POST", "/processes/trade/instances", unit, expect=422,
                    json={"data": body})["error"]
    assert err["rule"] == "R18"
    # R19: more than the seller paid for; no automatic monitoring
    assert http.start(unit, seller, {"COD": "3.5000"}, "5000.00", expect=422)["error"][
        "rule"] == "R19"
    free_seller, _ = http.enterprise(XIHU)
    http.lot(free_seller, "COD", "3.0000", acquisition="free")
    assert http.start(unit, free_seller, {"COD": "1.0000"}, "5000.00", expect=422)["error"][
        "rule"] == "R19"
    unmonitored, _ = http.enterprise(XIHU, auto_monitoring=False)
    http.lot(unmonitored, "COD", "3.0000")
    assert http.start(unit, unmonitored, {"COD": "1.0000"}, "5000.00", expect=422)["error"][
        "rule"] == "R19"
    # R23: agricultural never with industrial
    farm, _ = http.enterprise(XIHU, source_type="agricultural", industry="畜禽养殖")
    http.lot(farm, "COD", "3.0000")
    assert http.start(unit, farm, {"COD": "1.0000"}, "5000.00", expect=422)["error"][
        "rule"] == "R23"
    # R9: two provinces
    hebei_seller, _ = http.enterprise(CHANGAN)
    http.lot(hebei_seller, "SO2", "3.0000")
    assert http.start(unit, hebei_seller, {"SO2": "1.0000"}, "5000.00", expect=422)["error"][
        "rule"] == "R9"


def test_R30_a_grade_key_industry_sorts_first_with_one_month_certification(http):
    plain, _ = http.enterprise(CHANGAN)
    steel, _ = http.enterprise(CHANGAN, grade="A", industry="钢铁")
    buyer, unit = http.enterprise(CHANGAN)
    http.lot(plain, "SO2", "4.0000")
    http.lot(steel, "SO2", "4.0000")
    first = http.start(unit, plain, {"SO2": "1.0000"}, "5000.00")["id"]
    second = http.start(unit, steel, {"SO2": "1.0000"}, "5000.00")["id"]
    tasks = http.call("GET", "/tasks", "h_ca", query_string={"sort": "priority"})["items"]
    assert [t["instance_id"] for t in tasks if t["name"] == "certify"] == [second, first]
    unsorted = http.call("GET", "/tasks", "h_ca")["items"]  # the queue's default order (R30, R35)
    assert [t["instance_id"] for t in unsorted if t["name"] == "certify"] == [second, first]
    key = [t for t in tasks if t["instance_id"] == second][0]
    # R30: one calendar month from 03-02 ends 24:00 of the corresponding day 04-02 (民法典 §202)
    assert key["due_at"] == "2026-04-03T00:00:00+08:00"
    assert [t for t in tasks if t["instance_id"] == first][0]["due_at"] is None
