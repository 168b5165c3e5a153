"""Pages of the public area (R38 disclosure, R39 certificate verification): no login needed.

Five tabs: allocations under publication with the time left (R12), open sales announced while
they take bids (事前公告, R20), completed trades (R24), reserve balances (R33) and certificate
verification (R39). Lists are searched and paginated in SQL by app.public.services (open sales:
app.public.sales); nothing here shows personal data."""
from flask import Blueprint, render_template, request, url_for

from app.common import clock
from app.errors import NotFound, ValidationFailed
from app.ledger.models import PILOT_POLLUTANTS, POLLUTANTS
from app.public import printing, sales, services
from app.trading.services import public_certificate

bp = Blueprint("public", __name__, template_folder="templates", url_prefix="/public")


def _list(template: str, lister, *, tab: str):
    """Parse the filters (a bad one is shown and ignored), run the SQL-side list, render."""
    errors = {}
    try:
        filters = services.parse_filters(request.args)
    except ValidationFailed as exc:
        filters, errors = services.Filters(), exc.localized_fields() or {}
    page, per_page = services.page_numbers(request.args)
    result = lister(filters=filters, page=page, per_page=per_page)
    return render_template(
        template, tab=tab, result=result, filters=filters, errors=errors,
        regions=services.region_options(), pollutants=POLLUTANTS + PILOT_POLLUTANTS,
        page_url=_page_url, now=clock.now(), remaining=services.remaining,
        method_names=printing.METHOD_LABELS)


def _page_url(page: int) -> str:
    """The current list's address at another page, keeping its filters."""
    args = {k: v for k, v in request.args.items() if k not in ("page", "lang")}
    return url_for(request.endpoint, **args, page=page)


@bp.get("/")
def index():
    """R12, R38: allocations under publication, with the time left to apply for a review."""
    return _list("public/publications.html", services.publications, tab="publications")


@bp.get("/sales")
def sales_list():
    """R20, R38: sales by listing, auction or call auction while their bidding is open."""
    return _list("public/sales.html", sales.open_sales, tab="sales")


@bp.get("/trades")
def trades():
    """R24, R38: completed trades with their certificate numbers."""
    return _list("public/trades.html", services.trades, tab="trades")


@bp.get("/reserves")
def reserves():
    """R33, R38: reserve balances of the county, city and province bureaus."""
    return _list("public/reserves.html", services.reserves, tab="reserves")


@bp.get("/certificates")
@bp.get("/certificates/<number>")
def certificate(number: str | None = None):
    """R39: verify a certificate by its number (a forged or altered number is not found)."""
    number = (number or request.args.get("number") or "").strip()
    cert, status = None, 200
    if number:
        try:
            cert = public_certificate(number=number)
        except NotFound:
            status = 404
    return render_template("public/certificate.html", tab="verify", number=number, cert=cert,
                           method_names=printing.METHOD_LABELS), status
