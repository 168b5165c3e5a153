"""Administration API: users (API.md "Administration")."""
import pytest

from app.auth.models import User
from app.extensions import db
from tests.builders import PASSWORD


@pytest.fixture
def admin_headers(make_user, api_token):
    return api_token(make_user(roles=["admin"]))


def _new(**kw):
    return {"username": "wang", "password": "long-enough", "display_name": "王科长", **kw}


def test_create_bureau_user_201_and_can_log_in(client, admin_headers):
    resp = client.post(
        "/api/v1/admin/users",
        json=_new(roles=["handler", "reviewer"], region_code="330106"),
        headers=admin_headers,
    )
    assert resp.status_code == 201
    user = db.session.get(User, resp.get_json()["id"])
    assert user.roles == ["handler", "reviewer"] and user.region_code == "330106"
    token = client.post("/api/v1/auth/token", json={"username": "wang", "password": "long-enough"})
    assert token.status_code == 200


def test_create_enterprise_user(client, admin_headers, make_enterprise):
    ent = make_enterprise()
    resp = client.post(
        "/api/v1/admin/users",
        json=_new(roles=["enterprise"], enterprise_id=ent.id),
        headers=admin_headers,
    )
    assert resp.status_code == 201
    assert db.session.get(User, resp.get_json()["id"]).enterprise_id == ent.id


@pytest.mark.parametrize(
    "body, field",
    [
        (_new(roles=["handler"]), "region_code"),
        (_new(roles=["reviewer"], region_code="999999"), "region_code"),
        (_new(roles=["enterprise"]), "enterprise_id"),
        (_new(roles=["wizard"]), "roles"),
        ({"password": "long-enough", "roles": ["admin"]}, "username"),
        (_new(roles="admin"), "roles"),
    ],
)
def test_invalid_user_is_422_with_fields(client, admin_headers, body, field):
    resp = client.post("/api/v1/admin/users", json=body, headers=admin_headers)
    assert resp.status_code == 422
    error = resp.get_json()["error"]
    assert error["code"] == "validation_failed" and field in error["fields"]


def test_duplicate_username_is_409_on_username(client, admin_headers, make_user):
    make_user(username="wang")
    resp = client.post("/api/v1/admin/users", json=_new(roles=["admin"]), headers=admin_headers)
    assert resp.status_code == 409
    assert "username" in resp.get_json()["error"]["fields"]


def test_admin_api_needs_a_token_and_the_admin_role(client, make_user, api_token):
    body = _new(roles=["admin"])
    assert client.post("/api/v1/admin/users", json=body).status_code == 401
    handler = api_token(make_user(roles=["handler", "reviewer", "approver"]))
    resp = client.post("/api/v1/admin/users", json=body, headers=handler)
    assert resp.status_code == 403
    assert resp.get_json()["error"]["code"] == "forbidden"
    assert client.get("/api/v1/admin/users", headers=handler).status_code == 403


def test_list_and_get_users_paginated(client, admin_headers, make_user):
    for _ in range(3):
        make_user()
    resp = client.get("/api/v1/admin/users?per_page=2&page=2", headers=admin_headers)
    body = resp.get_json()
    assert resp.status_code == 200
    assert (body["total"], body["page"], body["per_page"], len(body["items"])) == (4, 2, 2, 2)
    assert "password" not in body["items"][0] and "password_hash" not in body["items"][0]
    one = client.get(f"/api/v1/admin/users/{body['items'][0]['id']}", headers=admin_headers)
    assert one.status_code == 200 and one.get_json()["username"] == body["items"][0]["username"]
    assert client.get("/api/v1/admin/users/9999", headers=admin_headers).status_code == 404
    assert client.get("/api/v1/admin/users?per_page=500", headers=admin_headers).get_json()[
        "per_page"
    ] == 200


def test_patch_user_changes_roles_and_can_disable(client, admin_headers, make_user):
    user = make_user(roles=["handler"], region_code="330106")
    resp = client.patch(
        f"/api/v1/admin/users/{user.id}",
        json={"roles": ["reviewer"], "region_code": "330100"},
        headers=admin_headers,
    )
    assert resp.status_code == 200
    assert resp.get_json()["roles"] == ["reviewer"] and resp.get_json()["region_code"] == "330100"
    off = client.patch(
        f"/api/v1/admin/users/{user.id}", json={"active": False}, headers=admin_headers
    )
    assert off.status_code == 200
    login = {"username": user.username, "password": PASSWORD}
    token = client.post("/api/v1/auth/token", json=login)
    assert token.status_code == 401
    bad = client.patch(
        f"/api/v1/admin/users/{user.id}", json={"region_code": None}, headers=admin_headers
    )
    assert bad.status_code == 422 and "region_code" in bad.get_json()["error"]["fields"]
