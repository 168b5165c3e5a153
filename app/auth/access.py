"""Who is calling and what they may reach: bearer tokens for the API, jurisdiction scoping (R7).

A bureau user works on tasks of its own region and may *view* its region's subtree; an enterprise
user sees only its own enterprise's work; an administrator (no region) sees everything.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache, wraps

from flask import g, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import bindparam, select

from app.auth.models import BUREAU_ROLES, ApiToken, Region, User
from app.common import clock
from app.errors import Forbidden, Unauthorized
from app.extensions import db, login_manager


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@cache  # built once: a hot path (docs/operations.md, "Load")
def _token_user():
    """The user of a live token (not revoked, not expired, user active) in one round trip."""
    return (select(User)
            .join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == bindparam("token_hash"),
                   ApiToken.revoked_at.is_(None),
                   ApiToken.expires_at > bindparam("now"),
                   User.active.is_(True)))


def user_from_bearer() -> User | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    return db.session.scalars(_token_user(), {
        "token_hash": token_hash(header[7:].strip()), "now": clock.now()}).first()


def actor() -> User:
    """The authenticated caller of this request (API token or page session)."""
    user = g.get("api_user")
    if user is not None:
        return user
    if current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    raise Unauthorized(_l("请先登录"))


def api_auth(*roles: str) -> Callable:
    """Decorator for /api/v1 views: a valid bearer token, and (if given) one of `roles`."""

    def deco(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            user = user_from_bearer()
            if user is None:
                raise Unauthorized(_l("缺少或无效的访问令牌"))
            g.api_user, g.api_user_id = user, user.id
            if roles and not user.has_role(*roles):
                raise Forbidden(_l("当前角色无权执行此操作"))
            return view(*args, **kwargs)

        wrapper.api_roles = roles  # read by the route-security test and the OpenAPI document
        return wrapper

    return deco


def page_auth(*roles: str) -> Callable:
    """Decorator for pages: a logged-in user (else the login page) holding one of `roles`."""

    def deco(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if roles and not current_user.has_role(*roles):
                raise Forbidden(_l("当前角色无权访问此页面"))
            return view(*args, **kwargs)

        wrapper.page_roles = roles
        return wrapper

    return deco


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


def subtree_codes(code: str) -> list[str]:
    """Codes of `code` and every region below it (R7)."""
    region = db.session.get(Region, code)
    if region is None:
        return []
    return list(db.session.scalars(select(Region.code).where(Region.path.startswith(region.path))))


def in_jurisdiction(user: User, region_code: str | None) -> bool:
    """May `user` view things of `region_code`? Its own region and the regions below it.

    Only bureau roles (and a regional administrator) hold a jurisdiction; an enterprise user sees
    its own enterprise only (see app.auth.enterprises.visible_enterprises_query).
    """
    if user.has_role("admin") and user.region_code is None:
        return True
    if user.region_code is None or region_code is None:
        return False
    if not user.has_role("admin", *BUREAU_ROLES):
        return False
    if region_code == user.region_code:  # its own region (a row: user.region_code is a key)
        return True
    mine = db.session.get(Region, user.region_code)
    theirs = db.session.get(Region, region_code)
    return bool(mine and theirs and theirs.path.startswith(mine.path))
