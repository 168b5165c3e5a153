"""API routes: tasks (API.md "Tasks") — the inbox lists, a task with its form, claim, complete.

Every route checks jurisdiction (R7) through app.inbox: another county's task is a 404 to list
and open, and a 403/404 to claim or complete.
"""
from __future__ import annotations

import json

from flask import jsonify, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.api import bp
from app.api.admin import page_args
from app.api.auth import load_body
from app.api.schemas import fast
from app.api.schemas.common import DataRequestSchema
from app.api.schemas.processes import InstanceSchema
from app.api.schemas.tasks import TaskDetailSchema, TaskPageSchema, TaskSchema
from app.auth.access import actor, api_auth
from app.common import clock
from app.engine.models import ProcessInstance
from app.engine.projections import SUMMARY_TEXT_MAX
from app.errors import BadRequest
from app.extensions import db
from app.inbox import queries, services


def task_out(task, users: dict, now=None) -> dict:
    """A human_task row (or the engine's TaskInfo) as API.md's task object."""
    holder = users.get(task.assignee_id) if task.assignee_id else None
    return {
        "id": task.id, "instance_id": task.instance_id, "process_key": task.process_key,
        "name": task.name, "title": task.title, "role": task.role,
        "region_code": task.region_code, "enterprise_id": task.enterprise_id,
        "assignee": holder.username if holder else None, "assignee_id": task.assignee_id,
        "priority": task.priority, "state": task.state, "created_at": task.created_at,
        "due_at": task.due_at, "deadline_rule": task.deadline_rule,
        "provisional": task.provisional, "escalated": task.escalated,
        "light": queries.light(task.due_at, now) if task.state == "open" else "none",
        "business_key": task.business_key, "summary": getattr(task, "summary", None),
        "completed_at": getattr(task, "completed_at", None),
    }


def tasks_out(tasks) -> list[dict]:
    users = services.usernames({t.assignee_id for t in tasks})
    now = clock.now()
    summaries = _summaries(tasks)
    return [{**task_out(t, users, now), "summary": summaries.get(t.instance_id) or {}}
            for t in tasks]


def _summaries(tasks) -> dict[int, dict]:
    """The business summary of each task's instance (API.md; e.g. R29 `green_channel`). The task
    row carries it as JSON text (kept in step by the engine); only a summary too long for that
    column is read from its instance (one query for all of them)."""
    found: dict[int, dict] = {}
    for t in tasks:
        text = getattr(t, "summary", None)
        if text and len(text) < SUMMARY_TEXT_MAX and t.instance_id not in found:
            try:
                found[t.instance_id] = json.loads(text)
            except ValueError:
                pass
    missing = {t.instance_id for t in tasks} - set(found)
    if missing:
        rows = db.session.execute(select(ProcessInstance.id, ProcessInstance.summary)
                                  .where(ProcessInstance.id.in_(missing)))
        found.update({row.id: row.summary for row in rows})
    return found


def _filter_args() -> tuple[str, queries.TaskFilter]:
    view = request.args.get("view", "todo")
    sort = request.args.get("sort", queries.DEFAULT_SORT)
    if view not in queries.VIEWS:
        raise BadRequest(_l("view 应为 todo 或 done"))
    if sort not in queries.SORTS:
        raise BadRequest(_l("sort 应为 due、priority 或 created"))
    overdue = request.args.get("overdue", "").lower() in ("1", "true", "yes")
    return view, queries.TaskFilter(
        process=request.args.get("process") or None, overdue=overdue,
        q=request.args.get("q") or None, sort=sort,
    )


