"""The compiled dump (app/api/schemas/fast.py) answers exactly what marshmallow's dump does for the
task and instance answers, so the OpenAPI schemas stay the contract."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.api.schemas import fast
from app.api.schemas.processes import InstanceSchema
from app.api.schemas.tasks import TaskDetailSchema, TaskPageSchema, TaskSchema
from app.engine.types import TaskInfo

AT = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


def _task(**extra) -> dict:
    base = {
        "id": "6f1c", "instance_id": 7, "process_key": "trade", "name": "certify",
        "title": "可交易排污权认定", "role": "reviewer", "region_code": "330106",
        "enterprise_id": None, "assignee": None, "assignee_id": None, "priority": 2,
        "state": "open", "created_at": AT, "due_at": None, "deadline_rule": "R30",
        "provisional": False, "escalated": True, "light": "green", "business_key": "JY-1",
        "summary": {"green_channel": True, "amounts": {"COD": "0.9000"}}, "completed_at": None,
        "not_in_schema": "dropped",
    }
    base.update(extra)
    return base


@pytest.mark.parametrize("task", [
    _task(),
    _task(due_at=AT, completed_at=AT, assignee="xihu_reviewer", assignee_id=3, summary=None),
    {"id": "only-some", "instance_id": 1, "process_key": "x", "name": "n"},  # absent keys stay out
])
def test_task_dump_matches_marshmallow(task):
    assert fast.dump(TaskSchema, task) == TaskSchema().dump(task)
    page = {"items": [task, task], "total": 2, "page": 1, "per_page": 50}
    assert fast.dump(TaskPageSchema, page) == TaskPageSchema().dump(page)


def test_task_dump_of_engine_objects_matches_marshmallow():
    info = TaskInfo(id="a", instance_id=1, process_key="p", name="n", title="t", role="reviewer",
                    state="open", created_at=AT, due_at=AT, summary=None)
    assert fast.dump(TaskSchema, info) == TaskSchema().dump(info)


def test_instance_dump_matches_marshmallow():
    inst = {
        "id": 9, "key": "trade", "version": 3, "status": "running", "business_key": None,
        "data": {"green_channel": False, "price_per_tonne": "5000.00"},
        "started_at": AT, "ended_at": None, "incident_message": None,
        "active_tasks": [_task(), _task(id="x2", due_at=AT)],
        "history": [{"at": AT, "actor": "u", "actor_id": 4, "action": "task_completed",
                     "task": "certify", "detail": {"opinion": "同意"}},
                    {"at": AT, "actor": None, "actor_id": None, "action": "started",
                     "task": None, "detail": {}}],
        "deadlines": [{"task": "certify", "rule": "R30", "due_at": AT, "provisional": True,
                       "open": False}],
    }
    assert fast.dump(InstanceSchema, inst) == InstanceSchema().dump(inst)


def test_unknown_field_types_fall_back_to_marshmallow():
    detail = _task(form={"schema": {"type": "object"}, "ui": {}}, data={"opinion": ""})
    assert fast.dump(TaskDetailSchema, detail) == TaskDetailSchema().dump(detail)
