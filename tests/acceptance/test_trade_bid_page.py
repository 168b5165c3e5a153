"""Units bid on the web (R20, R27a, R38): from a sale's announcement on /public/sales to its bid
page (/trading/trades/<id>/bid), through the same service as the bids API. An auction shows the
best price, a call auction never another unit's price before its close; a refusal shows at the
price with the input kept, in the page's language; the form needs its CSRF token; bureau users,
the seller and anonymous visitors cannot bid; the unit's bids, their outcome and its deposit are
listed on "my trades" (/my/trades) once the bureau has decided. Bids API: test_trade_bidding.py,
test_trade_methods.py."""
from __future__ import annotations

import html
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.auth.models import User
from app.common.clock import SHANGHAI
from app.extensions import db
from app.ledger.models import FeeNotice
from app.trading.models import Bid
from tests.acceptance import trade_http
from tests.acceptance.trade_http import SHANGCHENG, XIHU, open_reserve_sale

http = trade_http.http  # the fixture


@pytest.fixture
def browser(app, login):
    """A signed-in page session for a username (None: an anonymous visitor)."""

    def open_as(username: str | None):
        client = app.test_client()
        if username is None:
            return client
        return login(client, db.session.scalar(select(User).where(User.username == username)))

    return open_as


def _url(iid: int) -> str:
    return f"/trading/trades/{iid}/bid"


def _text(resp) -> str:
    return html.unescape(resp.get_data(as_text=True))


def _token(page_html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page_html).group(1)


def _post(page, iid, lang=None, **data):
    """Open the bid page (in `lang`), then post its form with the page's CSRF token."""
    shown = page.get(_url(iid) + (f"?lang={lang}" if lang else ""))
    assert shown.status_code == 200, shown.status_code
    return page.post(_url(iid), data={"csrf_token": _token(shown.get_data(as_text=True)), **data})


def _field_error(resp, field="price") -> str:
    found = re.search(rf'id="f-{field}-error"[^>]*>(.*?)</div>', resp.get_data(as_text=True), re.S)
    assert found, f"no field error on f-{field}"
    return html.unescape(found.group(1))


def _bids(iid: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Bid).where(Bid.instance_id == iid))


def test_R20_R27a_R38_web_bid_in_an_auction_from_the_announcement(http, client, browser):
    a, unit_a = http.enterprise(XIHU)
    b, unit_b = http.enterprise(XIHU)
    _, unit_c = http.enterprise(XIHU)
    iid = open_reserve_sale(http, unit_a, "auction", "4200.00")

    # the announcement: an anonymous visitor gets a login link that returns to the sale; a signed-in
    # unit the action; bureau staff neither
    public = _text(client.get("/public/sales"))
    assert f"/login?next=/trading/trades/{iid}/bid" in public
    assert 'data-testid="bid-action"' not in public
    page = client.get(_url(iid))
    assert page.status_code == 302 and f"next=/trading/trades/{iid}/bid" in page.headers["Location"]
    bidder = browser(unit_b)
    public = _text(bidder.get("/public/sales"))
    assert 'data-testid="bid-action"' in public and f'href="/trading/trades/{iid}/bid"' in public
    assert 'data-testid="bid-' not in _text(browser("h_xihu").get("/public/sales"))

    # the bid page: the sale, the deposit to pay, the close (R3) with its countdown, the best price
    shown = _text(bidder.get(_url(iid)))
    assert "参与竞价/报价" in shown and "拍卖" in shown and "西湖区储备" in shown
    assert "COD 1.0000" in shown and "4200.00 元/吨" in shown and "100.00 元/吨" in shown
    assert re.search(r'data-testid="deposit">\s*1260\.00 元', shown)  # R27a: 30% × 4200 × 1 t
    assert "2026-03-09 24:00" in shown and 'data-testid="countdown"' in shown
    assert re.search(r'data-testid="best-price">4200\.00<', shown)
    assert re.search(r'data-testid="min-next-price">4300\.00<', shown)
    assert "本单位尚未参与本次竞价" in shown and 'id="bid-form"' in shown

    http.clock("2026-03-03T10:00:00+08:00")
    done = _post(bidder, iid, price_per_tonne="4300", project_name="B厂扩建项目")
    assert done.status_code == 302 and done.headers["Location"].endswith(f"{_url(iid)}#my-bids")
    shown = _text(bidder.get(_url(iid)))
    assert "报价 4300.00 元/吨已提交" in shown  # the flash
    mine = re.search(r'data-testid="my-bids".*?</table>', shown, re.S).group(0)
    assert "4300.00" in mine and "2026-03-03 10:00" in mine and "1260.00（已缴纳）" in mine
    board = http.call("GET", f"/trades/{iid}/bids", unit_b)  # the same bid through the API
    (own,) = [x for x in board["items"] if x["mine"]]
    assert own["price_per_tonne"] == "4300.00" and own["deposit"]["status"] == "held"
    assert http.call("GET", f"/trades/{iid}/bids", "h_xihu")["items"][0]["enterprise_id"] == b

    # another unit's bid raises the best the page shows (every price, never who bid it)
    http.call("POST", f"/trades/{iid}/bids", unit_c, expect=201,
              json={"price_per_tonne": "4500.00"})
    shown = _text(bidder.get(_url(iid)))
    assert re.search(r'data-testid="best-price">4500\.00<', shown)
    assert re.search(r'data-testid="min-next-price">4600\.00<', shown)
    assert unit_c not in shown and "交易验收单位" not in shown.split('id="my-bids"')[0]


