"""User accounts: password hashing and the role/region/enterprise rules of account creation."""
import pytest

from app.auth import services
from app.auth.models import User
from app.errors import Conflict, ValidationFailed
from app.extensions import db


def test_passwords_are_hashed_with_a_slow_hash(app):
    app.config.pop("ERFLOW_PASSWORD_HASH_METHOD", None)
    hashed = services.hash_password("correct horse")
    assert hashed.startswith("scrypt:") and "correct horse" not in hashed
    user = User(username="x", password_hash=hashed)
    assert services.verify_password(user, "correct horse")
    assert not services.verify_password(user, "correct horsE")
    assert services.hash_password("correct horse") != hashed  # salted


def test_create_user_stores_hash_and_roles(make_region_tree):
    make_region_tree()
    user = services.create_user(
        username="hz", password="long-enough", roles=["reviewer", "handler"], region_code="330100"
    )
    assert user.roles == ["handler", "reviewer"]
    assert user.password_hash != "long-enough"
    assert services.verify_password(user, "long-enough")


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"roles": ["handler"]}, "region_code"),
        ({"roles": ["approver"], "region_code": "999999"}, "region_code"),
        ({"roles": ["enterprise"]}, "enterprise_id"),
        ({"roles": ["enterprise"], "enterprise_id": 9999}, "enterprise_id"),
        ({"roles": []}, "roles"),
        ({"roles": ["boss"]}, "roles"),
        ({"roles": ["admin"], "password": "short"}, "password"),
        ({"roles": ["admin"], "username": "  "}, "username"),
    ],
)
def test_account_rules_give_field_errors(make_region_tree, kwargs, field):
    make_region_tree()
    data = {"username": "u1", "password": "long-enough", **kwargs}
    with pytest.raises(ValidationFailed) as exc:
        services.create_user(**data)
    assert field in exc.value.fields


def test_enterprise_user_cannot_hold_bureau_roles(make_enterprise):
    ent = make_enterprise()
    with pytest.raises(ValidationFailed) as exc:
        services.create_user(
            username="mix",
            password="long-enough",
            roles=["enterprise", "reviewer"],
            enterprise_id=ent.id,
            region_code="330106",
        )
    assert "roles" in exc.value.fields


def test_enterprise_user_region_is_its_enterprise_county(make_enterprise):
    ent = make_enterprise(region_code="330102")
    user = services.create_user(
        username="e1",
        password="long-enough",
        roles=["enterprise"],
        enterprise_id=ent.id,
        region_code="330102",
    )
    assert user.region_code == "330102" and user.enterprise_id == ent.id
    with pytest.raises(ValidationFailed) as exc:
        services.create_user(
            username="e2",
            password="long-enough",
            roles=["enterprise"],
            enterprise_id=ent.id,
            region_code="330106",
        )
    assert "region_code" in exc.value.fields


def test_duplicate_username_is_a_conflict_case_insensitively(make_user):
    make_user(username="Alice")
    with pytest.raises(Conflict) as exc:
        services.create_user(username="alice", password="long-enough", roles=["admin"])
    assert "username" in exc.value.fields


def test_admin_needs_no_region(make_region_tree):
    make_region_tree()
    user = services.create_user(username="root", password="long-enough", roles=["admin"])
    assert user.region_code is None


def test_new_password_revokes_tokens(client, make_user, api_token):
    user = make_user()
    headers = api_token(user)
    services.update_user(
        user=user, password="another-password", region_code=user.region_code
    )
    db.session.commit()
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
