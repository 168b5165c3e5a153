"""Dashboard figures, read from the projections (human_task, process_instance, timer) only.

Bureau figures are scoped to the user's jurisdiction (R7: its region and the regions below it);
an administrator without a region sees every region.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.auth.access import subtree_codes
from app.auth.models import Region, User
from app.common import clock
from app.engine.models import HumanTask, ProcessInstance, ProcessVersion, Timer
from app.extensions import db
from app.inbox.queries import light

LIGHTS = ("red", "yellow", "green", "none")
WINDOW_DAYS = 366  # handling time and on-time share: the last twelve months


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    parts: tuple[tuple[str, int], ...] = ()  # stacked parts (light, count)
    note: str = ""
    suffix: str = ""  # shown after the (translated) label, e.g. a version " v3"


def scope(user: User) -> list[str] | None:
    """Region codes the user may see (R7); None = every region (an administrator without one)."""
    if user.has_role("admin") and user.region_code is None:
        return None
    if not user.region_code:
        return []
    return subtree_codes(user.region_code)


def region_choices(user: User, current: str | None) -> list[Region]:
    """Regions to narrow the dashboard to: the chosen (or the user's own) region and the regions
    right below it; provinces for an administrator without a region."""
    base = current or user.region_code
    if base is None:
        return list(db.session.scalars(select(Region).where(Region.level == "province")
                                       .order_by(Region.code)))
    here = db.session.get(Region, base)
    below = db.session.scalars(select(Region).where(Region.parent_code == base)
                               .order_by(Region.code)).all()
    return ([here] if here else []) + list(below)


def _in_scope(query, column, regions: list[str] | None):
    return query if regions is None else query.where(column.in_(regions))


def open_work_by_step(regions: list[str] | None, now: datetime | None = None) -> list[Bar]:
    """Open bureau tasks by step, stacked by deadline light (R4/R5)."""
    now = now or clock.now()
    q = _in_scope(select(HumanTask.title, HumanTask.name, HumanTask.due_at)
                  .where(HumanTask.state == "open", HumanTask.role != "enterprise"),
                  HumanTask.region_code, regions)
    counts: dict[str, Counter] = defaultdict(Counter)
    for title, name, due_at in db.session.execute(q):
        counts[title or name][light(due_at, now)] += 1
    return [Bar(step, sum(c.values()), tuple((k, c[k]) for k in LIGHTS if c[k]))
            for step, c in sorted(counts.items(), key=lambda kv: -sum(kv[1].values()))]


def overdue_per_reviewer(regions: list[str] | None, now: datetime | None = None,
                         unassigned: str = "—") -> list[Bar]:
    """Open overdue tasks by assignee (unclaimed ones under `unassigned`)."""
    now = now or clock.now()
    q = _in_scope(select(HumanTask.assignee_id, func.count())
                  .where(HumanTask.state == "open", HumanTask.due_at <= now,
                         HumanTask.role != "enterprise")
                  .group_by(HumanTask.assignee_id), HumanTask.region_code, regions)
    rows = db.session.execute(q).all()
    names = {u.id: (u.display_name or u.username) for u in db.session.scalars(
        select(User).where(User.id.in_([r[0] for r in rows if r[0]])))}
    return sorted((Bar(names.get(uid, unassigned) if uid else unassigned, n) for uid, n in rows),
                  key=lambda b: -b.value)


def _since(now: datetime | None) -> datetime:
    return (now or clock.now()) - timedelta(days=WINDOW_DAYS)


def median_hours_per_step(regions: list[str] | None, now: datetime | None = None) -> list[Bar]:
    """Median hours from a task opening to its completion, per step (tasks completed in the
    last WINDOW_DAYS)."""
    q = _in_scope(select(HumanTask.title, HumanTask.name, HumanTask.created_at,
                         HumanTask.completed_at)
                  .where(HumanTask.state == "completed", HumanTask.completed_at >= _since(now),
                         HumanTask.role != "enterprise"), HumanTask.region_code, regions)
    spans: dict[str, list[float]] = defaultdict(list)
    for title, name, created, done in db.session.execute(q):
        spans[title or name].append((done - created).total_seconds() / 3600)
    return [Bar(step, round(statistics.median(v), 1), note=str(len(v)))
            for step, v in sorted(spans.items())]


def sla_by_month(regions: list[str] | None, now: datetime | None = None) -> list[Bar]:
    """Share (percent) of bureau tasks with a deadline completed on time, by month of completion
    (the last WINDOW_DAYS); an enterprise's own steps are not the bureau's work."""
    q = _in_scope(select(HumanTask.completed_at, HumanTask.due_at)
                  .where(HumanTask.state == "completed", HumanTask.completed_at >= _since(now),
                         HumanTask.due_at.is_not(None), HumanTask.role != "enterprise"),
                  HumanTask.region_code, regions)
    months: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for done, due in db.session.execute(q):
        key = clock.local(done).strftime("%Y-%m")
        months[key][1] += 1
        if done <= due:
            months[key][0] += 1
    return [Bar(m, round(100 * ok / total, 1), note=f"{ok}/{total}")
            for m, (ok, total) in sorted(months.items())]


# -- administrators -------------------------------------------------------------------------------

STATUSES = ("running", "incident", "completed", "cancelled", "terminated")


def _process_names() -> dict[str, str]:
    """Each process key's name (as its newest version names it; the page translates it)."""
    rows = db.session.execute(select(ProcessVersion.key, ProcessVersion.name)
                              .order_by(ProcessVersion.version)).all()
    return {key: name for key, name in rows if name}


def instances_per_version() -> list[Bar]:
    """Instances per process and version, stacked by status (running, incident, completed, …)."""
    rows = db.session.execute(
        select(ProcessInstance.key, ProcessInstance.version, ProcessInstance.status, func.count())
        .group_by(ProcessInstance.key, ProcessInstance.version, ProcessInstance.status)).all()
    names = _process_names()
    grouped: dict[tuple[str, int], Counter] = defaultdict(Counter)
    for key, version, status, n in rows:
        grouped[(key, version)][status] += n
    order = {s: i for i, s in enumerate(STATUSES)}
    return [Bar(names.get(key) or key, sum(c.values()),
                tuple(sorted(c.items(), key=lambda kv: (order.get(kv[0], 99), kv[0]))),
                suffix=f" v{version}")
            for (key, version), c in sorted(grouped.items())]


def incidents_per_process() -> list[Bar]:
    """Open incidents (instances stopped in the incident state) per process, most first."""
    rows = db.session.execute(
        select(ProcessInstance.key, func.count()).where(ProcessInstance.status == "incident")
        .group_by(ProcessInstance.key)).all()
    names = _process_names()
    return sorted((Bar(names.get(key) or key, n, (("incident", n),)) for key, n in rows),
                  key=lambda b: (-b.value, b.label))


def incidents(limit: int = 20) -> list[ProcessInstance]:
    """The newest open incidents."""
    return list(db.session.scalars(
        select(ProcessInstance).where(ProcessInstance.status == "incident")
        .order_by(ProcessInstance.incident_at.desc()).limit(limit)))


def incident_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ProcessInstance).where(
        ProcessInstance.status == "incident")) or 0


