"""Engine test helpers: tiny diagrams from tests/fixtures/bpmn and forms from
tests/fixtures/forms."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from app import engine
from app.common import clock
from app.engine import hooks

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def fixture_text(name: str) -> str:
    return (FIXTURES / "bpmn" / name).read_text(encoding="utf-8")


@pytest.fixture
def engine_app(app):
    app.config["ERFLOW_FORMS_DIR"] = str(FIXTURES / "forms")
    clock.set_now(datetime(2025, 3, 3, 1, 0, tzinfo=UTC))  # Mon 2025-03-03 09:00 in Shanghai
    hooks.register_script_function("check", lambda value: None)
    return app


@pytest.fixture
def deploy_fixture(engine_app):
    def _deploy(*names: str, actor_id: int | None = None):
        return engine.deploy({n: fixture_text(n) for n in names}, actor_id=actor_id)

    return _deploy


def open_task(instance, name: str):
    matches = [t for t in instance.active_tasks if t.name == name]
    assert matches, f"no open task {name}: {[t.name for t in instance.active_tasks]}"
    return matches[0]
