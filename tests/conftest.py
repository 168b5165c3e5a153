"""Test fixtures shared by every test: the app on a fresh database, clients, and the clock.

The database is chosen by ERFLOW_TEST_DB: `sqlite` (default; a new file per test) or `postgres`
(a real server; see tests/pg.py). Builders live in tests/builders.py.
"""
from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from app import create_app
from app.common import clock
from app.extensions import db

pytest_plugins = ["tests.db", "tests.builders"]


class FreshContextClient(FlaskClient):
    """Runs each request in its own app context, as in production. The `app` fixture keeps one
    context open for the test's own DB work; without this, `g` (the logged-in user, the CSRF token,
    the API caller, the locale) and the request's DB session would leak from request to request."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "ERFLOW_TEST_CLOCK": True,
            "ERFLOW_UPLOAD_DIR": str(tmp_path / "uploads"),
            "SECRET_KEY": "test",
        }
    )
    app.test_client_class = FreshContextClient
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(autouse=True)
def _release_clock():
    yield
    clock.set_now(None)
