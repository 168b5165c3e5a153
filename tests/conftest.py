"""Test fixtures shared by every test: the app on a fresh database, clients, and the clock.

The database is chosen by ERFLOW_TEST_DB: `sqlite` (default; a new file per test) or `postgres`
(a real server; see tests/pg.py). Builders live in tests/builders.py.
"""
from __future__ import annotations

import pytest

from app import create_app
from app.common import clock
from app.extensions import db

pytest_plugins = ["tests.db", "tests.builders"]


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
