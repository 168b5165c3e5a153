"""API routes: public disclosure (R38) and certificate verification (R39) — no login."""
from __future__ import annotations

from flask import jsonify, request

from app.api import bp
from app.api.admin import page_args
from app.api.schemas.public import (
    CertificateCheckSchema,
    OpenSalePageSchema,
    PublicationPageSchema,
    PublicReservePageSchema,
    PublicTradePageSchema,
)
from app.public import sales, services
from app.trading import services as trading


def _page(schema, lister):
    page, per_page = page_args()
    filters = services.parse_filters(request.args)
    result = lister(filters=filters, page=page, per_page=per_page)
    return jsonify(schema.dump({"items": result.items, "total": result.total,
                                "page": result.page, "per_page": result.per_page}))


@bp.get("/public/publications")
def public_publications():
    """Allocations under publication, with the time their objection window closes (R12, R38).
    ---
    get:
      tags: [public]
      security: []
      parameters:
        - {name: q, in: query, schema: {type: string}, description: unit name or credit code}
        - {name: region, in: query, schema: {type: string}, description: region code and below}
        - {name: pollutant, in: query, schema: {type: string}}
        - {name: page, in: query, schema: {type: integer, default: 1}}
        - {name: per_page, in: query, schema: {type: integer, default: 50, maximum: 200}}
      responses:
        200: {content: {application/json: {schema: PublicationPageSchema}}}
        422: {description: a filter is not valid}
    """
    return _page(PublicationPageSchema(), services.publications)


@bp.get("/public/sales")
def public_sales():
    """Prior announcements (事前公告) of sales by listing, auction or call auction while their
    bidding is open, closing soonest first: method, seller, amounts, the listed, starting or
    reserve price, the closing time, the deposit and how to bid (R20, R27a, R38). Green-channel
    purchases are not announced (R29).
    ---
    get:
      tags: [public]
      security: []
      parameters:
        - {name: q, in: query, schema: {type: string}, description: seller unit or region name}
        - {name: region, in: query, schema: {type: string}, description: region code and below}
        - {name: pollutant, in: query, schema: {type: string}}
        - {name: page, in: query, schema: {type: integer, default: 1}}
        - {name: per_page, in: query, schema: {type: integer, default: 50, maximum: 200}}
      responses:
        200: {content: {application/json: {schema: OpenSalePageSchema}}}
        422: {description: a filter is not valid}
    """
    return _page(OpenSalePageSchema(), sales.open_sales)


@bp.get("/public/trades")
def public_trades():
    """Completed trades with their electronic certificates, newest first (R24, R38).
    ---
    get:
      tags: [public]
      security: []
      parameters:
        - {name: q, in: query, schema: {type: string}, description: unit name or certificate number}
        - {name: region, in: query, schema: {type: string}, description: region code and below}
        - {name: pollutant, in: query, schema: {type: string}}
        - {name: date_from, in: query, schema: {type: string, format: date}}
        - {name: date_to, in: query, schema: {type: string, format: date}}
        - {name: page, in: query, schema: {type: integer, default: 1}}
        - {name: per_page, in: query, schema: {type: integer, default: 50, maximum: 200}}
      responses:
        200: {content: {application/json: {schema: PublicTradePageSchema}}}
        422: {description: a filter is not valid}
    """
    return _page(PublicTradePageSchema(), services.trades)


@bp.get("/public/reserves")
def public_reserves():
    """Government reserve balances per region and pollutant (R33, R38).
    ---
    get:
      tags: [public]
      security: []
      parameters:
        - {name: q, in: query, schema: {type: string}, description: region or bureau name}
        - {name: region, in: query, schema: {type: string}, description: region code and below}
        - {name: pollutant, in: query, schema: {type: string}}
        - {name: page, in: query, schema: {type: integer, default: 1}}
        - {name: per_page, in: query, schema: {type: integer, default: 50, maximum: 200}}
      responses:
        200: {content: {application/json: {schema: PublicReservePageSchema}}}
        422: {description: a filter is not valid}
    """
    return _page(PublicReservePageSchema(), services.reserves)


@bp.get("/public/certificates/<number>")
def public_certificate(number: str):
    """Verify an electronic certificate by its number (R39).
    ---
    get:
      tags: [public]
      security: []
      parameters: [{name: number, in: path, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: CertificateCheckSchema}}}
        404: {description: no certificate with this number}
    """
    return jsonify(CertificateCheckSchema().dump(trading.public_certificate(number=number)))
