"""Public disclosure (R38): completed trades and reserve balances searched and paginated in SQL,
allocations under publication with the time left (R12), no personal data in pages or JSON, the
new JSON lists' shapes."""
from __future__ import annotations

import re

from tests.api.test_tasks_api import approve
from tests.public.conftest import CHANGAN, CONTACT, GONGSHU, XIHU


def _trades(client, **args):
    resp = client.get("/api/v1/public/trades", query_string=args)
    assert resp.status_code == 200, resp.json
    return resp.json


def _numbers(body):
    return [item["number"] for item in body["items"]]


def test_R38_trades_list_shape_newest_first_without_login(client, disclosure):
    body = _trades(client)
    assert set(body) == {"items", "total", "page", "per_page"}
    assert body["total"] == 5 and body["page"] == 1 and body["per_page"] == 50
    certs = disclosure["certs"]
    assert _numbers(body) == [c.number for c in reversed(certs)]
    second = next(i for i in body["items"] if i["number"] == certs[1].number)
    assert set(second) == {"number", "issued_at", "region_code", "region_name", "buyer",
                           "buyer_credit_code", "seller", "seller_kind", "seller_region_code",
                           "amounts", "price_per_tonne", "method"}
    assert second["buyer"] == "乙印染有限公司" and second["seller"] == "西湖区储备"
    assert second["seller_kind"] == "reserve" and second["seller_region_code"] == XIHU
    assert second["amounts"] == {"SO2": "2.5000"} and second["price_per_tonne"] == "6000.00"
    assert second["method"] == "listing" and second["issued_at"] == "2026-02-10T10:00:00+08:00"
    assert second["region_name"] == "西湖区"
    first = next(i for i in body["items"] if i["number"] == certs[0].number)
    assert first["seller"] == "乙印染有限公司" and first["seller_kind"] == "enterprise"


def test_R38_trades_search_by_name_number_region_subtree_pollutant_and_dates(client, disclosure):
    certs = disclosure["certs"]
    # a unit's name finds it as buyer and as seller
    assert set(_numbers(_trades(client, q="甲化工"))) == {certs[0].number, certs[2].number,
                                                       certs[4].number}
    assert _numbers(_trades(client, q=certs[3].number)) == [certs[3].number]
    assert _trades(client, q="不存在的单位")["total"] == 0
    # R7: a city takes in its counties; another province's trades stay out
    assert _trades(client, region="330100")["total"] == 4
    assert _trades(client, region=GONGSHU)["total"] == 1
    assert _numbers(_trades(client, region="130000")) == [certs[3].number]
    assert set(_numbers(_trades(client, pollutant="SO2"))) == {certs[1].number, certs[3].number}
    # dates are Asia/Shanghai days, both ends included
    assert set(_numbers(_trades(client, date_from="2026-02-10", date_to="2026-03-01"))) == {
        certs[1].number, certs[2].number, certs[3].number}
    assert _numbers(_trades(client, date_from="2026-04-01")) == [certs[4].number]
    assert _trades(client, date_to="2026-03-31")["total"] == 4
    both = _trades(client, q="甲化工", pollutant="COD", region=XIHU)
    assert _numbers(both) == [certs[0].number]


def test_R38_trades_pagination_and_bad_filters(client, disclosure):
    certs = disclosure["certs"]
    page1 = _trades(client, per_page=2)
    page3 = _trades(client, per_page=2, page=3)
    assert page1["total"] == page3["total"] == 5
    assert _numbers(page1) == [certs[4].number, certs[3].number]
    assert _numbers(page3) == [certs[0].number] and page3["page"] == 3
    assert _trades(client, per_page=500)["per_page"] == 200
    resp = client.get("/api/v1/public/trades?region=999999&pollutant=XYZ&date_from=2026-13-01")
    assert resp.status_code == 422
    assert set(resp.json["error"]["fields"]) == {"region", "pollutant", "date_from"}
    assert client.get("/api/v1/public/trades?page=x").status_code == 400


def test_R38_trades_page_searches_paginates_and_links_certificates(client, disclosure):
    certs = disclosure["certs"]
    html = client.get("/public/trades?per_page=2&page=2").get_data(as_text=True)
    assert "共 5 条，第 2/3 页" in html
    assert 'rel="prev" href="/public/trades?per_page=2&amp;page=1"' in html
    assert 'rel="next" href="/public/trades?per_page=2&amp;page=3"' in html
    assert certs[2].number in html and certs[4].number not in html
    assert f'href="/public/certificates/{certs[2].number}"' in html
    html = client.get("/public/trades?q=丙钢铁&region=130000").get_data(as_text=True)
    assert "共 1 条" in html and "长安区储备" in html and "拍卖转让" in html
    assert 'value="130000" selected' in html
    html = client.get("/public/trades?date_from=bad&lang=en").get_data(as_text=True)
    assert "were not valid and were ignored" in html and "5 in total" in html
    assert "长安区 reserve" in html and "Auction" in html


def test_R33_R38_reserve_balances_come_from_the_ledger(client, disclosure):
    body = client.get("/api/v1/public/reserves").json
    assert set(body) == {"items", "total", "page", "per_page"} and body["total"] == 4
    by_code = {item["region_code"]: item for item in body["items"]}
    # along the region tree: Hebei (13…) then Zhejiang, each province before its cities
    assert [i["region_code"] for i in body["items"]] == [CHANGAN, "330000", "330100", XIHU]
    xihu = by_code[XIHU]
    assert set(xihu) == {"region_code", "region_name", "level", "bureau", "balances"}
    assert xihu["balances"] == {"COD": "4.0000", "SO2": "1.5000"}
    assert xihu["level"] == "county" and xihu["bureau"] == "杭州市生态环境局西湖分局"
    # a sale from the reserve (certificate 2) was registered without moving lots here; the
    # figures are the ledger's own
    from app.ledger import services as ledger

    assert {k: str(v) for k, v in ledger.balances(f"reserve:{XIHU}").items()} == xihu["balances"]
    assert by_code["330000"]["balances"] == {"NOx": "20.0000"}
    assert by_code["330000"]["level"] == "province"


