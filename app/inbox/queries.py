"""Inbox queries over `human_task` (never the engine state): who may see and work on which task,
the todo / done / mine lists with filters, sorting and pages, and the deadline light (R4, R5, R13).

Built for the queue indexes of `human_task` (state, region_code, role, due_at),
(state, enterprise_id, due_at), (assignee_id, state) and (completed_by, completed_at): every list
is one indexed query plus one count over the same predicate.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, false, func, or_, select, union, union_all
from sqlalchemy.sql.elements import ColumnElement

from app.auth.access import in_jurisdiction
from app.auth.models import BUREAU_ROLES, Enterprise, User
from app.common import clock, workdays
from app.common.paging import Page
from app.common.types import UTCDateTime
from app.engine.models import HumanTask, ProcessInstance

VIEWS = ("todo", "done")
SORTS = ("due", "priority", "created")
# R30, R35: priority work (A-grade key-industry units, major projects) sorts first in a queue
# unless the reviewer picks another order.
DEFAULT_SORT = "priority"
YELLOW_DAYS = 3  # R4/R5: a deadline within 3 working days shows yellow
MAX_PER_PAGE = 200


@dataclass(frozen=True)
class TaskFilter:
    process: str | None = None
    overdue: bool = False
    q: str | None = None
    sort: str = DEFAULT_SORT


# -- who may do what -----------------------------------------------------------------------------

def _bureau_roles(user: User) -> list[str]:
    return [r for r in user.roles if r in BUREAU_ROLES]


def todo_condition(user: User) -> ColumnElement[bool]:
    """Open tasks `user` may work on (see `todo_branches`)."""
    return or_(*todo_branches(user))


def todo_branches(user: User) -> list[ColumnElement[bool]]:
    """Open tasks `user` may work on, one condition per index: assigned to them; unclaimed in a
    bureau role they hold in their own region; their enterprise's tasks; (R13) escalated tasks of
    their region for approvers."""
    return list(_branches(*_todo_shape(user), values=_todo_values(user)))


def _todo_shape(user: User) -> tuple[tuple[str, ...], bool]:
    """What decides the todo query's form (its values aside): the bureau roles the user holds in
    a region, and whether they act for an enterprise."""
    roles = tuple(_bureau_roles(user)) if user.region_code else ()
    return roles, user.has_role("enterprise") and user.enterprise_id is not None


def _todo_values(user: User) -> dict[str, Any]:
    """The values of the todo query's parameters for `user` (see `_branches`)."""
    return {"todo_user": user.id, "todo_region": user.region_code,
            "todo_roles": _bureau_roles(user), "todo_unit": user.enterprise_id}


@cache  # built once per shape: every inbox listing runs it (docs/operations.md, "Load")
def _shaped_branches(roles: tuple[str, ...], unit: bool) -> tuple[ColumnElement[bool], ...]:
    """todo_branches with parameters for the user's values (`_todo_values`)."""
    return _branches(roles, unit, values=None)


def _branches(roles: tuple[str, ...], unit: bool,
              values: dict[str, Any] | None) -> tuple[ColumnElement[bool], ...]:
    """The todo branches of a shape, bound to `values` or (None) left as parameters."""

    def param(name: str, **kw):
        return bindparam(name, values[name], **kw) if values is not None else \
            bindparam(name, **kw)

    # `state = 'open'` sits inside every branch so that each branch is served by its own index
    # (SQLite's multi-index OR, PostgreSQL's BitmapOr) instead of scanning all open tasks.
    is_open = HumanTask.state == "open"
    clauses: list[ColumnElement[bool]] = [
        and_(HumanTask.assignee_id == param("todo_user"), is_open)]
    if roles:
        region = HumanTask.region_code == param("todo_region")
        clauses.append(and_(
            is_open, region, HumanTask.role.in_(param("todo_roles", expanding=True)),
            HumanTask.assignee_id.is_(None)))
        if "approver" in roles:
            clauses.append(and_(is_open, region, HumanTask.escalated.is_(True)))
    if unit:
        clauses.append(and_(
            is_open, HumanTask.enterprise_id == param("todo_unit"),
            HumanTask.role == "enterprise", HumanTask.assignee_id.is_(None)))
    return tuple(clauses)


def eligible(user: User, task: HumanTask) -> bool:
    """May `user` work on `task` if nobody else holds it (role and jurisdiction, R7)?"""
    if task.role == "enterprise":
        return user.has_role("enterprise") and user.enterprise_id == task.enterprise_id
    if not user.region_code or task.region_code != user.region_code:
        return False
    if task.role in user.roles and task.role in BUREAU_ROLES:
        return True
    return bool(task.escalated and user.has_role("approver"))  # R13 escalation


