"""The engine facade: the only way the rest of ERFlow runs diagrams. Returns plain dataclasses only."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from app.engine.errors import DeployError  # noqa: F401
from app.engine.types import DiagramState, HistoryEntry, InstanceInfo, TaskInfo, VersionInfo


def deploy(
    files: dict[str, str | bytes], *, actor_id: int | None, comment: str | None = None
) -> list[VersionInfo]:
    raise NotImplementedError


def deploy_dir(path: str | Path, *, actor_id: int | None = None) -> list[VersionInfo]:
    raise NotImplementedError


def start(
    key: str,
    data: dict,
    *,
    actor_id: int | None,
    handling_region: str | None = None,
    enterprise_id: int | None = None,
    business_key: str | None = None,
) -> InstanceInfo:
    raise NotImplementedError


def complete(task_id: str, data: dict, *, actor_id: int | None) -> InstanceInfo:
    raise NotImplementedError


def send_message(instance_id: int, name: str, payload: dict, *, actor_id: int | None) -> InstanceInfo:
    raise NotImplementedError


def run_due(now: datetime | None = None) -> int:
    raise NotImplementedError


def cancel(instance_id: int, *, actor_id: int | None) -> InstanceInfo:
    raise NotImplementedError


def retry(instance_id: int, *, actor_id: int | None) -> InstanceInfo:
    raise NotImplementedError


def diagram_state(instance_id: int) -> DiagramState:
    raise NotImplementedError


def get_instance(instance_id: int) -> InstanceInfo:
    raise NotImplementedError


def task_info(task_id: str) -> TaskInfo:
    raise NotImplementedError


def history(instance_id: int) -> list[HistoryEntry]:
    raise NotImplementedError


def recompute_provisional_deadlines() -> int:
    raise NotImplementedError