def test_R20_web_call_auction_stays_sealed_until_the_close(http, browser):
    _, unit_a = http.enterprise(XIHU)
    _, unit_b = http.enterprise(XIHU)
    _, unit_c = http.enterprise(XIHU)
    # the applicant's offer: sealed too
    iid = open_reserve_sale(http, unit_a, "call_auction", "4200.00")
    http.call("POST", f"/trades/{iid}/bids", unit_c, expect=201,
              json={"price_per_tonne": "4700.00"})

    bidder = browser(unit_b)
    shown = _text(bidder.get(_url(iid)))
    assert 'data-testid="sealed"' in shown and "4000.00 元/吨" in shown  # the reserve price (R20)
    assert "4700" not in shown and "4200" not in shown and 'data-testid="best-price"' not in shown
    assert "每家单位只能提交一次密封报价" in shown

    done = _post(bidder, iid, price_per_tonne="4500.00")
    assert done.status_code == 302
    shown = _text(bidder.get(_url(iid)))
    assert "4500.00" in shown and "4700" not in shown and "4200" not in shown
    # one sealed bid per unit: the page offers no second one and says why, in the service's words
    assert 'id="bid-form"' not in shown
    assert "集合竞价每家单位只能提交一次密封报价，提交后不得更改（R20）" in shown
    other = _text(browser(unit_c).get(_url(iid)))
    assert "4700.00" in other and "4500" not in other and "4200" not in other

    http.clock("2026-03-10T00:00:00+08:00")  # closed: still no other unit's price on this page
    shown = _text(bidder.get(_url(iid)))
    assert "4700" not in shown and 'id="bid-form"' not in shown and "竞价期已于" in shown


