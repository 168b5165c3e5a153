"""The enterprise's "my applications" page."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from app.auth.access import page_auth
from app.enterprise_portal import queries

bp = Blueprint("enterprise_portal", __name__, template_folder="templates")


@bp.get("/my/applications")
@page_auth("enterprise")
def index():
    return render_template("enterprise_portal/index.html",
                           apps=queries.my_applications(current_user))
