"""Page login and logout (Flask-Login), CSRF, throttling and hardened session cookies."""
from flask import url_for

from tests.auth.conftest import csrf_from
from tests.builders import PASSWORD


def _post_login(client, username, password, **extra):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    data = {"username": username, "password": password, "csrf_token": token, **extra}
    return client.post("/login", data=data)


def test_login_page_renders_with_labels_and_csrf(client):
    resp = client.get("/login")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'for="username"' in html and 'for="password"' in html
    assert csrf_from(html)


def test_login_then_inbox_then_logout(app, client, make_user):
    user = make_user()
    resp = _post_login(client, user.username, PASSWORD)
    assert resp.status_code == 302
    with app.test_request_context():
        assert resp.headers["Location"] == url_for("inbox.index")
    cookie = resp.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    with client.session_transaction() as session:
        assert session["_user_id"] == str(user.id)
    page = client.get("/login").get_data(as_text=True)
    out = client.post("/logout", data={"csrf_token": csrf_from(page)})
    assert out.status_code == 302 and out.headers["Location"].endswith("/login")
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_login_follows_safe_next_only(client, make_user):
    user = make_user()
    resp = _post_login(client, user.username, PASSWORD, next="/admin/")
    assert resp.headers["Location"] == "/admin/"
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/login").get_data(True))})
    evil = _post_login(client, user.username, PASSWORD, next="https://evil.example/")
    assert "evil" not in evil.headers["Location"]
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/login").get_data(True))})
    evil = _post_login(client, user.username, PASSWORD, next="//evil.example/")
    assert "evil" not in evil.headers["Location"]


def test_same_error_for_unknown_user_and_bad_password(client, make_user):
    user = make_user()
    bad = _post_login(client, user.username, "wrong-one")
    unknown = _post_login(client, "nobody-here", "wrong-one")
    assert bad.status_code == unknown.status_code == 401
    msg = "用户名或密码错误"
    assert msg in bad.get_data(as_text=True) and msg in unknown.get_data(as_text=True)
    assert user.username in bad.get_data(as_text=True)  # the typed username is kept
    assert "wrong-one" not in bad.get_data(as_text=True)  # the password never is


def test_login_without_csrf_is_refused(client, make_user):
    user = make_user()
    resp = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert resp.status_code == 400
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_logout_requires_csrf(client, make_user, login):
    user = make_user()
    login(client, user)
    assert client.post("/logout").status_code == 400
    with client.session_transaction() as session:
        assert session["_user_id"] == str(user.id)


def test_page_throttle_shows_an_error(app, client, make_user):
    app.config.update(ERFLOW_LOGIN_MAX_FAILURES=3)
    user = make_user()
    for _ in range(3):
        assert _post_login(client, user.username, "bad").status_code == 401
    resp = _post_login(client, user.username, PASSWORD)
    assert resp.status_code == 429
    assert "登录失败次数过多" in resp.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_admin_pages_redirect_to_login_when_anonymous(client):
    resp = client.get("/admin/users")
    assert resp.status_code == 302 and "/login?next=" in resp.headers["Location"]
