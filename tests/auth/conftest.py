"""Fixtures for auth and admin tests.

- `app`: page tests render base.html, which links to inbox.index and public.index. Until those
  pages exist, the endpoints get a placeholder rule on the test app only (never in their modules).
- `client`: the root `app` fixture keeps one app context open for the whole test, and Flask reuses
  it for every request — so `g` (Flask-Login's cached user, the CSRF token, g.api_user) and the DB
  session would leak from one request to the next. This client runs each request in its own app
  context, as in production.
"""
from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient


class FreshContextClient(FlaskClient):
    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app(app):
    for endpoint in ("inbox.index", "public.index"):
        if endpoint not in app.view_functions:
            app.add_url_rule(f"/_placeholder/{endpoint}", endpoint=endpoint, view_func=lambda: "")
    return app


@pytest.fixture
def client(app):
    app.test_client_class = FreshContextClient
    return app.test_client()


def csrf_from(html: str) -> str:
    """The CSRF token of the first form on a rendered page."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)
