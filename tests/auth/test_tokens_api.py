"""API tokens: issue, use, revoke, expire; one answer for unknown user or bad password; throttle."""
from datetime import timedelta

from sqlalchemy import select

from app.auth.models import ApiToken
from app.common import clock
from app.extensions import db
from tests.builders import PASSWORD


def _token(client, username, password, **kw):
    return client.post(
        "/api/v1/auth/token", json={"username": username, "password": password}, **kw
    )


def test_issue_token_returns_user_and_only_hash_is_stored(client, make_user):
    user = make_user(roles=["handler", "reviewer"], region_code="330100")
    resp = _token(client, user.username, PASSWORD)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["user"] == {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "roles": ["handler", "reviewer"],
        "region_code": "330100",
        "enterprise_id": None,
    }
    assert body["expires_at"].endswith("+08:00")
    rows = db.session.scalars(select(ApiToken)).all()
    assert len(rows) == 1 and body["token"] not in rows[0].token_hash
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.get_json()["username"] == user.username


def test_enterprise_user_token_names_its_enterprise(client, make_user):
    user = make_user(roles=["enterprise"])
    body = _token(client, user.username, PASSWORD).get_json()
    assert body["user"]["enterprise_id"] == user.enterprise_id
    assert body["user"]["region_code"] is None


def test_same_401_message_for_unknown_user_and_bad_password(client, make_user):
    user = make_user()
    bad = _token(client, user.username, "wrong-password")
    unknown = _token(client, "nobody", "wrong-password")
    assert bad.status_code == unknown.status_code == 401
    assert bad.get_json() == unknown.get_json()
    assert bad.get_json()["error"]["code"] == "unauthorized"


def test_malformed_body_is_400_and_missing_fields_422(client):
    assert client.post("/api/v1/auth/token", data="x", content_type="text/plain").status_code == 400
    resp = client.post("/api/v1/auth/token", json={"username": "a"})
    assert resp.status_code == 422
    assert "password" in resp.get_json()["error"]["fields"]


def test_revoke_presented_token(client, make_user, api_token):
    user = make_user()
    headers = api_token(user)
    other = api_token(user)
    revoked = client.delete("/api/v1/auth/token", headers=headers)
    assert revoked.status_code == 200 and revoked.get_json() == {"revoked": True}
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    assert client.get("/api/v1/auth/me", headers=other).status_code == 200


def test_token_expires_after_ttl(app, client, make_user, api_token):
    app.config["ERFLOW_TOKEN_TTL_HOURS"] = 2
    start = clock.now()
    clock.set_now(start)
    headers = api_token(make_user())
    clock.set_now(start + timedelta(hours=1, minutes=59))
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    clock.set_now(start + timedelta(hours=2))
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_no_or_bad_token_is_401(client):
    assert client.get("/api/v1/auth/me").status_code == 401
    bad = client.get("/api/v1/auth/me", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401


def test_disabled_user_cannot_log_in_or_use_tokens(client, make_user, api_token):
    user = make_user()
    headers = api_token(user)
    user.active = False
    db.session.commit()
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401
    assert _token(client, user.username, PASSWORD).status_code == 401


def test_throttle_by_username_answers_429(app, client, make_user):
    app.config.update(ERFLOW_LOGIN_MAX_FAILURES=3, ERFLOW_LOGIN_WINDOW_SECONDS=300)
    user = make_user()
    start = clock.now()
    clock.set_now(start)
    for _ in range(3):
        assert _token(client, user.username, "bad-password").status_code == 401
    # Even the right password is refused while throttled, with the same answer as before.
    locked = _token(client, user.username, PASSWORD)
    assert locked.status_code == 429
    assert locked.get_json()["error"]["code"] == "too_many_requests"
    # Failures age out of the window.
    clock.set_now(start + timedelta(seconds=301))
    assert _token(client, user.username, PASSWORD).status_code == 200


def test_throttle_by_address_covers_many_usernames(app, client, make_user):
    app.config.update(ERFLOW_LOGIN_MAX_FAILURES=3)
    user = make_user()
    for name in ("a1", "a2", "a3"):
        assert _token(client, name, "x").status_code == 401
    assert _token(client, user.username, PASSWORD).status_code == 429
    elsewhere = _token(
        client, user.username, PASSWORD, environ_base={"REMOTE_ADDR": "10.0.0.9"}
    )
    assert elsewhere.status_code == 200


def test_unknown_usernames_are_throttled_like_known_ones(app, client):
    app.config.update(ERFLOW_LOGIN_MAX_FAILURES=2)
    for _ in range(2):
        assert _token(client, "ghost", "x").status_code == 401
    assert _token(client, "ghost", "x").status_code == 429


def test_success_clears_the_username_failures(app, client, make_user):
    app.config.update(ERFLOW_LOGIN_MAX_FAILURES=3)
    user = make_user()
    for _ in range(2):
        _token(client, user.username, "bad", environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert _token(client, user.username, PASSWORD).status_code == 200
    for _ in range(2):
        _token(client, user.username, "bad", environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert _token(client, user.username, PASSWORD).status_code == 200
