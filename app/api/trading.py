"""API routes: trading — the contract of a trade (R24), mediation requests (R25, each handled by
a `mediation` process) and the bids of a reserve sale's public bidding (R20, R27a). Trades are
started and worked through /processes/trade/instances and /tasks; certificates are verified at
/public/certificates/{number} (R39)."""
from __future__ import annotations

from flask import jsonify, url_for

from app.api import bp
from app.api.auth import load_body
from app.api.schemas.trading import (
    BidInSchema,
    BidListSchema,
    BidSchema,
    MediationListSchema,
    MediationRequestInSchema,
    MediationRequestSchema,
    TradeContractSchema,
)
from app.auth.access import actor, api_auth
from app.extensions import db
from app.trading import bidding, mediation
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
    """File a dispute for mediation by the trading administration while the trade is open (R25):
    the trade's buyer or seller (for a reserve sale: the bureau holding the reserve) may; it starts
    the `mediation` process, whose task goes to the handlers of the trade's handling region.
    ---
    post:
      tags: [trading]
      parameters: [{name: instance_id, in: path, required: true, schema: {type: integer}}]
      requestBody: {content: {application/json: {schema: MediationRequestInSchema}}}
      responses:
        201: {content: {application/json: {schema: MediationRequestSchema}}}
        401: {description: no valid token}
        403: {description: "the caller sees the trade but is no party to it: rule R25"}
        404: {description: no such trade (or the caller takes no part in it)}
        409: {description: "the trade has ended, or a mediation of it is still open: rule R25"}
        422: {description: no reason given}
    """
    trading.get_trade(user=actor(), instance_id=instance_id)  # R7: refused before the body is read
    body = load_body(MediationRequestInSchema())
    row = mediation.request_mediation(user=actor(), instance_id=instance_id,
                                      reason=body["reason"])
    db.session.commit()
    return jsonify(MediationRequestSchema().dump(mediation.answer(row))), 201


@bp.get("/trades/<int:instance_id>/mediation")
@api_auth()
def list_mediation(instance_id: int):
    """The trade's mediation requests (R25), oldest first, with their state and outcome.
    ---
    get:
      tags: [trading]
      parameters: [{name: instance_id, in: path, required: true, schema: {type: integer}}]
      responses:
        200: {content: {application/json: {schema: MediationListSchema}}}
        401: {description: no valid token}
        404: {description: no such trade (or the caller takes no part in it)}
    """
    rows = mediation.requests_of(user=actor(), instance_id=instance_id)
    return jsonify(MediationListSchema().dump({"items": [mediation.answer(r) for r in rows]}))


@bp.post("/trades/<int:instance_id>/bids")
@api_auth("enterprise")
def place_bid(instance_id: int):
    """Bid in a trade's public bidding while it takes bids (R20); the deposit is held (R27a).
    Listing: register at the listed price (`price_per_tonne` may be left out) during the listing
    period; several intended buyers then bid it up, each bid at least the best plus the increment.
    Auction: each bid at least the best so far plus the minimum increment. Call auction: one sealed
    bid per unit, at least the reserve price. A reserve sale or a unit's surplus transfer alike.
    ---
    post:
      tags: [trading]
      parameters: [{name: instance_id, in: path, required: true, schema: {type: integer}}]
      requestBody: {content: {application/json: {schema: BidInSchema}}}
      responses:
        201: {content: {application/json: {schema: BidSchema}}}
        401: {description: no valid token}
        403: {description: not an enterprise user}
        404: {description: no such trade by public bidding}
        409:
          description: "bidding not open (not yet announced, or closed), already registered in a
            listing, a call auction's sealed bid already made, the caller's bid is already the
            best, a bid-up by a unit that did not register: rule R20"
        422:
          description: "below the reserve price (R20, R21), not the listed price (R20), below the
            best bid plus the increment (R20); the bidder fails a buyer check (R9, R16, R23, R26,
            R27, R28)"
    """
    bidding.public_sale(instance_id)  # no such sale: 404 before the body is read
    body = load_body(BidInSchema())
    bid = bidding.place_bid(user=actor(), instance_id=instance_id,
                            price=body["price_per_tonne"], project_name=body["project_name"])
    db.session.commit()
    return jsonify(BidSchema().dump(bid)), 201


@bp.get("/trades/<int:instance_id>/bids")
@api_auth()
def list_bids(instance_id: int):
    """The bids of a trade's public bidding (R20), highest first: all bidders for bureau staff over
    the trade; for a bidder (and the seller) every price but only its own identity. A call
    auction's bids are sealed until the period closes: each bidder sees only its own, the bureau
    none (`sealed` true, `bids_count` all of them). `min_next_price` is the lowest bid accepted now.
    ---
    get:
      tags: [trading]
      parameters: [{name: instance_id, in: path, required: true, schema: {type: integer}}]
      responses:
        200: {content: {application/json: {schema: BidListSchema}}}
        401: {description: no valid token}
        404: {description: "no such sale (or the caller neither bids, sells nor oversees it)"}
    """
    board = bidding.list_bids(user=actor(), instance_id=instance_id)
    return jsonify(BidListSchema().dump({**vars(board), "total": len(board.items)}))
