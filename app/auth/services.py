"""User accounts, password login with throttling, and API tokens. Services flush, never commit."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.auth.access import token_hash
from app.auth.models import BUREAU_ROLES, ROLES, ApiToken, Enterprise, LoginAttempt, Region, User
from app.common import clock
from app.errors import Conflict, NotFound, Text, TooManyRequests, ValidationFailed
from app.extensions import db

BAD_CREDENTIALS = _l("用户名或密码错误")  # one message for unknown user and bad password
THROTTLED = _l("登录失败次数过多，请稍后再试")


# --- passwords -----------------------------------------------------------------------------------


def _hash_method() -> str:
    # Deployment setting; tests use a cheaper scrypt cost so that building users stays fast.
    return current_app.config.get("ERFLOW_PASSWORD_HASH_METHOD", "scrypt")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=_hash_method())


@cache
def _dummy_hash(method: str) -> str:
    """Checked against when the username is unknown, so both failures take the same time."""
    return generate_password_hash(secrets.token_hex(8), method=method)


def verify_password(user: User, password: str) -> bool:
    return check_password_hash(user.password_hash, password)


def _password_errors(password: str | None) -> list[Text]:
    minimum = int(current_app.config.get("ERFLOW_PASSWORD_MIN_LENGTH", 8))
    if not password:
        return [_l("请设置密码")]
    if len(password) < minimum:
        return [_l("密码至少 %(n)s 个字符", n=minimum)]
    return []


# --- users ---------------------------------------------------------------------------------------


def find_user(username: str) -> User | None:
    """Usernames are unique case-insensitively, so the lookup is too."""
    name = (username or "").strip()
    if not name:
        return None
    return db.session.scalar(select(User).where(func.lower(User.username) == name.lower()))


def _check_account(
    *,
    roles: list[str],
    region_code: str | None,
    enterprise_id: int | None,
    errors: dict[str, list[str]],
) -> str | None:
    """Validate roles against region and enterprise; returns the region code to store."""
    unknown = [r for r in roles if r not in ROLES]
    if not roles:
        errors["roles"] = [_l("至少选择一个角色")]
    elif unknown:
        errors["roles"] = [_l("未知角色：%(roles)s", roles=", ".join(unknown))]
    elif "enterprise" in roles and set(roles) & set(BUREAU_ROLES):
        errors["roles"] = [_l("企业用户不能同时担任生态环境部门的角色")]
    bureau = bool(set(roles) & set(BUREAU_ROLES))
    region = db.session.get(Region, region_code) if region_code else None
    if region_code and region is None:
        errors["region_code"] = [_l("未知的行政区划代码：%(code)s", code=region_code)]
    elif bureau and not region_code:
        errors["region_code"] = [_l("部门角色（经办、审核、审批）须指定所属行政区划")]
    if "enterprise" in roles:
        enterprise = db.session.get(Enterprise, enterprise_id) if enterprise_id else None
        if enterprise_id is None:
            errors["enterprise_id"] = [_l("企业用户须指定所属排污单位")]
        elif enterprise is None:
            errors["enterprise_id"] = [_l("排污单位 %(id)s 不存在", id=enterprise_id)]
        elif region_code and region_code != enterprise.region_code and not bureau:
            errors["region_code"] = [_l("企业用户的行政区划由其排污单位决定")]
        if not bureau:
            # The enterprise's county, if given, is kept for display only: jurisdiction needs a
            # bureau role, so an enterprise user still sees only its own unit (access.py).
            return region_code or None
    elif enterprise_id is not None:
        errors["enterprise_id"] = [_l("只有企业用户才关联排污单位")]
    return region_code or None


def create_user(
    *,
    username: str,
    password: str,
    roles: list[str],
    display_name: str = "",
    region_code: str | None = None,
    enterprise_id: int | None = None,
    email: str | None = None,
    active: bool = True,
) -> User:
    """Create an account. A bureau role needs a region; the enterprise role needs an enterprise."""
    username = (username or "").strip()
    errors: dict[str, list[str]] = {}
    if not username:
        errors["username"] = [_l("请填写用户名")]
    elif len(username) > 80:
        errors["username"] = [_l("用户名最多 80 个字符")]
    if pw := _password_errors(password):
        errors["password"] = pw
    roles = list(dict.fromkeys(roles or []))
    stored_region = _check_account(
        roles=roles, region_code=region_code, enterprise_id=enterprise_id, errors=errors
    )
    if errors:
        raise ValidationFailed(_l("用户信息有误"), fields=errors)
    if find_user(username) is not None:
        raise Conflict(_l("用户名已被使用"), fields={"username": [_l("用户名已被使用")]})
    user = User(
        username=username,
        password_hash=hash_password(password),
        display_name=(display_name or "").strip(),
        region_code=stored_region,
        enterprise_id=enterprise_id if "enterprise" in roles else None,
        email=email or None,
        active=active,
        created_at=clock.now(),
    )
    user.roles = roles
    db.session.add(user)
    db.session.flush()
    return user


def update_user(
    *,
    user: User,
    roles: list[str] | None = None,
    display_name: str | None = None,
    region_code: str | None = None,
    enterprise_id: int | None = None,
    email: str | None = None,
    active: bool | None = None,
    password: str | None = None,
) -> User:
    """Change an account. Roles, region and enterprise are re-validated together."""
    errors: dict[str, list[str]] = {}
    new_roles = list(dict.fromkeys(roles if roles is not None else user.roles))
    stored_region = _check_account(
        roles=new_roles, region_code=region_code, enterprise_id=enterprise_id, errors=errors
    )
    if password and (pw := _password_errors(password)):
        errors["password"] = pw
    if errors:
        raise ValidationFailed(_l("用户信息有误"), fields=errors)
    user.roles = new_roles
    user.region_code = stored_region
    user.enterprise_id = enterprise_id if "enterprise" in new_roles else None
    if display_name is not None:
        user.display_name = display_name.strip()
    if email is not None:
        user.email = email or None
    if active is not None:
        user.active = active
    if password:
        user.password_hash = hash_password(password)
        revoke_all_tokens(user=user)
    db.session.flush()
    return user


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_l("用户不存在"))
    return user


def list_users(*, q: str = "", page: int = 1, per_page: int = 50) -> tuple[list[User], int]:
    query = select(User)
    if q:
        like = f"%{q.strip()}%"
        query = query.where(or_(User.username.ilike(like), User.display_name.ilike(like)))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(
        query.order_by(User.id).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return list(rows), total


# --- login and throttling ------------------------------------------------------------------------


def _window_start() -> datetime:
    seconds = int(current_app.config.get("ERFLOW_LOGIN_WINDOW_SECONDS", 300))
    return clock.now() - timedelta(seconds=seconds)


def is_throttled(*, username: str, remote_addr: str) -> bool:
    """Too many recent failures for this username or from this address?"""
    limit = int(current_app.config.get("ERFLOW_LOGIN_MAX_FAILURES", 5))
    since = _window_start()
    name = (username or "").strip().lower()
    by_name = db.session.scalar(
        select(func.count()).where(LoginAttempt.username == name, LoginAttempt.at > since)
    )
    by_addr = db.session.scalar(
        select(func.count()).where(LoginAttempt.remote_addr == remote_addr, LoginAttempt.at > since)
    )
    return (by_name or 0) >= limit or (by_addr or 0) >= limit


def authenticate(*, username: str, password: str, remote_addr: str) -> User | None:
    """Check a username and password. A failure is recorded (flushed — the caller must commit it
    even though it answers 401); past the limit every attempt raises TooManyRequests, so a
    correct password does not help a guesser either.
    """
    remote_addr = remote_addr or "-"
    if is_throttled(username=username, remote_addr=remote_addr):
        raise TooManyRequests(THROTTLED)
    user = find_user(username)
    stored = user.password_hash if user else _dummy_hash(_hash_method())
    ok = check_password_hash(stored, password or "")
    if user is None or not ok or not user.active:
        db.session.add(
            LoginAttempt(
                username=(username or "").strip().lower()[:80],
                remote_addr=remote_addr[:64],
                at=clock.now(),
            )
        )
        db.session.flush()
        return None
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.username == user.username.lower()))
    db.session.flush()
    return user


# --- API tokens ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once; only its SHA-256 is stored
    expires_at: datetime


def issue_token(*, user: User) -> IssuedToken:
    """A random bearer token valid ERFLOW_TOKEN_TTL_HOURS."""
    raw = secrets.token_urlsafe(32)
    now = clock.now()
    hours = int(current_app.config.get("ERFLOW_TOKEN_TTL_HOURS", 12))
    row = ApiToken(
        user_id=user.id,
        token_hash=token_hash(raw),
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    db.session.add(row)
    db.session.flush()
    return IssuedToken(token=raw, expires_at=row.expires_at)


def revoke_token(*, raw: str) -> bool:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(raw)))
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = clock.now()
    db.session.flush()
    return True


def revoke_all_tokens(*, user: User) -> None:
    now = clock.now()
    for row in db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ):
        row.revoked_at = now
