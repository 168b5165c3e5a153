"""Dashboards: a bureau's work (jurisdiction-scoped, R7) and, for administrators, the engine."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.auth.access import in_jurisdiction, page_auth, subtree_codes
from app.common import clock
from app.dashboard import queries
from app.errors import NotFound

bp = Blueprint("dashboard", __name__, template_folder="templates")


@bp.get("/dashboard")
@page_auth("handler", "reviewer", "approver", "admin")
def index():
    now = clock.now()
    region = request.args.get("region") or None
    if region is not None:
        if not in_jurisdiction(current_user, region):  # R7: only within one's own jurisdiction
            raise NotFound(_l("地区不存在或不在管辖范围内"))
        regions = subtree_codes(region)
    else:
        regions = queries.scope(current_user)
    bureau = {
        "open_by_step": queries.open_work_by_step(regions, now),
        "overdue": queries.overdue_per_reviewer(regions, now, unassigned=_("Not claimed")),
        "median_hours": queries.median_hours_per_step(regions, now),
        "sla": queries.sla_by_month(regions, now),
    }
    admin = None
    if current_user.has_role("admin"):
        admin = {
            "versions": queries.instances_per_version(),
            "incidents": queries.incidents(),
            "incident_count": queries.incident_count(),
            "lag": queries.worker_lag(now),
        }
    return render_template("dashboard/index.html", bureau=bureau, admin=admin, region=region,
                           choices=queries.region_choices(current_user, region))