def test_R33_R38_reserves_search_region_subtree_pollutant_and_pages(client, disclosure):
    def codes(**args):
        body = client.get("/api/v1/public/reserves", query_string=args).json
        return [i["region_code"] for i in body["items"]], body["total"]

    assert codes(region="330100") == (["330100", XIHU], 2)
    assert codes(region="330000") == (["330000", "330100", XIHU], 3)
    assert codes(pollutant="SO2") == ([CHANGAN, XIHU], 2)
    only = client.get("/api/v1/public/reserves?pollutant=SO2&region=330106").json["items"]
    assert only[0]["balances"] == {"SO2": "1.5000"}  # just the pollutant asked for
    assert codes(q="西湖") == ([XIHU], 1)
    assert codes(q="生态环境厅") == (["330000"], 1)  # the bureau's name
    assert codes(per_page=1, page=2) == (["330000"], 4)
    html = client.get("/public/reserves?per_page=2&page=2").get_data(as_text=True)
    assert "共 4 条，第 2/2 页" in html and 'rel="prev"' in html and 'rel="next"' not in html
    assert "杭州市生态环境局西湖分局" in html and "COD 4.0000" in html and "县级" in html
    assert "Reserve balances" in client.get("/public/reserves?lang=en").get_data(as_text=True)


def test_R38_no_personal_data_in_public_pages_or_json(client, disclosure, staff, api_token,
                                                      start_allocation):
    info = start_allocation(staff["handler"], name="公示隐私测试有限公司")
    approve(client, staff, api_token, info)
    from app.auth.services import create_user
    from app.engine.models import ProcessInstance
    from app.extensions import db

    inst = db.session.get(ProcessInstance, info.id)
    create_user(username="li_contact_77", password="pass-1234", display_name="李联系人",
                roles=["enterprise"], enterprise_id=inst.enterprise_id, email="li77@example.cn")
    db.session.commit()
    texts = []
    for url in ("/public/", "/public/trades", "/public/reserves",
                f"/public/certificates/{disclosure['certs'][0].number}",
                "/api/v1/public/publications", "/api/v1/public/trades",
                "/api/v1/public/reserves",
                f"/api/v1/public/certificates/{disclosure['certs'][0].number}"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        texts.append(resp.get_data(as_text=True))
    everything = "\n".join(texts)
    assert "公示隐私测试有限公司" in everything and "甲化工有限公司" in everything  # public
    assert disclosure["alpha"].credit_code in everything  # the credit code is public
    for secret in (*CONTACT.values(), "李联系人", "li_contact_77", "li77@example.cn",
                   staff["handler"].username, staff["approver"].display_name):
        assert secret not in everything, secret


def test_R12_R38_publication_shows_time_left_and_the_countdown_script(client, staff, api_token,
                                                                     start_allocation):
    from app.common import clock

    info = start_allocation(staff["handler"], name="倒计时测试有限公司")
    body = approve(client, staff, api_token, info)
    closes = body["data"]["window_closes_at"]
    item = client.get("/api/v1/public/publications").json["items"][0]
    assert item["window_closes_at"] == closes
    html = client.get("/public/").get_data(as_text=True)
    match = re.search(r'data-countdown-seconds="(\d+)"[^>]*>剩余 (\d+) 天 (\d+) 小时<', html,
                      re.S)
    assert match, html
    from datetime import datetime

    left = (datetime.fromisoformat(closes) - clock.now()).total_seconds()
    assert int(match.group(1)) == int(left)
    assert int(match.group(2)) == int(left // 86400) and int(match.group(3)) == int(
        left % 86400 // 3600)
    assert 'data-template="剩余 {d} 天 {h} 小时"' in html
    assert '<script src="/static/js/public.js"></script>' in html
    assert "<script>" not in html  # CSP: no inline script
    en = client.get("/public/?lang=en").get_data(as_text=True)
    assert f"{match.group(2)} days {match.group(3)} hours left" in en
    # filters narrow the list
    assert client.get("/api/v1/public/publications?q=倒计时").json["total"] == 1
    assert client.get("/api/v1/public/publications?q=别家").json["total"] == 0
    assert client.get("/api/v1/public/publications?region=330100").json["total"] == 1
    assert client.get("/api/v1/public/publications?region=130000").json["total"] == 0
    assert client.get("/api/v1/public/publications?pollutant=COD").json["total"] == 1
    assert client.get("/api/v1/public/publications?pollutant=SO2").json["total"] == 0


def test_R39_verification_tab_and_tabs_are_links(client, disclosure):
    number = disclosure["certs"][1].number
    html = client.get(f"/public/certificates/{number}").get_data(as_text=True)
    assert "This certificate is genuine." in client.get(
        f"/public/certificates/{number}?lang=en").get_data(as_text=True)
    assert number in html and "经核验，该凭证真实有效。" in html and "挂牌转让" in html
    assert 'aria-current="page"' in html and 'href="/public/trades"' in html
    forged = number[:-1] + ("0" if number[-1] != "0" else "1")
    assert client.get(f"/public/certificates/{forged}").status_code == 404
