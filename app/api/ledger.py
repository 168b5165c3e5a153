"""API routes: ledger — registering lots (R1, R2, R37), holdings, reserves, attainment (R27)."""
from __future__ import annotations

from flask import jsonify, request
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError

from app.api import bp
from app.api.schemas.ledger import (
    AttainmentInSchema,
    AttainmentSchema,
    HoldingsSchema,
    LotCreateSchema,
    LotSchema,
    ReserveBalancesSchema,
)
from app.auth.access import actor, api_auth, in_jurisdiction
from app.auth.enterprises import get_visible_enterprise
from app.auth.models import BUREAU_ROLES, Region
from app.common import clock
from app.common.money import fmt_tonnes
from app.errors import BadRequest, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.ledger import policy, services
from app.ledger.models import RightsLot


def _flatten(messages, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested messages as `{"days.0.date": [...]}`."""
    if isinstance(messages, list):
        return {prefix or "_schema": [str(m) for m in messages]}
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def load_json(schema: Schema) -> dict:
    """The request's JSON object loaded by `schema`: 400 when malformed, 422 with fields."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise BadRequest(_l("请求体应为 JSON 对象"))
    try:
        return schema.load(payload)
    except ValidationError as err:
        raise ValidationFailed(_l("请求数据有误"), fields=_flatten(err.messages)) from err


def _lot_out(lot: RightsLot) -> dict:
    return {
        "id": lot.id,
        "owner": str(lot.enterprise_id) if lot.owner_kind == "enterprise"
        else f"reserve:{lot.reserve_region}",
        "pollutant": lot.pollutant,
        "tonnes": fmt_tonnes(lot.balance),
        "valid_from": lot.valid_from,
        "valid_to": lot.valid_to,
        "acquisition": lot.acquisition,
        "certificate": lot.certificate_no,
        "temporary": lot.temporary,
        "origin_lot_id": lot.origin_lot_id,
    }


def _balances_out(balances: dict) -> dict[str, str]:
    return {pollutant: fmt_tonnes(t) for pollutant, t in balances.items()}


@bp.post("/admin/lots")
@api_auth("admin")
def create_lot():
    """Register rights that exist from before the system (存量登记, R1, R2, R37).
    ---
    post:
      tags: [ledger]
      requestBody: {content: {application/json: {schema: LotCreateSchema}}}
      responses:
        201: {content: {application/json: {schema: LotSchema}}}
        422: {description: "bad owner, pollutant (R2), tonnes (R1) or validity"}
    """
    body = load_json(LotCreateSchema())
    lot = services.register_lot(
        owner=body["owner"],
        pollutant=body["pollutant"],
        tonnes=body["tonnes"],
        valid_from=body["valid_from"],
        valid_to=body["valid_to"],
        acquisition=body["acquisition"],
        actor_id=actor().id,
    )
    db.session.commit()
    return jsonify(LotSchema().dump(_lot_out(lot))), 201


@bp.get("/enterprises/<int:enterprise_id>/holdings")
@api_auth("enterprise", "admin", *BUREAU_ROLES)
def enterprise_holdings(enterprise_id: int):
    """An enterprise's balances per pollutant and its current lots (R37; expired lots excluded).
    ---
    get:
      tags: [ledger]
      parameters: [{name: enterprise_id, in: path, required: true, schema: {type: integer}}]
      responses:
        200: {content: {application/json: {schema: HoldingsSchema}}}
        403: {description: not the enterprise's own user nor a bureau in jurisdiction}
        404: {description: no such enterprise}
    """
    enterprise = get_visible_enterprise(user=actor(), enterprise_id=enterprise_id)
    owner = services.Owner("enterprise", enterprise_id=enterprise.id)
    return jsonify(
        HoldingsSchema().dump(
            {
                "enterprise_id": enterprise.id,
                "balances": _balances_out(services.balances(owner)),
                "lots": [_lot_out(lot) for lot in services.lots(owner)],
            }
        )
    )


@bp.get("/reserves/<region_code>")
@api_auth("admin", *BUREAU_ROLES)
def reserve_balances(region_code: str):
    """A bureau's government reserve balances per pollutant (R33, R37).
    ---
    get:
      tags: [ledger]
      parameters: [{name: region_code, in: path, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: ReserveBalancesSchema}}}
        403: {description: region outside the caller's jurisdiction}
        404: {description: no such region}
    """
    if db.session.get(Region, region_code) is None:
        raise NotFound(_l("行政区划不存在：%(code)s", code=region_code))
    if not in_jurisdiction(actor(), region_code):
        raise Forbidden(_l("无权查看该地区的储备"))
    owner = services.Owner("reserve", region_code=region_code)
    return jsonify(
        ReserveBalancesSchema().dump(
            {"region_code": region_code, "balances": _balances_out(services.balances(owner))}
        )
    )


def _attainment_out(row) -> dict:
    return {
        "region_code": row.region_code,
        "year": row.year,
        "air": row.air,
        "water": row.water,
        "updated_at": clock.local(row.updated_at).isoformat(),
    }


@bp.put("/admin/attainment/<region_code>/<int:year>")
@api_auth("admin")
def put_attainment(region_code: str, year: int):
    """Record whether a region met its air and water quality targets in a year (R27).
    ---
    put:
      tags: [ledger]
      parameters:
        - {name: region_code, in: path, required: true, schema: {type: string}}
        - {name: year, in: path, required: true, schema: {type: integer}}
      requestBody: {content: {application/json: {schema: AttainmentInSchema}}}
      responses:
        200: {content: {application/json: {schema: AttainmentSchema}}}
        404: {description: no such region}
        422: {description: air or water missing or not a boolean}
    """
    body = load_json(AttainmentInSchema())
    row = policy.set_attainment(
        region_code=region_code, year=year, air=body["air"], water=body["water"],
        actor_id=actor().id,
    )
    db.session.commit()
    return jsonify(AttainmentSchema().dump(_attainment_out(row)))


@bp.get("/admin/attainment/<region_code>/<int:year>")
@api_auth("admin", *BUREAU_ROLES)
def get_attainment(region_code: str, year: int):
    """Read a region's recorded attainment for a year (R27).
    ---
    get:
      tags: [ledger]
      parameters:
        - {name: region_code, in: path, required: true, schema: {type: string}}
        - {name: year, in: path, required: true, schema: {type: integer}}
      responses:
        200: {content: {application/json: {schema: AttainmentSchema}}}
        404: {description: not recorded}
    """
    row = policy.attainment(region_code=region_code, year=year)
    if row is None:
        raise NotFound(_l("未录入 %(code)s %(year)s 年的达标情况", code=region_code, year=year))
    return jsonify(AttainmentSchema().dump(_attainment_out(row)))