# how late due, unfired timers are: upper bound (seconds) of each bucket, None = no bound
LAG_BUCKETS = (
    (60, _l("Up to 1 minute late")),
    (300, _l("1 to 5 minutes late")),
    (3600, _l("5 to 60 minutes late")),
    (86400, _l("1 to 24 hours late")),
    (None, _l("More than a day late")),
)


def timer_lag_buckets(now: datetime | None = None) -> list[Bar]:
    """Timers due but not fired yet, by how late they are (every bucket, zeros too: a healthy
    worker keeps all but the first at 0)."""
    now = now or clock.now()
    counts = Counter()
    for (due_at,) in db.session.execute(select(Timer.due_at).where(Timer.due_at <= now)):
        late = (now - due_at).total_seconds()
        counts[next(i for i, (bound, _label) in enumerate(LAG_BUCKETS)
                    if bound is None or late <= bound)] += 1
    return [Bar(label, counts[i], (("waiting", counts[i]),) if counts[i] else ())
            for i, (_bound, label) in enumerate(LAG_BUCKETS)]


def heartbeat_ages(now: datetime | None = None, stale_after: float = 60) -> list[Bar]:
    """Seconds since each worker process's last heartbeat, coloured stale past `stale_after`
    (ERFLOW_WORKER_STALE_SECONDS, as /readyz judges it)."""
    from app.ops.models import WorkerHeartbeat

    now = now or clock.now()
    out = []
    for name, beat in db.session.execute(select(WorkerHeartbeat.name, WorkerHeartbeat.beat_at)
                                         .order_by(WorkerHeartbeat.beat_at.desc()).limit(20)):
        age = max(int((now - beat).total_seconds()), 0)
        out.append(Bar(name, age, (("stale" if age > stale_after else "fresh", age),)))
    return out


def worker_lag(now: datetime | None = None) -> dict:
    """How late the oldest due timer is (seconds), how many are due, and the newest heartbeat."""
    now = now or clock.now()
    from app.ops.models import WorkerHeartbeat

    oldest, due = db.session.execute(
        select(func.min(Timer.due_at), func.count()).where(Timer.due_at <= now)).one()
    beat = db.session.scalar(select(func.max(WorkerHeartbeat.beat_at)))
    return {
        "due_timers": due or 0,
        "lag_seconds": int((now - oldest).total_seconds()) if oldest else 0,
        "heartbeat_at": beat,
        "heartbeat_age_seconds": int((now - beat).total_seconds()) if beat else None,
    }
