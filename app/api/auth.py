"""API routes: auth — issue, revoke and inspect bearer tokens."""

from __future__ import annotations

from flask import g, jsonify, request
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError

from app.api import bp
from app.api.schemas.auth import TokenRequestSchema, TokenResponseSchema, UserSummarySchema
from app.auth import services
from app.auth.access import api_auth
from app.errors import BadRequest, Unauthorized, ValidationFailed
from app.extensions import db


def load_body(schema: Schema, *, partial: bool = False) -> dict:
    """The request's JSON object loaded by `schema`: 400 when malformed, 422 with fields."""
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise BadRequest(_l("请求体应为 JSON 对象"))
    try:
        return schema.load(payload, partial=partial)
    except ValidationError as err:
        fields = {k: v if isinstance(v, list) else [str(v)] for k, v in err.messages.items()}
        raise ValidationFailed(_l("请求数据有误"), fields=fields) from err


@bp.post("/auth/token")
def issue_token():
    """Issue a bearer token for a username and password.
    ---
    post:
      tags: [auth]
      security: []
      requestBody: {content: {application/json: {schema: TokenRequestSchema}}}
      responses:
        200: {content: {application/json: {schema: TokenResponseSchema}}}
        401: {description: wrong username or password (one message for both)}
        429: {description: too many failed attempts for this username or address}
    """
    body = load_body(TokenRequestSchema())
    user = services.authenticate(
        username=body["username"], password=body["password"], remote_addr=request.remote_addr
    )
    issued = services.issue_token(user=user) if user is not None else None
    db.session.commit()  # a failure is recorded for throttling, so commit before answering 401
    if issued is None:
        raise Unauthorized(services.BAD_CREDENTIALS)
    return jsonify(
        TokenResponseSchema().dump(
            {"token": issued.token, "expires_at": issued.expires_at, "user": user}
        )
    )


@bp.delete("/auth/token")
@api_auth()
def revoke_token():
    """Revoke the presented bearer token (200 with a body, so JSON clients can parse it).
    ---
    delete:
      tags: [auth]
      responses:
        200: {description: 'revoked; body {"revoked": true}'}
        401: {description: no valid token}
    """
    raw = request.headers["Authorization"][7:].strip()
    services.revoke_token(raw=raw)
    db.session.commit()
    return jsonify({"revoked": True})


@bp.get("/auth/me")
@api_auth()
def me():
    """The caller's identity.
    ---
    get:
      tags: [auth]
      responses: {200: {content: {application/json: {schema: UserSummarySchema}}}}
    """
    return jsonify(UserSummarySchema().dump(g.api_user))
