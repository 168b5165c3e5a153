"""Plain, frozen values the engine facade returns: nothing outside app/engine sees a SpiffWorkflow
object."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class VersionInfo:
    key: str
    version: int
    name: str
    content_hash: str
    deployed_at: datetime
    changed: bool  # False when the content hash matched the latest version (nothing new stored)
    id: int | None = None


@dataclass(frozen=True)
class TaskInfo:
    id: str
    instance_id: int
    process_key: str
    name: str  # BPMN element id
    title: str
    role: str
    state: str  # open | completed | cancelled
    region_code: str | None = None
    enterprise_id: int | None = None
    assignee_id: int | None = None
    priority: int = 0
    created_at: datetime | None = None
    due_at: datetime | None = None
    provisional: bool = False
    deadline_rule: str | None = None
    escalated: bool = False
    form_key: str | None = None
    ui_form_key: str | None = None
    business_key: str | None = None
    data: dict[str, Any] = field(default_factory=dict)  # task data, for prefilling the form
    summary: str | None = None  # the instance summary as the inbox shows it
    completed_at: datetime | None = None


@dataclass(frozen=True)
class DeadlineInfo:
    task: str | None
    rule: str
    due_at: datetime
    provisional: bool
    open: bool = True


@dataclass(frozen=True)
class InstanceInfo:
    id: int
    key: str
    version: int
    status: str  # running | completed | cancelled | incident
    business_key: str | None
    summary: dict[str, Any]
    handling_region: str | None
    enterprise_id: int | None
    started_by: int | None
    started_at: datetime
    ended_at: datetime | None
    active_tasks: list[TaskInfo] = field(default_factory=list)
    deadlines: list[DeadlineInfo] = field(default_factory=list)
    incident_message: str | None = None
    version_id: int | None = None  # the deployed version row (for element names)


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    actor_id: int | None
    action: (
        str  # started | task_completed | message_received | timer_fired | escalated | incident | …
    )
    task_id: str | None
    task_name: str | None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DiagramState:
    bpmn_xml: str
    completed: list[str]  # BPMN element ids already passed
    active: list[str]  # BPMN element ids now READY or WAITING


@dataclass(frozen=True)
class StartSpec:
    """What a process's `prepare_start` hook returns: shaped data and where the work belongs."""

    data: dict[str, Any]
    handling_region: str | None = None
    enterprise_id: int | None = None
    business_key: str | None = None
    priority: int = 0


@dataclass(frozen=True)
class IncidentInfo:
    """An instance stopped by a failing step, as administrators see it."""

    instance_id: int
    key: str
    version: int
    business_key: str | None
    message: str
    traceback: str | None
    at: datetime | None
    step: str | None  # the operation that failed: start | complete | message | timers