@bp.get("/tasks")
@api_auth()
def list_tasks():
    """The caller's task list: todo (may work on) or done (completed by them).
    ---
    get:
      tags: [tasks]
      parameters:
        - {name: view, in: query, schema: {type: string, enum: [todo, done], default: todo}}
        - {name: process, in: query, schema: {type: string}, description: process key}
        - {name: overdue, in: query, schema: {type: boolean}}
        - {name: q, in: query, schema: {type: string}, description: business key or summary text}
        - name: sort
          in: query
          schema: {type: string, enum: [due, priority, created], default: priority}
          description: priority = R30/R35 priority work first, then by deadline
        - {name: page, in: query, schema: {type: integer, default: 1}}
        - {name: per_page, in: query, schema: {type: integer, default: 50, maximum: 200}}
      responses:
        200: {content: {application/json: {schema: TaskPageSchema}}}
        400: {description: unknown view or sort}
        401: {description: no valid token}
    """
    view, flt = _filter_args()
    page, per_page = page_args()
    result = queries.list_tasks(user=actor(), view=view, flt=flt, page=page, per_page=per_page,
                                plain=True)
    body = {"items": tasks_out(result.items), "total": result.total, "page": result.page,
            "per_page": result.per_page}
    return jsonify(fast.dump(TaskPageSchema, body))


@bp.get("/tasks/<task_id>")
@api_auth()
def get_task(task_id: str):
    """A task with its form (JSON Schema and UI hints) and its data for prefill.
    ---
    get:
      tags: [tasks]
      parameters: [{name: task_id, in: path, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: TaskDetailSchema}}}
        401: {description: no valid token}
        404: {description: no such task within the caller's reach}
    """
    task = services.get_task(user=actor(), task_id=task_id)
    spec, data = services.task_form(task)
    body = tasks_out([task])[0]
    body["form"] = {"schema": spec.schema if spec else None, "ui": spec.ui if spec else None}
    body["data"] = data
    return jsonify(TaskDetailSchema().dump(body))


@bp.post("/tasks/<task_id>/claim")
@api_auth()
def claim_task(task_id: str):
    """Claim an unclaimed task of the caller's role and region.
    ---
    post:
      tags: [tasks]
      parameters: [{name: task_id, in: path, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: TaskSchema}}}
        401: {description: no valid token}
        403: {description: not the caller's role or jurisdiction}
        404: {description: no such task within the caller's reach}
        409: {description: "already claimed by someone else, or no longer open"}
    """
    task = services.claim(user=actor(), task_id=task_id)
    db.session.commit()
    return jsonify(fast.dump(TaskSchema, tasks_out([task])[0]))


@bp.post("/tasks/<task_id>/unclaim")
@api_auth()
def unclaim_task(task_id: str):
    """Give a claimed task back to its queue.
    ---
    post:
      tags: [tasks]
      parameters: [{name: task_id, in: path, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: TaskSchema}}}
        401: {description: no valid token}
        403: {description: held by another user}
        404: {description: no such task within the caller's reach}
        409: {description: "not claimed, or no longer open"}
    """
    task = services.unclaim(user=actor(), task_id=task_id)
    db.session.commit()
    return jsonify(fast.dump(TaskSchema, tasks_out([task])[0]))


@bp.post("/tasks/<task_id>/complete")
@api_auth()
def complete_task(task_id: str):
    """Complete a task with its form data; `opinion` is recorded in the history.
    ---
    post:
      tags: [tasks]
      parameters: [{name: task_id, in: path, required: true, schema: {type: string}}]
      requestBody: {content: {application/json: {schema: DataRequestSchema}}}
      responses:
        200: {content: {application/json: {schema: InstanceSchema}}}
        400: {description: body is not a JSON object}
        401: {description: no valid token}
        403: {description: "not the caller's task (role, jurisdiction, or claimed by another)"}
        404: {description: no such task within the caller's reach}
        409: {description: already completed (e.g. another user won the race)}
        422: {description: "form validation failed: `fields` maps each field to its messages"}
    """
    user = actor()
    task = services.get_task(user=user, task_id=task_id, for_step=True)  # R7 before the body
    body = load_body(DataRequestSchema())
    info = services.complete(user=user, task_id=task_id, data=body["data"], task=task)
    from app.api.processes import instance_out

    out = fast.dump(InstanceSchema, instance_out(info))  # before the commit expires what it reads
    db.session.commit()
    return jsonify(out)
