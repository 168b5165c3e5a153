"""Tiny local builders for ledger and calendar tests (to be replaced by tests/builders.py ones)."""
from __future__ import annotations

import secrets
from datetime import UTC, datetime

from app.auth.access import token_hash
from app.auth.models import ApiToken, Enterprise, Region, User
from app.extensions import db

ZJ, HZ, XH = "330000", "330100", "330106"  # 浙江省 → 杭州市 → 西湖区
BJ = "330108"  # 滨江区
NB, NB_HS = "330200", "330203"  # 宁波市 → 海曙区
HEBEI = "130000"


def region_tree() -> None:
    rows = [
        (ZJ, "浙江省", "province", None, ZJ, ZJ),
        (HZ, "杭州市", "city", ZJ, ZJ, f"{ZJ}/{HZ}"),
        (XH, "西湖区", "county", HZ, ZJ, f"{ZJ}/{HZ}/{XH}"),
        (BJ, "滨江区", "county", HZ, ZJ, f"{ZJ}/{HZ}/{BJ}"),
        (NB, "宁波市", "city", ZJ, ZJ, f"{ZJ}/{NB}"),
        (NB_HS, "海曙区", "county", NB, ZJ, f"{ZJ}/{NB}/{NB_HS}"),
        (HEBEI, "河北省", "province", None, HEBEI, HEBEI),
    ]
    for code, name, level, parent, province, path in rows:
        if db.session.get(Region, code) is None:
            db.session.add(Region(code=code, name=name, level=level, parent_code=parent,
                                  province_code=province, path=path))
    db.session.commit()


_n = 0


def enterprise(region_code: str = XH, **kw) -> Enterprise:
    global _n
    _n += 1
    ent = Enterprise(
        name=kw.pop("name", f"测试企业{_n}"), credit_code=f"91330100TEST{_n:06d}",
        region_code=region_code, source_type="industrial", permit_class="key", **kw,
    )
    db.session.add(ent)
    db.session.flush()
    return ent


def user(roles: list[str], *, region_code: str | None = None, enterprise_id: int | None = None,
         username: str | None = None) -> User:
    global _n
    _n += 1
    u = User(username=username or f"user{_n}", password_hash="x", region_code=region_code,
             enterprise_id=enterprise_id)
    u.roles = roles
    db.session.add(u)
    db.session.flush()
    return u


def token(u: User) -> dict[str, str]:
    raw = secrets.token_urlsafe(16)
    db.session.add(ApiToken(user_id=u.id, token_hash=token_hash(raw),
                            created_at=datetime(2020, 1, 1, tzinfo=UTC),
                            expires_at=datetime(2100, 1, 1, tzinfo=UTC)))
    db.session.commit()
    return {"Authorization": f"Bearer {raw}"}


def admin_headers() -> dict[str, str]:
    return token(user(["admin"]))
