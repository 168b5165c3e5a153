"""Pages of the government reserve (R33, R34, R37): the reserves a bureau may see with their
balances, and one reserve's history (buybacks, recoveries, allocation trades, sales, expiry)."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.auth.access import actor, in_jurisdiction, page_auth, subtree_codes
from app.auth.models import BUREAU_ROLES, Region
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.ledger import services as ledger
from app.ledger.models import ReserveAccount
from app.reserve import services

bp = Blueprint("reserve", __name__, template_folder="templates", url_prefix="/reserves")
PER_PAGE = 50


@bp.get("/")
@page_auth(*BUREAU_ROLES, "admin")
def index():
    """The caller's own reserve and every reserve account below it, with balances (R33)."""
    user = actor()
    codes = set(db.session.scalars(select(ReserveAccount.region_code)))
    if user.region_code:
        reach = set(subtree_codes(user.region_code))
        codes = {c for c in codes if c in reach} | {user.region_code}
    regions = db.session.scalars(
        select(Region).where(Region.code.in_(codes)).order_by(Region.path)).all()
    rows = [(r, ledger.balances(ledger.Owner("reserve", region_code=r.code))) for r in regions]
    return render_template("reserve/index.html", rows=rows)


@bp.get("/<region_code>")
@page_auth(*BUREAU_ROLES, "admin")
def detail(region_code: str):
    """One reserve: balances and its entries, newest first (R34 allocation trades marked)."""
    region = db.session.get(Region, region_code)
    if region is None:
        raise NotFound(_l("行政区划不存在"))
    if not in_jurisdiction(actor(), region_code):
        raise Forbidden(_l("无权查看该地区的储备"))
    try:
        page = max(int(request.args.get("page", 1)), 1)
    except ValueError:
        page = 1
    query = services.history_query(region_code=region_code)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    entries = db.session.scalars(query.offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    return render_template(
        "reserve/detail.html", region=region,
        balances=ledger.balances(ledger.Owner("reserve", region_code=region_code)),
        rows=[services.describe(e) for e in entries], page=page,
        pages=max((total + PER_PAGE - 1) // PER_PAGE, 1), total=total,
        allocation_trade=services.ALLOCATION_TRADE)
