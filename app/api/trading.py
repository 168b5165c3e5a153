"""API routes: trading — the contract of a trade (R24) and mediation requests (R25). Trades are
started and worked through /processes/trade/instances and /tasks; certificates are verified at
/public/certificates/{number} (R39)."""
from __future__ import annotations

from flask import jsonify, url_for

from app.api import bp
from app.api.auth import load_body
from app.api.schemas.trading import (
    MediationListSchema,
    MediationRequestInSchema,
    MediationRequestSchema,
    TradeContractSchema,
)
from app.auth.access import actor, api_auth
from app.extensions import db
from app.trading import services as trading


@bp.get("/trades/<int:instance_id>/contract")
@api_auth()
def trade_contract(instance_id: int):
    """The trade's contract from the template, with its printable page (R24).
    ---
    get:
      tags: [trading]
      parameters: [{name: instance_id, in: path, required: true, schema: {type: integer}}]
      responses:
        200: {content: {application/json: {schema: TradeContractSchema}}}
        401: {description: no valid token}
        404: {description: no such trade (or the caller takes no part in it)}
    """
    inst = trading.get_trade(user=actor(), instance_id=instance_id)
    body = {**trading.contract_terms(inst),
            "print_url": url_for("trading.contract", instance_id=inst.id)}
    return jsonify(TradeContractSchema().dump(body))


@bp.post("/trades/<int:instance_id>/mediation")
@api_auth()
def request_mediation(instance_id: int):
    """File a dispute for mediation by the trading administration while the trade is open (R25).
    ---
    post:
      tags: [trading]
      parameters: [{name: instance_id, in: path, required: true, schema: {type: integer}}]
      requestBody: {content: {application/json: {schema: MediationRequestInSchema}}}
      responses:
        201: {content: {application/json: {schema: MediationRequestSchema}}}
        401: {description: no valid token}
        404: {description: no such trade (or the caller takes no part in it)}
        409: {description: the trade has ended (R25)}
        422: {description: no reason given}
    """
    body = load_body(MediationRequestInSchema())
    row = trading.request_mediation(user=actor(), instance_id=instance_id, reason=body["reason"])
    db.session.commit()
    return jsonify(MediationRequestSchema().dump(row)), 201


@bp.get("/trades/<int:instance_id>/mediation")
@api_auth()
def list_mediation(instance_id: int):
    """The trade's mediation requests (R25), oldest first.
    ---
    get:
      tags: [trading]
      parameters: [{name: instance_id, in: path, required: true, schema: {type: integer}}]
      responses:
        200: {content: {application/json: {schema: MediationListSchema}}}
        401: {description: no valid token}
        404: {description: no such trade (or the caller takes no part in it)}
    """
    rows = trading.mediation_requests(user=actor(), instance_id=instance_id)
    return jsonify(MediationListSchema().dump({"items": rows}))
