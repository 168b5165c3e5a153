"""Public disclosure reads (R38): allocations under publication, completed trades (from the
certificate register, R24, R39) and reserve balances (R33). Every list is filtered, counted and
paginated in SQL; balances come from the ledger (app.ledger.services.balances), never recounted
here. No personal data leaves this module: enterprise names, credit codes and regions are public,
contact people, phones and user names are not."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, cast, func, literal, select
from sqlalchemy.orm import aliased

from app.auth.models import Bureau, Enterprise, Region
from app.common import clock
from app.common.paging import Page
from app.engine.models import ProcessInstance
from app.errors import Text, ValidationFailed
from app.extensions import db
from app.ledger import services as ledger
from app.ledger.models import PILOT_POLLUTANTS, POLLUTANTS, ReserveAccount, RightsLot
from app.trading.models import Certificate

PER_PAGE_DEFAULT = 20
PER_PAGE_MAX = 200  # as the API's lists
Q_MAX = 100


@dataclass(frozen=True)
class Filters:
    """What a visitor may narrow a list by (R38): a name or certificate number, a region with its
    subtree (R7), a pollutant, and issue dates for trades."""

    q: str = ""
    region: str | None = None
    pollutant: str | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class Publication:
    instance_id: int
    business_key: str | None
    enterprise_id: int | None
    enterprise_name: str | None
    credit_code: str | None
    region_code: str | None
    region_name: str | None
    amounts: dict
    published_at: datetime | None
    window_closes_at: datetime | None


@dataclass(frozen=True)
class Trade:
    number: str
    issued_at: datetime
    region_code: str
    region_name: str
    buyer: str
    buyer_credit_code: str
    seller: str
    seller_kind: str  # enterprise | reserve
    seller_region_code: str | None  # a reserve's region
    seller_region_name: str | None
    amounts: dict
    price_per_tonne: Decimal
    method: str


@dataclass(frozen=True)
class ReserveBalance:
    region_code: str
    region_name: str
    level: str  # county | city | province (R33)
    bureau: str | None
    balances: dict = field(default_factory=dict)  # pollutant → tonnes (str)


# -- request parsing ---------------------------------------------------------------------------

def parse_filters(args: Mapping) -> Filters:
    """Filters from query arguments; 422 (ValidationFailed) naming each bad field."""
    errors: dict[str, list[Text]] = {}
    q = str(args.get("q") or "").strip()[:Q_MAX]
    region = str(args.get("region") or "").strip() or None
    if region and db.session.get(Region, region) is None:
        errors["region"] = [_l("未知的行政区划代码：%(code)s", code=region)]
    pollutant = str(args.get("pollutant") or "").strip() or None
    if pollutant and pollutant not in POLLUTANTS + PILOT_POLLUTANTS:
        errors["pollutant"] = [_l("未知的污染物：%(name)s", name=pollutant)]
    days = {}
    for name in ("date_from", "date_to"):
        raw = str(args.get(name) or "").strip()
        try:
            days[name] = date.fromisoformat(raw) if raw else None
        except ValueError:
            errors[name] = [_l("日期格式应为 YYYY-MM-DD")]
    if days.get("date_from") and days.get("date_to") and days["date_from"] > days["date_to"]:
        errors["date_to"] = [_l("结束日期不能早于开始日期")]
    if errors:
        raise ValidationFailed(_l("查询条件有误"), fields=errors)
    return Filters(q=q, region=region, pollutant=pollutant,
                   date_from=days.get("date_from"), date_to=days.get("date_to"))


def page_numbers(args: Mapping, *, default: int = PER_PAGE_DEFAULT) -> tuple[int, int]:
    """`page` and `per_page` for the pages: out-of-range or unreadable values fall back."""
    def number(name: str, fallback: int) -> int:
        try:
            return int(args.get(name, fallback))
        except (TypeError, ValueError):
            return fallback
    return max(number("page", 1), 1), min(max(number("per_page", default), 1), PER_PAGE_MAX)


# -- shared SQL pieces -------------------------------------------------------------------------

def _subtree(code: str):
    """R7: the codes of `code` and every region below it, as a subquery (prefix of `path`)."""
    path = select(Region.path).where(Region.code == code).scalar_subquery()
    return select(Region.code).where(Region.path.startswith(path))


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _paged(query, count_query, page: int, per_page: int):
    total = db.session.scalar(count_query) or 0
    rows = db.session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    return rows, total


def _time(value) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=clock.SHANGHAI)


# -- allocations under publication (R12, R38) --------------------------------------------------

def publications(*, filters: Filters = Filters(), page: int = 1,
                 per_page: int = 50) -> Page:
    """R12, R38: running allocations whose publication window is still open and that are not
    final yet, closing soonest first. The window's close is compared in SQL on the summary's ISO
    text, which the process always writes in +08:00 (so text order is time order)."""
    now_text = clock.local(clock.now()).isoformat()
    closes = ProcessInstance.summary["window_closes_at"].as_string()
    conditions = [
        ProcessInstance.key == "allocation",
        ProcessInstance.status == "running",
        closes > now_text,
        ProcessInstance.summary["final_amounts"].as_string().is_(None),
    ]
    if filters.q:
        conditions.append(Enterprise.name.like(_like(filters.q), escape="\\")
                          | (Enterprise.credit_code == filters.q.upper()))
    if filters.region:
        conditions.append(Enterprise.region_code.in_(_subtree(filters.region)))
    if filters.pollutant:
        conditions.append(
            ProcessInstance.summary[("amounts", filters.pollutant)].as_string().is_not(None))
    base = (select(ProcessInstance, Enterprise.name, Enterprise.credit_code,
                   Enterprise.region_code, Region.name)
            .outerjoin(Enterprise, Enterprise.id == ProcessInstance.enterprise_id)
            .outerjoin(Region, Region.code == Enterprise.region_code)
            .where(*conditions))
    count = (select(func.count()).select_from(ProcessInstance)
             .outerjoin(Enterprise, Enterprise.id == ProcessInstance.enterprise_id)
             .where(*conditions))
    rows, total = _paged(base.order_by(closes, ProcessInstance.id), count, page, per_page)
    items = []
    for inst, name, credit_code, region_code, region_name in rows:
        summary = inst.summary or {}
        items.append(Publication(
            instance_id=inst.id, business_key=inst.business_key,
            enterprise_id=inst.enterprise_id, enterprise_name=name, credit_code=credit_code,
            region_code=region_code, region_name=region_name,
            amounts={str(k): str(v) for k, v in (summary.get("amounts") or {}).items()},
            published_at=_time(summary.get("published_at")),
            window_closes_at=_time(summary.get("window_closes_at")),
        ))
    return Page(items, total, page, per_page)


def remaining(closes: datetime | None, now: datetime | None = None) -> tuple[int, int, int]:
    """R12: (days, hours, minutes) left until a window closes, never negative."""
    if closes is None:
        return 0, 0, 0
    seconds = max(0, int((closes - (now or clock.now())).total_seconds()))
    return seconds // 86400, seconds % 86400 // 3600, seconds % 3600 // 60


# -- completed trades (R24, R38, R39) ----------------------------------------------------------

def _enterprise_accounts(name_like: str):
    """Ledger account strings (`enterprise:<id>`) of the units whose name matches."""
    return select(literal("enterprise:") + cast(Enterprise.id, String)).where(
        Enterprise.name.like(name_like, escape="\\"))


def trades(*, filters: Filters = Filters(), page: int = 1, per_page: int = 50) -> Page:
    """R38: deals settled with an electronic certificate, newest first, read from the certificate
    register (region, buyer, seller, amounts, price, method, issue time)."""
    buyer = aliased(Enterprise)
    conditions = []
    if filters.q:
        like = _like(filters.q)
        conditions.append(
            Certificate.number.like(like, escape="\\")
            | buyer.name.like(like, escape="\\")
            | Certificate.seller.in_(_enterprise_accounts(like)))
    if filters.region:
        conditions.append(Certificate.region_code.in_(_subtree(filters.region)))
    if filters.pollutant:
        conditions.append(Certificate.amounts[filters.pollutant].as_string().is_not(None))
    if filters.date_from:
        start = datetime.combine(filters.date_from, time(), tzinfo=clock.SHANGHAI)
        conditions.append(Certificate.issued_at >= start)
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time(), tzinfo=clock.SHANGHAI)
        conditions.append(Certificate.issued_at < end)
    base = (select(Certificate, buyer.name, buyer.credit_code, Region.name)
            .join(buyer, buyer.id == Certificate.buyer_id)
            .join(Region, Region.code == Certificate.region_code)
            .where(*conditions))
    count = (select(func.count()).select_from(Certificate)
             .join(buyer, buyer.id == Certificate.buyer_id).where(*conditions))
    rows, total = _paged(base.order_by(Certificate.issued_at.desc(), Certificate.id.desc()),
                         count, page, per_page)
    sellers = _seller_names([cert.seller for cert, *_ in rows])
    items = []
    for cert, buyer_name, credit_code, region_name in rows:
        kind, seller_name, seller_region, seller_region_name = sellers[cert.seller]
        items.append(Trade(
            number=cert.number, issued_at=cert.issued_at, region_code=cert.region_code,
            region_name=region_name, buyer=buyer_name, buyer_credit_code=credit_code,
            seller=seller_name, seller_kind=kind, seller_region_code=seller_region,
            seller_region_name=seller_region_name,
            amounts={str(k): str(v) for k, v in (cert.amounts or {}).items()},
            price_per_tonne=cert.price_per_tonne, method=cert.method,
        ))
    return Page(items, total, page, per_page)


def _seller_names(accounts: list[str]) -> dict[str, tuple]:
    """account → (kind, public name, reserve region code, its name) for one page of
    certificates: a unit's name, or "<region>储备" (西湖区储备) for a government reserve (R33)."""
    enterprise_ids, regions = set(), set()
    for account in accounts:
        owner = ledger.Owner.parse(account)
        if owner.kind == "enterprise":
            enterprise_ids.add(owner.enterprise_id)
        elif owner.kind == "reserve":
            regions.add(owner.region_code)
    names = dict(db.session.execute(select(Enterprise.id, Enterprise.name)
                                    .where(Enterprise.id.in_(enterprise_ids))).all()
                 ) if enterprise_ids else {}
    region_names = dict(db.session.execute(select(Region.code, Region.name)
                                           .where(Region.code.in_(regions))).all()
                        ) if regions else {}
    out = {}
    for account in accounts:
        owner = ledger.Owner.parse(account)
        if owner.kind == "enterprise":
            out[account] = ("enterprise", names.get(owner.enterprise_id, account), None, None)
        else:
            region = owner.region_code
            name = region_names.get(region, region)
            out[account] = ("reserve", f"{name}储备", region, name)
    return out


