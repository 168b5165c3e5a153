"""The enterprise's "my applications" page."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from app.auth.access import page_auth
from app.enterprise_portal import documents, queries

bp = Blueprint("enterprise_portal", __name__, template_folder="templates")


@bp.get("/my/applications")
@page_auth("enterprise")
def index():
    return render_template("enterprise_portal/index.html",
                           apps=queries.my_applications(current_user),
                           fees=queries.unpaid_fees(current_user))


@bp.get("/documents/decisions/<int:instance_id>")
@page_auth()
def decision(instance_id: int):
    """The printable review decision of an application (enterprise, starter or bureau, R7)."""
    doc = documents.latest_decision(user=current_user, instance_id=instance_id)
    return render_template("enterprise_portal/decision.html", doc=doc)