def can_work(user: User, task: HumanTask) -> bool:
    """An open task `user` may complete now: held by them, or unclaimed and eligible."""
    if task.state != "open":
        return False
    if task.assignee_id is not None and task.assignee_id != user.id:
        return False
    return task.assignee_id == user.id or eligible(user, task)


def can_view(user: User, task: HumanTask) -> bool:
    """May `user` open `task`? Eligible or involved users, and bureau users (or a regional
    administrator) whose jurisdiction covers the task's region (R7). Others must not learn it
    exists."""
    if task.assignee_id == user.id or task.completed_by == user.id or eligible(user, task):
        return True
    if task.role == "enterprise":
        return user.has_role("admin") and user.region_code is None
    return in_jurisdiction(user, task.region_code)


def can_view_instance(user: User, inst: ProcessInstance) -> bool:
    """Starter, applicant enterprise's users, bureau users over its region, any task's worker."""
    if user.has_role("admin") and user.region_code is None:
        return True
    if inst.started_by == user.id:
        return True
    if user.has_role("enterprise") and user.enterprise_id is not None:
        if inst.enterprise_id == user.enterprise_id:
            return True
    if inst.handling_region and in_jurisdiction(user, inst.handling_region):
        return True
    from app.extensions import db

    rows = db.session.scalars(
        select(HumanTask).where(HumanTask.instance_id == inst.id)
    ).all()
    return any(can_view(user, t) for t in rows)


# -- lists ---------------------------------------------------------------------------------------

def _filtered(query, flt: TaskFilter, now: datetime):
    if flt.process:
        query = query.where(HumanTask.process_key == flt.process)
    if flt.overdue:
        query = query.where(HumanTask.due_at.is_not(None), HumanTask.due_at < now)
    if flt.q:
        like = f"%{_escape_like(flt.q.strip())}%"
        query = query.where(
            or_(
                HumanTask.business_key.like(like, escape="\\"),
                HumanTask.summary.like(like, escape="\\"),
                HumanTask.title.like(like, escape="\\"),
                HumanTask.instance_id.in_(  # the applicant unit's name
                    select(ProcessInstance.id).where(ProcessInstance.enterprise_id.in_(
                        select(Enterprise.id).where(Enterprise.name.like(like, escape="\\"))
                    ))
                ),
            )
        )
    return query


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _ordered(query, sort: str, view: str, cols=HumanTask):
    """Order a task query; `cols` may be a subquery carrying the same sort columns."""
    c = cols if cols is HumanTask else cols.c
    due = c.due_at.asc().nulls_last()
    if view == "done":
        return query.order_by(c.completed_at.desc(), c.id)
    if sort == "priority":  # R30, R35: priority work first, then by deadline
        return query.order_by(c.priority.desc(), due, c.created_at, c.id)
    if sort == "created":
        return query.order_by(c.created_at.desc(), c.id)
    return query.order_by(due, c.priority.desc(), c.created_at, c.id)


SORT_KEYS = (HumanTask.id, HumanTask.due_at, HumanTask.priority, HumanTask.created_at)


def _todo_keys(user: User, flt: TaskFilter, now: datetime):
    """The todo list's ids and sort keys as a UNION of one select per branch: each branch reads
    only its index (the queue index covers the sort keys), so a queue of thousands is sorted
    without touching the table; the page's full rows are loaded afterwards by id."""
    branches = [
        _filtered(select(*SORT_KEYS).where(branch), flt, now) for branch in todo_branches(user)
    ]
    return _union(branches, _todo_shape(user)[0])


def _todo_page(keys, sort: str, plain: bool):
    """One statement: the page's keys (sorted on the index, with the whole list's count as a
    window over it, computed before the LIMIT) joined back to their full rows."""
    paged = _ordered(select(keys.c.id, keys.c.due_at, keys.c.priority, keys.c.created_at,
                            func.count().over().label("list_total")),
                     sort, "todo", cols=keys) \
        .limit(bindparam("page_limit")).offset(bindparam("page_offset")).subquery("paged")
    entity = HumanTask.__table__.columns if plain else (HumanTask,)
    return _ordered(select(*entity, paged.c.list_total).join(paged, HumanTask.id == paged.c.id),
                    sort, "todo", cols=paged)


