"""Dashboards: a bureau's work (jurisdiction-scoped, R7) and, for administrators, the engine."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_login import current_user

from app.auth.access import page_auth
from app.common import clock
from app.dashboard import queries

bp = Blueprint("dashboard", __name__, template_folder="templates")


@bp.get("/dashboard")
@page_auth("handler", "reviewer", "approver", "admin")
def index():
    now = clock.now()
    regions = queries.scope(current_user)
    bureau = {
        "open_by_step": queries.open_work_by_step(regions, now),
        "overdue": queries.overdue_per_reviewer(regions, now, unassigned=_("Not claimed")),
        "median_hours": queries.median_hours_per_step(regions),
        "sla": queries.sla_by_month(regions),
    }
    admin = None
    if current_user.has_role("admin"):
        admin = {
            "versions": queries.instances_per_version(),
            "incidents": queries.incidents(),
            "incident_count": queries.incident_count(),
            "lag": queries.worker_lag(now),
        }
    return render_template("dashboard/index.html", bureau=bureau, admin=admin)