def test_R20_R26_R16_refused_bid_keeps_the_input_with_the_message_at_the_price(http, browser):
    _, unit_a = http.enterprise(XIHU)
    b, unit_b = http.enterprise(XIHU)
    iid = open_reserve_sale(http, unit_a, "auction", "4200.00")
    bidder = browser(unit_b)

    # R20 increment, in Chinese (the default)
    resp = _post(bidder, iid, price_per_tonne="4250.00", project_name="B厂扩建项目")
    assert resp.status_code == 422
    assert _field_error(resp) == (
        "报价 4250.00 元/吨过低：须不低于当前最高报价 4200.00 元/吨加最低加价幅度 100.00 元/吨，"
        "即 4300.00 元/吨（R20）")
    body = resp.get_data(as_text=True)
    assert 'value="4250.00"' in body and 'value="B厂扩建项目"' in body
    assert 'aria-invalid="true"' in body and _bids(iid) == 1

    # the same refusal on the English page
    resp = _post(bidder, iid, lang="en", price_per_tonne="4250.00")
    assert resp.status_code == 422
    assert _field_error(resp).startswith("A bid of 4250.00 yuan/t is too low: it must be at least")
    assert "4300.00 yuan/t" in _field_error(resp) and "R20" in _field_error(resp)
    assert "Your price (yuan per tonne)" in resp.get_data(as_text=True)

    # a price that is no amount; no price at all (the page's own check)
    bidder.get(_url(iid) + "?lang=zh_CN")
    resp = _post(bidder, iid, price_per_tonne="四千")
    assert resp.status_code == 422 and 'value="四千"' in resp.get_data(as_text=True)
    resp = _post(bidder, iid, price_per_tonne="")
    assert resp.status_code == 422 and _field_error(resp) == "请填写每吨报价。"

    # R26: a unit of another county needs the approval this same-county sale did not get
    _, unit_sc = http.enterprise(SHANGCHENG)
    resp = _post(browser(unit_sc), iid, price_per_tonne="5000.00")
    assert resp.status_code == 422 and "（R26）" in _field_error(resp)
    assert 'value="5000.00"' in resp.get_data(as_text=True)

    # R16: an unpaid fee notice past its deadline blocks the bidder; the refusal names it
    due = datetime(2026, 3, 2, tzinfo=SHANGHAI)
    db.session.add(FeeNotice(
        number="FN-BID-16", enterprise_id=b, region_code=XIHU, bureau_name="西湖区生态环境分局",
        province_code="330000", valid_from=date(2026, 1, 1), valid_to=date(2030, 12, 31),
        lines=[], amount=Decimal("2468.00"), finalised_at=due, issue_due_at=due, issued_at=due,
        due_at=due))
    db.session.commit()
    resp = _post(bidder, iid, price_per_tonne="4300.00")
    assert resp.status_code == 422
    assert "FN-BID-16" in _field_error(resp) and _field_error(resp).endswith("（R16）")
    db.session.execute(FeeNotice.__table__.update().where(FeeNotice.number == "FN-BID-16")
                       .values(status="paid"))
    db.session.commit()

    # R20: the bidding period is over (409), the input still kept; in English too
    http.clock("2026-03-10T00:00:01+08:00")
    page = bidder.get(_url(iid))
    assert 'id="bid-form"' not in page.get_data(as_text=True)  # nothing to offer any more
    resp = bidder.post(_url(iid), data={"csrf_token": _token(page.get_data(as_text=True)),
                                        "price_per_tonne": "4300.00"})
    assert resp.status_code == 409 and 'value="4300.00"' in resp.get_data(as_text=True)
    assert _field_error(resp) == (
        "该交易当前不在竞价期内，不接受报价（竞价期已于 2026-03-09 24:00 届满）（R20）")
    resp = _post(bidder, iid, lang="en", price_per_tonne="4300.00")
    assert resp.status_code == 409
    assert _field_error(resp).startswith("This trade is not taking bids (the bidding period ended")
    assert _bids(iid) == 1


def test_R20_listing_registers_at_the_listed_price_with_the_box_ticked(http, browser):
    _, unit_a = http.enterprise(XIHU)
    _, unit_b = http.enterprise(XIHU)
    iid = open_reserve_sale(http, unit_a, "listing", "4500.00")
    bidder = browser(unit_b)
    shown = _text(bidder.get(_url(iid)))
    assert "按挂牌价 4500.00 元/吨登记为意向受让方" in shown
    assert 'name="price_per_tonne"' not in shown
    resp = _post(bidder, iid, project_name="B厂项目")  # the box not ticked
    assert resp.status_code == 422 and _field_error(resp, "register").startswith("请勾选")
    assert 'value="B厂项目"' in resp.get_data(as_text=True)
    assert _post(bidder, iid, register="1").status_code == 302
    shown = _text(bidder.get(_url(iid)))
    assert "已按挂牌价 4500.00 元/吨登记为意向受让方" in shown and 'id="bid-form"' not in shown
    assert "贵单位已登记为意向受让方" in shown


def test_R20_CSRF_a_bid_posted_without_the_token_is_refused(http, browser):
    _, unit_a = http.enterprise(XIHU)
    _, unit_b = http.enterprise(XIHU)
    iid = open_reserve_sale(http, unit_a, "auction", "4200.00")
    bidder = browser(unit_b)
    bidder.get(_url(iid))
    resp = bidder.post(_url(iid), data={"price_per_tonne": "4300.00"})
    assert resp.status_code == 400 and "表单已过期或并非从本站提交" in resp.get_data(as_text=True)
    resp = bidder.post(_url(iid), data={"csrf_token": "forged", "price_per_tonne": "4300.00"})
    assert resp.status_code == 400
    assert _bids(iid) == 1


