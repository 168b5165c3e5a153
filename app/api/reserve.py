"""API routes: government reserves — history, sales covered by allocation trades (R33–R35),
the expiry sweep and the 60-day reminders (R37)."""
from __future__ import annotations

from flask import jsonify
from flask_babel import lazy_gettext as _l

from app.api import bp
from app.api.admin import page_args
from app.api.ledger import load_json
from app.api.schemas.reserve import (
    ExpiryReminderListSchema,
    ReserveHistorySchema,
    ReserveSaleInSchema,
    ReserveSaleSchema,
    SweepSchema,
)
from app.auth.access import actor, api_auth, in_jurisdiction
from app.auth.enterprises import get_visible_enterprise
from app.auth.models import BUREAU_ROLES, Enterprise, Region
from app.common import clock
from app.common.money import fmt_tonnes
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.ledger import services as ledger
from app.reserve import services
from app.reserve.services import parse_amounts


def _region(region_code: str) -> Region:
    region = db.session.get(Region, region_code)
    if region is None:
        raise NotFound(_l("行政区划不存在：%(code)s", code=region_code))
    if not in_jurisdiction(actor(), region_code):
        raise Forbidden(_l("无权查看该地区的储备"))
    return region


@bp.get("/reserves/<region_code>/history")
@api_auth("admin", *BUREAU_ROLES)
def reserve_history(region_code: str):
    """A bureau's reserve balances and its ledger entries, newest first (R33, R34, R37).
    ---
    get:
      tags: [reserve]
      parameters:
        - {name: region_code, in: path, required: true, schema: {type: string}}
        - {name: pollutant, in: query, schema: {type: string}}
        - {name: page, in: query, schema: {type: integer}}
        - {name: per_page, in: query, schema: {type: integer}}
      responses:
        200: {content: {application/json: {schema: ReserveHistorySchema}}}
        403: {description: region outside the caller's jurisdiction}
        404: {description: no such region}
    """
    from flask import request

    _region(region_code)
    page, per_page = page_args()
    query = services.history_query(region_code=region_code,
                                   pollutant=request.args.get("pollutant") or None)
    total = db.session.scalar(db.select(db.func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.offset((page - 1) * per_page).limit(per_page)).all()
    items = []
    for entry in rows:
        row = services.describe(entry)
        items.append({"id": row.id, "at": clock.local(row.at).isoformat(),
                      "pollutant": row.pollutant, "tonnes": fmt_tonnes(row.tonnes),
                      "cause": row.cause, "kind": row.kind, "counterparty": row.counterparty,
                      "instance_id": row.instance_id, "note": row.note})
    balances = ledger.balances(ledger.Owner("reserve", region_code=region_code))
    return jsonify(ReserveHistorySchema().dump({
        "region_code": region_code,
        "balances": {p: fmt_tonnes(t) for p, t in balances.items()},
        "items": items, "total": total, "page": page, "per_page": per_page}))


@bp.post("/reserves/<region_code>/sales")
@api_auth("handler", "approver", "admin")
def reserve_sale(region_code: str):
    """Sell reserve rights to a unit; a short county reserve is covered by the city, then the
    province reserve by an allocation trade (调配交易) first (R34).
    ---
    post:
      tags: [reserve]
      parameters: [{name: region_code, in: path, required: true, schema: {type: string}}]
      requestBody: {content: {application/json: {schema: ReserveSaleInSchema}}}
      responses:
        201: {content: {application/json: {schema: ReserveSaleSchema}}}
        403: {description: region outside the caller's jurisdiction}
        404: {description: no such region}
        409: {description: "no reserve up to the province covers it (rule R34)"}
        422: {description: bad amounts or unit}
    """
    _region(region_code)
    body = load_json(ReserveSaleInSchema())
    enterprise = db.session.get(Enterprise, body["enterprise_id"])
    if enterprise is None:
        raise NotFound(_l("企业不存在：%(id)s", id=body["enterprise_id"]))
    amounts = parse_amounts(body["amounts"], region_code=region_code)
    result = services.sell_from_reserve(
        region_code=region_code, enterprise_id=enterprise.id, amounts=amounts,
        price_per_tonne=body.get("price_per_tonne"), actor_id=actor().id)
    db.session.commit()
    return jsonify(ReserveSaleSchema().dump(result)), 201


@bp.post("/admin/ledger/sweep")
@api_auth("admin")
def ledger_sweep():
    """Run the daily ledger sweep now: expiry entries and 60-day reminders (R37).
    ---
    post:
      tags: [reserve]
      description: The worker runs the same sweep on every round.
      responses:
        200: {content: {application/json: {schema: SweepSchema}}}
    """
    result = services.sweep()
    db.session.commit()
    return jsonify(SweepSchema().dump(result))


@bp.get("/enterprises/<int:enterprise_id>/expiry-reminders")
@api_auth("enterprise", "admin", *BUREAU_ROLES)
def expiry_reminders(enterprise_id: int):
    """The unit's reminders that its rights expire within 60 days.
    ---
    get:
      tags: [reserve]
      parameters: [{name: enterprise_id, in: path, required: true, schema: {type: integer}}]
      responses:
        200: {content: {application/json: {schema: ExpiryReminderListSchema}}}
        403: {description: not the unit's own user nor a bureau in jurisdiction}
        404: {description: no such enterprise}
    """
    enterprise = get_visible_enterprise(user=actor(), enterprise_id=enterprise_id)
    return jsonify(ExpiryReminderListSchema().dump(
        {"items": services.reminders(enterprise_id=enterprise.id)}))