@cache  # built once per shape and filter form: every inbox listing (docs/operations.md, "Load")
def _todo_statement(shape: tuple, by_process: bool, overdue: bool, sort: str, plain: bool):
    """The todo page's statement without a text search, values as parameters: the user's
    (`_todo_values`), `flt_process`, `flt_now`, `page_limit`, `page_offset`."""
    branches = []
    for branch in _shaped_branches(*shape):
        query = select(*SORT_KEYS).where(branch)
        if by_process:
            query = query.where(HumanTask.process_key == bindparam("flt_process"))
        if overdue:
            query = query.where(HumanTask.due_at.is_not(None),
                                HumanTask.due_at < bindparam("flt_now", type_=UTCDateTime))
        branches.append(query)
    return _todo_page(_union(branches, shape[0]), sort, plain)


def _union(branches: list, roles: tuple[str, ...]):
    """The branches' keys as one subquery. Only an approver's escalated branch can meet another
    (an escalated task may be unclaimed in their role, or theirs): otherwise the branches are
    disjoint (assigned to them / unclaimed, a bureau role / the enterprise lane) and UNION ALL
    spares the database deduplicating a whole queue on every listing."""
    if len(branches) == 1:
        return branches[0].subquery("todo")
    combine = union if "approver" in roles else union_all
    return combine(*branches).subquery("todo")


def list_tasks(
    *, user: User, view: str = "todo", flt: TaskFilter | None = None, page: int = 1,
    per_page: int = 50, plain: bool = False,
) -> Page:
    """The `todo` or `done` list of `user`, filtered, sorted and cut into a page. `plain`: the
    todo page's rows come as read-only rows with the same attributes (no ORM objects to build,
    for answers that only read them)."""
    from app.extensions import db

    flt = flt or TaskFilter()
    now = clock.now()
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    page = max(page, 1)
    if view == "todo":
        params = {"page_limit": per_page, "page_offset": (page - 1) * per_page}
        if flt.q:  # a text search is built for its words
            keys = _todo_keys(user, flt, now)
            statement = _todo_page(keys, flt.sort, plain)
        else:
            keys = None
            statement = _todo_statement(_todo_shape(user), bool(flt.process), flt.overdue,
                                        flt.sort, plain)
            params.update(_todo_values(user), flt_process=flt.process, flt_now=now)
        found = db.session.execute(statement, params).all()
        if found:
            total = found[0].list_total
        elif page == 1:
            total = 0
        else:  # an empty page beyond the list's end: how long is the list?
            keys = keys if keys is not None else _todo_keys(user, flt, now)
            total = db.session.scalar(select(func.count()).select_from(keys)) or 0
        items = list(found) if plain else [row[0] for row in found]
        return Page(items=items, total=total, page=page, per_page=per_page)
    where = HumanTask.completed_by == user.id if view == "done" else false()
    base = _filtered(select(HumanTask).where(where), flt, now)
    total = db.session.scalar(
        _filtered(select(func.count()).select_from(HumanTask).where(where), flt, now)
    ) or 0
    rows = db.session.scalars(
        _ordered(base, flt.sort, view).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return Page(items=list(rows), total=total, page=page, per_page=per_page)


def list_started(
    *, user: User, process: str | None = None, q: str | None = None, page: int = 1,
    per_page: int = 50,
) -> Page:
    """Instances `user` started (我发起的), newest first."""
    from app.extensions import db

    where = [ProcessInstance.started_by == user.id]
    if process:
        where.append(ProcessInstance.key == process)
    if q:
        where.append(ProcessInstance.business_key.like(f"%{_escape_like(q.strip())}%", escape="\\"))
    total = db.session.scalar(select(func.count()).select_from(ProcessInstance).where(*where)) or 0
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    page = max(page, 1)
    rows = db.session.scalars(
        select(ProcessInstance).where(*where)
        .order_by(ProcessInstance.started_at.desc(), ProcessInstance.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return Page(items=list(rows), total=total, page=page, per_page=per_page)


def todo_count(user: User) -> int:
    from app.extensions import db

    return db.session.scalar(
        select(func.count()).select_from(_todo_keys(user, TaskFilter(), clock.now()))
    ) or 0


# -- deadline light (R4, R5, R13) ----------------------------------------------------------------

def light(due_at: datetime | None, now: datetime | None = None) -> str:
    """`none` without a deadline, `red` when overdue, `yellow` with ≤ 3 working days left
    (R4 calendar, R5 counting), else `green`."""
    if due_at is None:
        return "none"
    now = now or clock.now()
    if due_at <= now:
        return "red"
    # due_at is 24:00 of the last day (R5): the day itself is the instant before
    due_day = clock.local(due_at - timedelta(microseconds=1)).date()
    left = workdays.working_days_left(clock.local(now).date(), due_day)
    return "yellow" if left <= YELLOW_DAYS else "green"


def task_row(task: HumanTask, now: datetime | None = None) -> dict[str, Any]:
    """A task as lists show it: the row plus its light."""
    return {"task": task, "light": light(task.due_at, now)}