def test_R20_bureau_users_the_seller_and_anonymous_visitors_cannot_bid(http, client, browser):
    seller, unit_s = http.enterprise(XIHU)
    _, unit_a = http.enterprise(XIHU)
    http.lot(seller, "COD", "3.0000")
    iid = http.start(unit_a, seller, {"COD": "1.0000"}, "4500.00", method="auction")["id"]
    http.do("h_xihu", "certify", {"certify_decision": "certified", "opinion": "可交易"}, iid=iid)
    http.do("r_xihu", "subject_review", {"review_decision": "approved", "opinion": "符合"},
            iid=iid)
    http.do("h_xihu", "confirm_deposit", {"deposit_reference": "BZJ-S"}, iid=iid)

    # the seller: the page shows its sale and why it cannot bid (the service's refusal); a bid
    # posted anyway is refused the same way
    own = browser(unit_s)
    shown = _text(own.get(_url(iid)))
    assert "富余排污权" in shown and 'id="bid-form"' not in shown
    assert "不能向本单位购买" in shown and "买卖双方不能相同" in shown
    resp = own.post(_url(iid), data={"csrf_token": _token(own.get(_url(iid)).get_data(
        as_text=True)), "price_per_tonne": "5000.00"})
    assert resp.status_code == 422 and "不能向本单位购买" in _field_error(resp)

    # bureau staff over the sale: the same
    bureau = browser("h_xihu")
    shown = _text(bureau.get(_url(iid)))
    assert 'id="bid-form"' not in shown and "仅排污单位可以参与竞价" in shown
    resp = bureau.post(_url(iid), data={"csrf_token": _token(bureau.get(_url(iid)).get_data(
        as_text=True)), "price_per_tonne": "9000.00"})
    assert resp.status_code == 403 and _field_error(resp) == "仅排污单位可以参与竞价"

    # anonymous: sent to sign in, back to the sale afterwards
    resp = client.post(_url(iid), data={"csrf_token": _token(client.get("/login").get_data(
        as_text=True)), "price_per_tonne": "9000.00"})
    assert resp.status_code == 302 and f"next=/trading/trades/{iid}/bid" in resp.headers[
        "Location"]
    assert _bids(iid) == 1  # the applicant's offer only
    assert browser(unit_a).get("/trading/trades/999999/bid").status_code == 404


def test_R20_R27a_my_trades_lists_the_sales_bid_in_with_outcome_and_deposit(http, browser):
    a, unit_a = http.enterprise(XIHU)
    _, unit_b = http.enterprise(XIHU)
    _, unit_c = http.enterprise(XIHU)
    iid = open_reserve_sale(http, unit_a, "auction", "4200.00")
    assert _post(browser(unit_b), iid, price_per_tonne="4300.00").status_code == 302
    assert _post(browser(unit_c), iid, price_per_tonne="4500.00").status_code == 302
    assert _post(browser(unit_b), iid, price_per_tonne="4600.00").status_code == 302

    def card(username):
        body = browser(username).get("/my/trades")
        assert body.status_code == 200
        text = _text(body)
        found = re.search(rf'id="bid-{iid}".*?</article>', text, re.S)
        assert found, f"no sale {iid} on {username}'s page"
        part = found.group(0)
        outcome = re.search(r'data-outcome="(\w+)"', part).group(1)
        deposit = re.search(r'data-testid="deposit" data-status="(\w*)"', part).group(1)
        return outcome, deposit, part

    outcome, deposit, part = card(unit_b)
    assert (outcome, deposit) == ("open", "held")
    assert "4600.00 元/吨" in part and "竞价中" in part and "1260.00（已缴纳）" in part
    assert "我参与的竞价" in _text(browser(unit_b).get("/my/trades"))
    assert 'href="/my/trades"' in _text(browser(unit_b).get("/my/applications"))

    http.clock("2026-03-10T00:00:00+08:00")  # the test clock closes the bidding, no sleeping
    assert http.run_due() == 1
    assert card(unit_b)[0] == "deciding"
    http.do("h_xihu", "confirm_bidding", {"opinion": "竞价有效"}, iid=iid)

    assert card(unit_b)[:2] == ("won", "held")  # 4600 wins: its deposit counts toward the price
    outcome, deposit, part = card(unit_c)
    assert (outcome, deposit) == ("lost", "refunded") and "已退还" in part and "未竞得" in part
    assert card(unit_a)[:2] == ("lost", "refunded")  # the applicant's offer lost too
    assert browser("h_xihu").get("/my/trades").status_code == 403  # the unit's own page
    # in English
    page = browser(unit_c)
    page.get("/my/trades?lang=en")
    text = _text(page.get("/my/trades"))
    assert "Sales I bid in" in text and "Not won" in text and "Refunded" in text
