"""The enterprise's pages: "my applications", "my trades" (sales bid in, surplus for sale) and "my
holdings" (also opened by bureau staff for a unit in their jurisdiction), and the printable review
decision."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.auth.access import page_auth
from app.auth.models import BUREAU_ROLES
from app.enterprise_portal import documents, holdings, queries, trades
from app.errors import NotFound
from app.public import pdf, printing

bp = Blueprint("enterprise_portal", __name__, template_folder="templates")


@bp.get("/my/applications")
@page_auth("enterprise")
def index():
    return render_template("enterprise_portal/index.html",
                           apps=queries.my_applications(current_user),
                           fees=queries.unpaid_fees(current_user))


@bp.get("/my/trades")
@page_auth("enterprise")
def my_trades():
    """R20, R27a: the sales the unit bid in (won, lost or still open, and its deposit); R19: the
    trades selling its surplus, with the step each stands at."""
    return render_template("enterprise_portal/trades.html", bids=trades.bids_of(current_user),
                           sales=trades.sales_of(current_user),
                           method_names=printing.METHOD_LABELS)


@bp.get("/my/holdings")
@page_auth("enterprise")
def my_holdings():
    """R37: the unit's balances per pollutant and its lots (expiring and leased-in marked)."""
    if not current_user.enterprise_id:
        raise NotFound(_l("您的账号未关联排污单位"))
    enterprise = holdings.visible_enterprise(user=current_user,
                                             enterprise_id=current_user.enterprise_id)
    return render_template("enterprise_portal/holdings.html",
                           holdings=holdings.of_enterprise(enterprise), own=True)


@bp.get("/enterprises/<int:enterprise_id>/holdings")
@page_auth("enterprise", "admin", *BUREAU_ROLES)
def enterprise_holdings(enterprise_id: int):
    """The same page for bureau staff over the unit's county (R7); 404 for anyone else."""
    enterprise = holdings.visible_enterprise(user=current_user, enterprise_id=enterprise_id)
    own = current_user.enterprise_id == enterprise.id
    return render_template("enterprise_portal/holdings.html",
                           holdings=holdings.of_enterprise(enterprise), own=own)


@bp.get("/documents/decisions/<int:instance_id>", defaults={"as_pdf": False})
@bp.get("/documents/decisions/<int:instance_id>.pdf", defaults={"as_pdf": True},
        endpoint="decision_pdf")
@page_auth()
def decision(instance_id: int, as_pdf: bool):
    """The printable review decision of an application (enterprise, starter or bureau, R7), as a
    page or a PDF."""
    doc = documents.latest_decision(user=current_user, instance_id=instance_id)
    return pdf.document("enterprise_portal/decision.html", as_pdf=as_pdf, filename=doc.number,
                        doc=doc)
