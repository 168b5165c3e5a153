"""Dashboards: a bureau's work (jurisdiction-scoped, R7) and, for administrators, the engine."""

from __future__ import annotations

import unicodedata

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.auth.access import in_jurisdiction, page_auth, subtree_codes
from app.common import clock
from app.dashboard import palette, queries
from app.errors import NotFound

bp = Blueprint("dashboard", __name__, template_folder="templates")
bp.add_app_template_global(palette, "chart_palette")


@bp.app_template_filter("fit_label")
def fit_label(text, width: int = 26) -> str:
    """`text` cut to fit a chart's label column: `width` half-width units, a Chinese character
    counting two (the whole label stays in the bar's tooltip and the table)."""
    text = str(text)
    widths = [2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text]
    if sum(widths) <= width:
        return text
    used, cut = 0, 0
    while used + widths[cut] <= width - 1:  # one unit left for the ellipsis
        used += widths[cut]
        cut += 1
    return text[:cut].rstrip() + "…"


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
    stale_after = float(current_app.config.get("ERFLOW_WORKER_STALE_SECONDS", 60))
    if current_user.has_role("admin"):
        admin = {
            "versions": queries.instances_per_version(),
            "incidents_by_process": queries.incidents_per_process(),
            "incidents": queries.incidents(),
            "incident_count": queries.incident_count(),
            "lag": queries.worker_lag(now),
            "lag_buckets": queries.timer_lag_buckets(now),
            "heartbeats": queries.heartbeat_ages(now, stale_after=stale_after),
            "stale_after": int(stale_after),
        }
    return render_template("dashboard/index.html", bureau=bureau, admin=admin, region=region,
                           choices=queries.region_choices(current_user, region))
