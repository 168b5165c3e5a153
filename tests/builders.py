"""Builder fixtures that create domain objects for tests (each returns a function; data is committed
so that requests made with the test client see it).

    def test_x(make_enterprise, make_user, api_token, client):
        ent = make_enterprise(grade="A")
        user = make_user(roles=["enterprise"], enterprise=ent)
        client.get("/api/v1/enterprises", headers=api_token(user))
"""

from __future__ import annotations

import itertools

import pytest

from app.extensions import db

PASSWORD = "pass-1234"  # every built user's password unless given


FAST_HASH = "scrypt:1024:8:1"  # cheap scrypt cost, tests only; production uses werkzeug's default


@pytest.fixture
def make_region_tree(app):
    """Seed Zhejiang + Hebei regions and bureaus (R7); idempotent; returns a SeedResult."""

    app.config.setdefault("ERFLOW_PASSWORD_HASH_METHOD", FAST_HASH)

    def build():
        from app.common.regions import seed_regions

        result = seed_regions()
        db.session.commit()
        return result

    return build


_serial = itertools.count(1)


@pytest.fixture
def make_enterprise(make_region_tree):
    """Create an enterprise through the service (R8 checks apply). Defaults: industrial, key permit,
    automatic monitoring, grade B, in 杭州市西湖区 330106; any attribute can be overridden."""

    def build(**overrides):
        from app.auth.credit_code import make_credit_code
        from app.auth.enterprises import create_enterprise

        make_region_tree()
        n = next(_serial)
        data = {
            "name": f"测试排污单位{n}",
            "credit_code": make_credit_code(n),
            "region_code": "330106",
            "source_type": "industrial",
            "industry": "化工",
            "permit_no": f"91330106MA{n:08d}001P",
            "permit_class": "key",
            "auto_monitoring": True,
            "grade": "B",
        }
        data.update(overrides)
        if data["permit_class"] == "none" and "permit_no" not in overrides:
            data["permit_no"] = None
        enterprise = create_enterprise(**data)
        db.session.commit()
        return enterprise

    return build


@pytest.fixture
def make_user(make_region_tree, make_enterprise):
    """Create a user. Bureau roles default to region 330106; role "enterprise" without `enterprise`
    gets a new enterprise. Password is tests.builders.PASSWORD unless given."""

    def build(roles=("handler",), region_code=None, enterprise=None, **overrides):
        from app.auth.models import BUREAU_ROLES
        from app.auth.services import create_user

        make_region_tree()
        roles = list(roles)
        if set(roles) & set(BUREAU_ROLES) and region_code is None:
            region_code = "330106"
        if "enterprise" in roles and enterprise is None:
            enterprise = make_enterprise()
        n = next(_serial)
        data = {
            "username": f"user{n}",
            "password": PASSWORD,
            "display_name": f"测试用户{n}",
            "roles": roles,
            "region_code": region_code,
            "enterprise_id": enterprise.id if enterprise is not None else None,
        }
        data.update(overrides)
        user = create_user(**data)
        db.session.commit()
        return user

    return build


@pytest.fixture
def api_token(app):
    """Headers {"Authorization": "Bearer …"} for `user`."""

    def build(user) -> dict[str, str]:
        from app.auth.services import issue_token

        issued = issue_token(user=user)
        db.session.commit()
        return {"Authorization": f"Bearer {issued.token}"}

    return build


@pytest.fixture
def login(app):
    """Log `user` in on a test client's page session (no form round trip)."""

    def build(client, user):
        from flask import g

        with client.session_transaction() as session:
            session["_user_id"] = str(user.id)
            session["_fresh"] = True
        # The test's app context is shared with requests; drop a cached (anonymous) user.
        g.pop("_login_user", None)
        return client

    return build
