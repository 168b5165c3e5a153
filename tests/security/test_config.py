"""Production settings: secure cookies, headers (CSP, frame denial, nosniff, HSTS behind TLS), the
test clock unreachable, a real SECRET_KEY demanded; login throttling."""
from __future__ import annotations

import pytest

from app import create_app
from app.extensions import db


@pytest.fixture
def production(monkeypatch, database_url, tmp_path):
    monkeypatch.setenv("ERFLOW_ENV", "production")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "s3cret-for-tests",
                      "ERFLOW_UPLOAD_DIR": str(tmp_path / "uploads"), "ERFLOW_PROXY_FIX": 0})
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()


def test_production_cookies_are_secure_httponly_samesite(production):
    cfg = production.config
    assert cfg["SESSION_COOKIE_SECURE"] is True and cfg["REMEMBER_COOKIE_SECURE"] is True
    assert cfg["SESSION_COOKIE_HTTPONLY"] is True and cfg["REMEMBER_COOKIE_HTTPONLY"] is True
    assert cfg["SESSION_COOKIE_SAMESITE"] == "Lax" and cfg["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert cfg["ERFLOW_TEST_CLOCK"] is False and not cfg.get("DEBUG")
    assert cfg["WTF_CSRF_ENABLED"] if "WTF_CSRF_ENABLED" in cfg else True


def test_production_session_cookie_carries_the_flags(production):
    client = production.test_client()
    resp = client.get("/login", base_url="https://erflow.example")
    cookie = resp.headers.get("Set-Cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_security_headers_on_pages_and_api(production):
    client = production.test_client()
    for url in ("/login", "/api/v1/openapi.json", "/healthz", "/nowhere"):
        headers = client.get(url, base_url="http://erflow.example").headers
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-eval" not in csp and "object-src 'none'" in csp
        assert "Strict-Transport-Security" not in headers  # plain HTTP: no HSTS


def test_hsts_when_served_over_tls(production):
    client = production.test_client()
    resp = client.get("/login", base_url="https://erflow.example")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_hsts_behind_a_tls_proxy_with_proxy_fix(monkeypatch, database_url, tmp_path):
    monkeypatch.setenv("ERFLOW_ENV", "production")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "x-secret",
                      "ERFLOW_PROXY_FIX": 1})
    client = app.test_client()
    assert "Strict-Transport-Security" not in client.get(
        "/healthz", base_url="http://erflow.example").headers
    resp = client.get("/healthz", base_url="http://erflow.example",
                      headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in resp.headers


def test_test_clock_endpoints_are_404_in_production(production):
    client = production.test_client()
    assert client.get("/api/v1/test/clock").status_code == 404
    assert client.put("/api/v1/test/clock", json={"now": "2030-01-01T00:00:00+08:00"}
                      ).status_code == 404
    assert client.post("/api/v1/test/run-due").status_code == 404


def test_production_refuses_the_development_secret_key(monkeypatch, database_url):
    monkeypatch.setenv("ERFLOW_ENV", "production")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "dev-only-not-secret"})


def test_login_is_throttled_after_repeated_failures(app, client, make_user):
    user = make_user(roles=["reviewer"])
    limit = app.config["ERFLOW_LOGIN_MAX_FAILURES"]
    codes = [client.post("/api/v1/auth/token", json={"username": user.username,
                                                     "password": "wrong"}).status_code
             for _ in range(limit + 1)]
    assert codes[:limit] == [401] * limit and codes[-1] == 429
    # even the right password waits out the window now
    right = client.post("/api/v1/auth/token", json={"username": user.username,
                                                    "password": "pass-1234"})
    assert right.status_code == 429
