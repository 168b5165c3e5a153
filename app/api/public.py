"""API routes: public disclosure (R38) and certificate verification (R39) — no login."""
from __future__ import annotations

from flask import jsonify

from app.api import bp
from app.api.admin import page_args
from app.api.schemas.public import CertificateCheckSchema, PublicationPageSchema
from app.public import services
from app.trading import services as trading


@bp.get("/public/publications")
def public_publications():
    """Allocations under publication, with the time their objection window closes (R12, R38).
    ---
    get:
      tags: [public]
      security: []
      parameters:
        - {name: page, in: query, schema: {type: integer, default: 1}}
        - {name: per_page, in: query, schema: {type: integer, default: 50, maximum: 200}}
      responses:
        200: {content: {application/json: {schema: PublicationPageSchema}}}
    """
    page, per_page = page_args()
    items = services.publications()
    start = (page - 1) * per_page
    body = {"items": items[start:start + per_page], "total": len(items), "page": page,
            "per_page": per_page}
    return jsonify(PublicationPageSchema().dump(body))


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
