"""Which database a test runs on, from ERFLOW_TEST_DB: `sqlite` (default; a new file per test)
or `postgres` (a fresh database per test, cloned from a schema template; see tests/pg.py).
"""
from __future__ import annotations

import os

import pytest

from tests import pg


def test_db_kind() -> str:
    kind = os.environ.get("ERFLOW_TEST_DB", "sqlite").lower()
    if kind in ("postgres", "postgresql", "pg"):
        return "postgres"
    if kind == "sqlite":
        return "sqlite"
    raise pytest.UsageError(f"ERFLOW_TEST_DB={kind!r}: use sqlite or postgres")


test_db_kind.__test__ = False  # a helper, not a test


def _build_schema(url: str) -> None:
    from app import create_app
    from app.extensions import db

    scratch = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test"})
    with scratch.app_context():
        db.create_all()
        db.engine.dispose()  # CREATE DATABASE … TEMPLATE needs the template without connections


@pytest.fixture(scope="session")
def pg_server():
    """The session's PostgreSQL server with the schema template (started only when asked for)."""
    server = pg.start_server()
    try:
        server.create_template(_build_schema)
        yield server
    finally:
        server.stop()


@pytest.fixture
def database_url(request, tmp_path):
    if test_db_kind() == "sqlite":
        yield f"sqlite:///{tmp_path / 'erflow.sqlite3'}"
        return
    server = request.getfixturevalue("pg_server")
    name = server.clone()
    try:
        yield server.url(name)
    finally:
        server.drop(name)


@pytest.fixture
def empty_database_url(request, tmp_path):
    """An empty database of the kind this run tests (ERFLOW_TEST_DB)."""
    if test_db_kind() == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
        return
    server = request.getfixturevalue("pg_server")
    name = server.create_empty()
    try:
        yield server.url(name)
    finally:
        server.drop(name)
