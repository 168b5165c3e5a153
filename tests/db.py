"""Which database a test runs on. SQLite: one new file per test."""
from __future__ import annotations

import os

import pytest


@pytest.fixture
def database_url(tmp_path):
    if os.environ.get("ERFLOW_TEST_DB", "sqlite") == "sqlite":
        return f"sqlite:///{tmp_path / 'erflow.sqlite3'}"
    raise RuntimeError("postgres fixture not yet wired")  # replaced by tests/db.py work
