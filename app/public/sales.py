"""Prior announcements of open sales (事前公告, R20, R38): trades by listing, auction or call
auction — reserve sales and surplus transfers — while their bidding period runs, with what a
bidder needs: method, seller, amounts, the announced price, the closing time, the deposit and how
to bid. Green-channel purchases have no announcement (R29: they go by agreement). No personal
data: not the applicant (a bidder like any other), not a call auction's sealed offer, no contact."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from app.auth.models import Region
from app.common import clock
from app.common.money import to_yuan
from app.common.paging import Page
from app.engine.models import ProcessInstance
from app.extensions import db
from app.public.services import (
    Filters,
    _enterprise_accounts,
    _like,
    _paged,
    _seller_names,
    _subtree,
    _time,
)

# R20: what each method announces as its price, and how to take part
PRICE_KINDS = {"listing": "listed", "auction": "starting", "call_auction": "reserve"}
HOW_TO_BID = {
    "listing": _l("Register as an intended buyer at the listed price before the listing closes. "
                  "With one intended buyer the deal is made at the listed price; with several, "
                  "they bid it up and the highest bid wins."),
    "auction": _l("Bid openly before the auction closes; each bid must beat the best bid so far "
                  "by at least the minimum increment. The highest bid wins."),
    "call_auction": _l("Submit one sealed bid, not below the reserve price, before the period "
                       "closes. Bids stay sealed until the close; the highest bid wins, the "
                       "earliest of equal bids first."),
}


@dataclass(frozen=True)
class OpenSale:
    instance_id: int
    method: str
    seller: str  # a unit's name, or "<region>储备"
    seller_kind: str  # enterprise | reserve
    region_code: str | None  # the seller's region (its bureau handles the sale)
    region_name: str | None
    amounts: dict
    price_kind: str  # listed | starting | reserve
    price_per_tonne: Decimal | None  # None: a call auction with no reserve price
    bid_increment: Decimal | None  # auction (and a listing's bid-up)
    deposit_ratio: Decimal | None
    deposit_amount: Decimal | None  # per bidder (R27a)
    announced_at: datetime | None
    closes_at: datetime | None
    bid_url: str
    how_to_bid: str


def _money(value) -> Decimal | None:
    return to_yuan(value) if value not in (None, "") else None


def _sale(inst: ProcessInstance, sellers: dict, region_name: str | None) -> OpenSale:
    summary = inst.summary or {}
    method = summary.get("method") or "auction"
    kind, seller_name = sellers[summary.get("seller")][:2]
    if method == "call_auction":
        price = _money(summary.get("reserve_price"))  # the applicant's offer stays sealed
    else:
        price = _money(summary.get("listed_price") or summary.get("price_per_tonne"))
    deposit = summary.get("deposit") or {}
    url = f"/api/v1/trades/{inst.id}/bids"
    how = " ".join((str(HOW_TO_BID.get(method, HOW_TO_BID["auction"])), _(
        "Eligible emission units bid after signing in, on the sale's bid page %(page)s or through "
        "POST %(url)s, and pay the deposit (R27a); a bidder that does not win gets its deposit "
        "back.", page=f"/trading/trades/{inst.id}/bid", url=url)))
    return OpenSale(
        instance_id=inst.id, method=method, seller=seller_name, seller_kind=kind,
        region_code=inst.handling_region, region_name=region_name,
        amounts={str(k): str(v) for k, v in (summary.get("amounts") or {}).items()},
        price_kind=PRICE_KINDS.get(method, "starting"), price_per_tonne=price,
        bid_increment=_money(summary.get("bid_increment")) if method != "call_auction" else None,
        deposit_ratio=_money(deposit.get("ratio")), deposit_amount=_money(deposit.get("amount")),
        announced_at=_time(summary.get("bidding_opened_at")),
        closes_at=_time(summary.get("bidding_closes_at")), bid_url=url, how_to_bid=how)


def open_sales(*, filters: Filters | None = None, page: int = 1, per_page: int = 50) -> Page:
    """R20, R38: running trades whose public bidding period is open, closing soonest first. The
    close is compared in SQL on the summary's ISO text, always written in +08:00."""
    filters = filters or Filters()
    now_text = clock.local(clock.now()).isoformat()
    closes = ProcessInstance.summary["bidding_closes_at"].as_string()
    conditions = [
        ProcessInstance.key == "trade",
        ProcessInstance.status == "running",
        ProcessInstance.summary["bidding_opened_at"].as_string().is_not(None),
        closes > now_text,
    ]
    if filters.q:
        like = _like(filters.q)
        conditions.append(or_(
            ProcessInstance.summary["seller"].as_string().in_(_enterprise_accounts(like)),
            Region.name.like(like, escape="\\")))
    if filters.region:
        conditions.append(ProcessInstance.handling_region.in_(_subtree(filters.region)))
    if filters.pollutant:
        conditions.append(
            ProcessInstance.summary[("amounts", filters.pollutant)].as_string().is_not(None))
    base = (select(ProcessInstance, Region.name)
            .outerjoin(Region, Region.code == ProcessInstance.handling_region)
            .where(*conditions))
    count = (select(func.count()).select_from(ProcessInstance)
             .outerjoin(Region, Region.code == ProcessInstance.handling_region)
             .where(*conditions))
    rows, total = _paged(base.order_by(closes, ProcessInstance.id), count, page, per_page)
    sellers = _seller_names([(inst.summary or {}).get("seller") for inst, _name in rows])
    return Page([_sale(inst, sellers, name) for inst, name in rows], total, page, per_page)


def announced(inst: ProcessInstance) -> OpenSale:
    """R20, R38: one sale as its announcement shows it — for the bid page, also once closed."""
    sellers = _seller_names([(inst.summary or {}).get("seller")])
    region = db.session.get(Region, inst.handling_region) if inst.handling_region else None
    return _sale(inst, sellers, region.name if region else None)
