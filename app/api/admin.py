"""API routes: users and enterprises (R8); jurisdiction-scoped enterprise reads."""

from __future__ import annotations

from flask import jsonify, request
from flask_babel import lazy_gettext as _l

from app.api import bp
from app.api.auth import load_body
from app.api.schemas.admin import (
    CreatedSchema,
    EnterpriseInputSchema,
    EnterprisePageSchema,
    EnterpriseSchema,
    EnterpriseUpdateSchema,
    UserCreateSchema,
    UserPageSchema,
    UserSchema,
    UserUpdateSchema,
)
from app.auth import enterprises as enterprise_service
from app.auth import services as user_service
from app.auth.access import actor, api_auth
from app.errors import BadRequest
from app.extensions import db


def page_args() -> tuple[int, int]:
    """`?page=1&per_page=50` (max 200), 400 when not numbers."""
    try:
        page = int(request.args.get("page", 1))
        per_page = int(request.args.get("per_page", 50))
    except ValueError as exc:
        raise BadRequest(_l("page 与 per_page 应为整数")) from exc
    return max(page, 1), min(max(per_page, 1), 200)


def _page(schema, items, total, page, per_page):
    body = {"items": items, "total": total, "page": page, "per_page": per_page}
    return jsonify(schema().dump(body))


# --- users ---------------------------------------------------------------------------------------


@bp.post("/admin/users")
@api_auth("admin")
def create_user():
    """Create a user account.
    ---
    post:
      tags: [admin]
      requestBody: {content: {application/json: {schema: UserCreateSchema}}}
      responses:
        201: {content: {application/json: {schema: CreatedSchema}}}
        409: {description: username already taken}
        422: {description: invalid fields (e.g. a bureau role without region_code)}
    """
    body = load_body(UserCreateSchema())
    user = user_service.create_user(**body)
    db.session.commit()
    return jsonify(CreatedSchema().dump(user)), 201


@bp.get("/admin/users")
@api_auth("admin")
def list_users():
    """List user accounts (paginated; `q` filters by username or name).
    ---
    get:
      tags: [admin]
      parameters:
        - {name: q, in: query, schema: {type: string}}
        - {name: page, in: query, schema: {type: integer}}
        - {name: per_page, in: query, schema: {type: integer, maximum: 200}}
      responses: {200: {content: {application/json: {schema: UserPageSchema}}}}
    """
    page, per_page = page_args()
    users, total = user_service.list_users(
        q=request.args.get("q", ""), page=page, per_page=per_page
    )
    return _page(UserPageSchema, users, total, page, per_page)


@bp.get("/admin/users/<int:user_id>")
@api_auth("admin")
def get_user(user_id: int):
    """One user account.
    ---
    get:
      tags: [admin]
      parameters: [{name: user_id, in: path, required: true, schema: {type: integer}}]
      responses:
        200: {content: {application/json: {schema: UserSchema}}}
        404: {description: no such user}
    """
    return jsonify(UserSchema().dump(user_service.get_user(user_id)))


@bp.patch("/admin/users/<int:user_id>")
@api_auth("admin")
def update_user(user_id: int):
    """Change a user account (any subset of fields; a new password revokes its tokens).
    ---
    patch:
      tags: [admin]
      parameters: [{name: user_id, in: path, required: true, schema: {type: integer}}]
      requestBody: {content: {application/json: {schema: UserUpdateSchema}}}
      responses:
        200: {content: {application/json: {schema: UserSchema}}}
        422: {description: invalid fields}
    """
    user = user_service.get_user(user_id)
    body = load_body(UserUpdateSchema())
    body.setdefault("region_code", user.region_code)
    body.setdefault("enterprise_id", user.enterprise_id)
    user_service.update_user(user=user, **body)
    db.session.commit()
    return jsonify(UserSchema().dump(user))


# --- enterprises ---------------------------------------------------------------------------------


@bp.post("/admin/enterprises")
@api_auth("admin")
def create_enterprise():
    """Register an emission unit (R8).
    ---
    post:
      tags: [admin]
      requestBody: {content: {application/json: {schema: EnterpriseInputSchema}}}
      responses:
        201: {content: {application/json: {schema: CreatedSchema}}}
        409: {description: credit code already registered}
        422: {description: invalid fields (e.g. a credit code failing its GB 32100 check)}
    """
    body = load_body(EnterpriseInputSchema())
    enterprise = enterprise_service.create_enterprise(**body)
    db.session.commit()
    return jsonify(CreatedSchema().dump(enterprise)), 201


@bp.patch("/admin/enterprises/<int:enterprise_id>")
@api_auth("admin")
def update_enterprise(enterprise_id: int):
    """Change an emission unit (any subset of fields, R8 re-validated).
    ---
    patch:
      tags: [admin]
      parameters: [{name: enterprise_id, in: path, required: true, schema: {type: integer}}]
      requestBody: {content: {application/json: {schema: EnterpriseUpdateSchema}}}
      responses:
        200: {content: {application/json: {schema: EnterpriseSchema}}}
        422: {description: invalid fields}
    """
    enterprise = enterprise_service.get_enterprise(enterprise_id)
    body = load_body(EnterpriseUpdateSchema(), partial=True)
    enterprise_service.update_enterprise(enterprise=enterprise, **body)
    db.session.commit()
    return jsonify(EnterpriseSchema().dump(enterprise))


@bp.get("/enterprises")
@api_auth()
def list_enterprises():
    """Emission units the caller may see (admin: all; bureau: its subtree; enterprise: its own).
    ---
    get:
      tags: [enterprises]
      parameters:
        - {name: q, in: query, schema: {type: string}}
        - {name: region_code, in: query, schema: {type: string}}
        - {name: page, in: query, schema: {type: integer}}
        - {name: per_page, in: query, schema: {type: integer, maximum: 200}}
      responses: {200: {content: {application/json: {schema: EnterprisePageSchema}}}}
    """
    page, per_page = page_args()
    items, total = enterprise_service.list_enterprises(
        user=actor(),
        q=request.args.get("q", ""),
        region_code=request.args.get("region_code") or None,
        page=page,
        per_page=per_page,
    )
    return _page(EnterprisePageSchema, items, total, page, per_page)


@bp.get("/enterprises/<int:enterprise_id>")
@api_auth()
def get_enterprise(enterprise_id: int):
    """One emission unit, if it is in the caller's jurisdiction.
    ---
    get:
      tags: [enterprises]
      parameters: [{name: enterprise_id, in: path, required: true, schema: {type: integer}}]
      responses:
        200: {content: {application/json: {schema: EnterpriseSchema}}}
        403: {description: outside the caller's jurisdiction}
        404: {description: no such enterprise}
    """
    enterprise = enterprise_service.get_visible_enterprise(
        user=actor(), enterprise_id=enterprise_id
    )
    return jsonify(EnterpriseSchema().dump(enterprise))