# -- reserve balances (R33, R38) ---------------------------------------------------------------

def reserves(*, filters: Filters = Filters(), page: int = 1, per_page: int = 50) -> Page:
    """R33, R38: the county, city and province reserve accounts with their unexpired balances per
    pollutant (from the ledger), province first then down the tree. A pollutant filter keeps the
    accounts that hold some of it and shows only that pollutant."""
    conditions = []
    if filters.q:
        like = _like(filters.q)
        conditions.append(Region.name.like(like, escape="\\") | Bureau.name.like(like, escape="\\"))
    if filters.region:
        conditions.append(ReserveAccount.region_code.in_(_subtree(filters.region)))
    if filters.pollutant:
        conditions.append(ReserveAccount.region_code.in_(
            select(RightsLot.reserve_region).where(
                RightsLot.owner_kind == "reserve", RightsLot.pollutant == filters.pollutant,
                RightsLot.balance > 0, RightsLot.valid_to >= clock.today())))
    base = (select(ReserveAccount.region_code, Region.name, Region.level, Bureau.name)
            .join(Region, Region.code == ReserveAccount.region_code)
            .outerjoin(Bureau, Bureau.region_code == ReserveAccount.region_code)
            .where(*conditions))
    count = (select(func.count()).select_from(ReserveAccount)
             .join(Region, Region.code == ReserveAccount.region_code)
             .outerjoin(Bureau, Bureau.region_code == ReserveAccount.region_code)
             .where(*conditions))
    rows, total = _paged(base.order_by(Region.path), count, page, per_page)
    items = []
    for code, name, level, bureau in rows:
        held = ledger.balances(ledger.Owner("reserve", region_code=code))
        if filters.pollutant:
            held = {k: v for k, v in held.items() if k == filters.pollutant}
        items.append(ReserveBalance(region_code=code, region_name=name, level=level,
                                    bureau=bureau, balances={k: str(v) for k, v in held.items()}))
    return Page(items, total, page, per_page)


def region_options() -> list[tuple[str, str, str]]:
    """(code, name, level) of every region, province first then down the tree, for the filter."""
    return [tuple(row) for row in db.session.execute(
        select(Region.code, Region.name, Region.level).order_by(Region.path)).all()]
