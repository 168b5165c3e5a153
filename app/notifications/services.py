"""Notifications: who hears about what, and the mail that goes out when SMTP is configured.

- A task opened → every user who may work on it: its role in its region (bureau lanes), or the
  users of its enterprise (enterprise lane). Created in the same flush as the human_task row
  (a `before_flush` listener on the session, so the engine needs no call into this domain).
- A decision step completed (its form has a decision field — decision, review_decision,
  certify_decision, … — in any bureau lane) → the users of the instance's enterprise. A trade's
  steps that decide about the seller's surplus (SELLER_STEPS: its certification, the priority
  buyback, the bidding result, the settlement with its certificate or R37 end) → also the users
  of the selling unit (the summary's `seller`, when it is a unit's account `enterprise:<id>`).
- Deadlines (R4/R5): `sweep(now=…)` notifies a task's assignee (or its candidates) when ≤ 3 working
  days are left (`due_soon`) and when it is overdue (`overdue`); each (user, kind, task) once. The
  same for unpaid fee notices (R16) to the enterprise's users.
- Mail and fee-notice titles are in the recipient's language (their `locale`, else zh_CN).
- `deliver_mail()` mails unmailed notifications of users with an e-mail address through
  ERFLOW_SMTP_HOST/PORT/FROM when the host is set (ERFLOW_SMTP_STARTTLS, ERFLOW_SMTP_USER and
  ERFLOW_SMTP_PASSWORD for a server that wants them).
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage
from functools import cache

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, bindparam, event, func, literal, select, update
from sqlalchemy.orm import Session

from app.auth.models import BUREAU_ROLES, User
from app.common import clock
from app.common.types import UTCDateTime
from app.engine.models import HumanTask, ProcessInstance
from app.errors import NotFound
from app.extensions import db
from app.notifications.models import KINDS, Notification

log = logging.getLogger("erflow.notifications")

# each kind's mail subject, translated into the recipient's language when the mail is written
MAIL_SUBJECT = {
    "task": _l("New task for you"),
    "decision": _l("Result of your application"),
    "due_soon": _l("Deadline approaching"),
    "overdue": _l("Deadline overdue"),
}
DEFAULT_LOCALE = "zh_CN"
# trade steps whose outcome concerns the selling unit (R19 certification, R21 priority buyback,
# R20 bidding result, R24/R37 settlement: certificate issued or the trade ended)
SELLER_STEPS = frozenset({"certify", "priority_buyback", "confirm_bidding", "confirm_settlement"})


def task_link(task_id: str) -> str:
    return f"/inbox/tasks/{task_id}"


def _subject(task: HumanTask) -> str:
    title = task.title or task.name
    return f"{title}（{task.business_key}）" if task.business_key else title


def unit_users(unit_ids, session: Session | None = None) -> list[int]:
    """The active users of these emission units (ids; None is skipped)."""
    wanted = {int(u) for u in unit_ids if u is not None}
    if not wanted:
        return []
    return list((session or db.session).scalars(select(User.id).where(
        User.enterprise_id.in_(wanted), User.active.is_(True))))


def candidates(session: Session, task: HumanTask) -> list[int]:
    """Users who may work on `task` (R7: bureau roles in the task's own region)."""
    if task.assignee_id:
        return [task.assignee_id]
    if task.role == "enterprise" or task.enterprise_id:
        return unit_users([task.enterprise_id], session)
    if task.role not in BUREAU_ROLES or not task.region_code:
        return []
    users = session.execute(select(User.id, User.roles_csv).where(
        User.region_code == task.region_code, User.active.is_(True))).all()
    return [uid for uid, roles in users if task.role in (roles or "").split(",")]


def _bureau_queue(task: HumanTask) -> bool:
    """An unclaimed bureau task: its candidates are the role's users in its region."""
    return (not task.assignee_id and task.role in BUREAU_ROLES and bool(task.region_code)
            and task.role != "enterprise" and not task.enterprise_id)


def _notify_bureau_queue(session: Session, task: HumanTask, now: datetime) -> None:
    """A new bureau task's notifications in one statement (INSERT … SELECT over its candidates,
    the same users as `candidates`): the row is new, so nobody was told of it yet."""
    session.connection().execute(_bureau_queue_insert(), {
        "region": task.region_code, "role_pattern": f"%,{_like_escaped(task.role)},%",
        "ref": task.id, "title": _subject(task)[:300], "link": task_link(task.id), "now": now})


def _like_escaped(text: str) -> str:
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


@cache  # built once: most completions open a bureau task
def _bureau_queue_insert():
    members = (literal(",") + User.roles_csv + literal(",")).like(
        bindparam("role_pattern", type_=String), escape="/")
    chosen = select(
        User.id, literal("task"), bindparam("ref", type_=String),
        bindparam("title", type_=String), bindparam("link", type_=String),
        bindparam("now", type_=UTCDateTime), literal(0),
    ).where(User.region_code == bindparam("region"), User.active.is_(True), members)
    return Notification.__table__.insert().from_select(
        ["user_id", "kind", "ref", "title", "link", "created_at", "mail_attempts"], chosen)


def _notify(session: Session, *, user_ids, kind: str, ref: str, title: str, link: str | None,
            now: datetime, checked: bool = False) -> int:
    """Add one notification per user unless (user, kind, ref) exists already. `checked`: the ids
    are active users and `ref` is new (a task row new in this flush): nothing is looked up."""
    wanted = {u for u in user_ids if u}
    if not wanted:
        return 0
    if checked:
        user_ids, seen = sorted(wanted), set()
    else:
        # only existing, active users (an engine actor id need not be a user)
        user_ids = sorted(session.scalars(select(User.id).where(
            User.id.in_(wanted), User.active.is_(True))))
        if not user_ids:
            return 0
        seen = set(session.scalars(select(Notification.user_id).where(
            Notification.user_id.in_(user_ids), Notification.kind == kind,
            Notification.ref == ref)))
    pending = {(n.user_id, n.kind, n.ref) for n in session.new if isinstance(n, Notification)}
    added = 0
    for uid in user_ids:
        if uid in seen or (uid, kind, ref) in pending:
            continue
        session.add(Notification(user_id=uid, kind=kind, ref=ref, title=title[:300], link=link,
                                 created_at=now))
        added += 1
    return added


def notify_users(*, user_ids, kind: str, ref: str, title, link: str | None) -> int:
    """Tell users of an event that is no task of theirs (e.g. a mediation's outcome to both
    parties of a trade, R25): one notification each, never twice for the same (user, kind, ref);
    inactive or unknown ids are skipped. A lazy `title` (`_l(...)`) is written in each
    recipient's language. Flushes, never commits."""
    now = clock.now()
    if isinstance(title, str):
        added = _notify(db.session, user_ids=user_ids, kind=kind, ref=ref, title=title,
                        link=link, now=now)
    else:
        users = db.session.execute(select(User.id, User.locale).where(
            User.id.in_({u for u in user_ids if u}))).all()
        added = 0
        for locale, ids in _by_locale(users).items():
            with force_locale(locale):
                added += _notify(db.session, user_ids=ids, kind=kind, ref=ref, title=str(title),
                                 link=link, now=now)
    db.session.flush()
    return added


def _is_decision(task: HumanTask) -> bool:
    """A bureau step whose form has a decision field, whatever lane (handler, reviewer, approver,
    a superior bureau's reviewer): the applicant hears of its result. A handler's draft decides
    nothing; an enterprise's own choice (signing a contract) is no bureau decision."""
    from app.inbox.forms import decision_field

    return task.role != "enterprise" and bool(task.form_key) and \
        decision_field(task.form_key) is not None


def _instance_audience(session: Session, instance_id: int) -> list[int]:
    """The applicant: the users of the instance's enterprise."""
    inst = session.get(ProcessInstance, instance_id)
    return unit_users([inst.enterprise_id if inst is not None else None], session)


def _seller_audience(session: Session, task: HumanTask) -> list[int]:
    """A trade's selling unit's users (a unit's surplus transfer; a reserve sale has none)."""
    inst = session.get(ProcessInstance, task.instance_id)
    seller = str((inst.summary or {}).get("seller") or "") if inst is not None else ""
    unit = seller.removeprefix("enterprise:")
    if not seller.startswith("enterprise:") or not unit.isdigit():
        return []
    return unit_users([unit], session)


def _on_flush(session: Session, _ctx, _instances) -> None:
    """Task opened → its candidates; bureau task completed → the applicant (decision)."""
    opened = [o for o in session.new if isinstance(o, HumanTask) and o.state == "open"]
    completed = [
        o for o in session.dirty
        if isinstance(o, HumanTask) and o.state == "completed" and o.role != "enterprise"
        and o.form_key and _state_changed(o)
    ]
    if not opened and not completed:
        return
    try:
        with session.no_autoflush:
            decided = [t for t in completed if _is_decision(t)]
            for_seller = [t for t in completed if t.name in SELLER_STEPS]
            _notify_flush(session, opened, decided, for_seller)
    except Exception:  # a notification must never stop a process step
        log.exception("notifications for a flush failed")


def _notify_flush(session: Session, opened: list[HumanTask], decided: list[HumanTask],
                  for_seller: list[HumanTask] = ()) -> None:
    now = clock.now()
    for task in opened:  # a new row: its candidates are active users, nobody was told of it yet
        if _bureau_queue(task):
            _notify_bureau_queue(session, task, now)
            continue
        _notify(session, user_ids=candidates(session, task), kind="task", ref=task.id,
                title=_subject(task), link=task_link(task.id), now=now,
                checked=not task.assignee_id)
    for task in decided:
        audience = [u for u in _instance_audience(session, task.instance_id)
                    if u != task.completed_by]
        _notify(session, user_ids=audience, kind="decision", ref=task.id,
                title=_subject(task), link=f"/my/applications#app-{task.instance_id}",
                now=now)
    for task in for_seller:
        audience = [u for u in _seller_audience(session, task) if u != task.completed_by]
        _notify(session, user_ids=audience, kind="decision", ref=task.id,
                title=_subject(task), link=f"/my/trades#sale-{task.instance_id}", now=now)


def _state_changed(obj) -> bool:
    """Whether this flush writes the row's `state` (not only another column of a done row)."""
    from sqlalchemy import inspect

    return inspect(obj).attrs.state.history.has_changes()


_installed: list[bool] = []


def install() -> None:
    """Listen to every session's flush (idempotent)."""
    if not _installed:
        event.listen(Session, "before_flush", _on_flush)
        _installed.append(True)


# -- deadlines (R4, R5) ---------------------------------------------------------------------------

def sweep(*, now: datetime | None = None) -> int:
    """Notify approaching (≤ 3 working days, R4/R5) and passed deadlines of open tasks; returns
    how many notifications were added. Flushes, never commits."""
    from app.inbox.queries import light

    now = now or clock.now()
    added = 0
    # 3 working days never span more than ~12 calendar days (the longest holiday is 8 days)
    tasks = db.session.scalars(select(HumanTask).where(
        HumanTask.state == "open", HumanTask.due_at.is_not(None),
        HumanTask.due_at <= now + timedelta(days=16))).all()
    for task in tasks:
        colour = light(task.due_at, now)
        kind = {"red": "overdue", "yellow": "due_soon"}.get(colour)
        if kind is None:
            continue
        added += _notify(db.session, user_ids=candidates(db.session, task), kind=kind,
                         ref=task.id, title=_subject(task), link=task_link(task.id), now=now)
    added += _sweep_fees(now)
    db.session.flush()
    return added


def _sweep_fees(now: datetime) -> int:
    """Unpaid fee notices (R16) due within 3 working days or overdue → the enterprise's users."""
    from app.inbox.queries import light
    from app.ledger.models import FeeNotice

    added = 0
    notices = db.session.scalars(select(FeeNotice).where(
        FeeNotice.status == "unpaid", FeeNotice.due_at <= now + timedelta(days=16))).all()
    for notice in notices:
        kind = {"red": "overdue", "yellow": "due_soon"}.get(light(notice.due_at, now))
        if kind is None:
            continue
        users = db.session.execute(select(User.id, User.locale).where(
            User.enterprise_id == notice.enterprise_id, User.active.is_(True))).all()
        for locale, user_ids in _by_locale(users).items():
            with force_locale(locale):
                title = _("Payment notice %(number)s (%(amount)s yuan)", number=notice.number,
                          amount=notice.amount)
            added += _notify(db.session, user_ids=user_ids, kind=kind, ref=f"fee:{notice.id}",
                             title=title, link=f"/allocation/fee-notices/{notice.id}", now=now)
    return added


def _by_locale(users) -> dict[str, list[int]]:
    """(user id, locale) rows grouped by the language each user reads (zh_CN unless chosen)."""
    groups: dict[str, list[int]] = {}
    for uid, locale in users:
        groups.setdefault(locale or DEFAULT_LOCALE, []).append(uid)
    return groups


# -- reading ---------------------------------------------------------------------------

def unread_count(user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def recent(user_id: int, *, limit: int = 100) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user_id)
                                   .order_by(Notification.created_at.desc(),
                                             Notification.id.desc()).limit(limit)))


def mark_read(*, user_id: int, notification_id: int) -> Notification:
    """Mark one of the user's own notifications read (another user's is 404)."""
    note = db.session.get(Notification, notification_id)
    if note is None or note.user_id != user_id:
        raise NotFound(_l("通知不存在"))
    if note.read_at is None:
        note.read_at = clock.now()
    db.session.flush()
    return note


def mark_all_read(*, user_id: int) -> None:
    db.session.execute(update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    ).values(read_at=clock.now()))
    db.session.flush()


# -- mail ------------------------------------------------------------------------------

MAIL_BATCH = 200  # notifications one worker claims per round
MAIL_MAX_ATTEMPTS = 5  # ERFLOW_MAIL_MAX_ATTEMPTS: failed sends of one mail before it is given up


def deliver_mail(*, now: datetime | None = None) -> int:
    """Send unmailed notifications to their users' e-mail through the configured SMTP server;
    nothing when ERFLOW_SMTP_HOST is unset. Returns how many were sent.

    Each mail goes out at most once, however many workers run (docs/operations.md, "Mail"):
    a round first *claims* its rows (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so two workers never
    take the same row; SQLite: one writer) and commits the claim, then sends, then commits the
    outcome. That is why this service commits, unlike the others: the claim must be durable
    before the mail leaves. Outcomes: sent, or refused for good (5xx recipient) → `mailed_at`;
    a failed send → released for the next round, up to ERFLOW_MAIL_MAX_ATTEMPTS sends, then
    given up (logged; the bell still shows it); server unreachable → released, not counted. A
    worker that dies mid-round leaves its rows claimed and unmarked: they are not sent again."""
    host = current_app.config.get("ERFLOW_SMTP_HOST")
    if not host:
        return 0
    now = now or clock.now()
    rows = _claim_mail(now)
    if not rows:
        return 0
    base = (current_app.config.get("ERFLOW_BASE_URL") or "").rstrip("/")
    sender = current_app.config.get("ERFLOW_SMTP_FROM") or "erflow@localhost"
    done: list[int] = []  # sent, or refused for good
    refused = 0
    failed: list[int] = []  # this send failed: retried next round (counted)
    try:
        with smtplib.SMTP(host, int(current_app.config.get("ERFLOW_SMTP_PORT") or 25),
                          timeout=10) as smtp:
            if current_app.config.get("ERFLOW_SMTP_STARTTLS"):
                smtp.starttls()
            if current_app.config.get("ERFLOW_SMTP_USER"):
                smtp.login(current_app.config["ERFLOW_SMTP_USER"],
                           current_app.config.get("ERFLOW_SMTP_PASSWORD") or "")
            locales = _user_locales({note.user_id for note, _email in rows})
            for note, email in rows:
                msg = EmailMessage()
                msg["From"] = sender
                msg["To"] = email
                subject, body = mail_text(note, locale=locales.get(note.user_id), base=base)
                msg["Subject"] = subject
                msg.set_content(body)
                try:
                    smtp.send_message(msg)
                except smtplib.SMTPRecipientsRefused:  # permanent: never retried
                    log.warning("mail to user %s refused", note.user_id)
                    done.append(note.id)
                    refused += 1
                    continue
                except smtplib.SMTPException:
                    log.exception("mail to user %s failed", note.user_id)
                    failed.append(note.id)
                    continue
                done.append(note.id)
    except (OSError, smtplib.SMTPException):  # server down: the rest stay unmailed, retried
        log.exception("SMTP server %s unavailable", host)
    _settle_mail(rows, done=done, failed=failed, now=now)
    return len(done) - refused


def _user_locales(user_ids: set[int]) -> dict[int, str | None]:
    return dict(db.session.execute(select(User.id, User.locale).where(User.id.in_(user_ids))).all())


def titles(notes: list[Notification]) -> dict[int, str]:
    """Each note's title in the current language: a task's step name through the forms'
    translations (a diagram names its steps in Chinese), any other title as stored (written in
    its recipient's language)."""
    from app.inbox.forms import form_text

    refs = {n.ref for n in notes if n.kind in KINDS and not n.ref.startswith("fee:")}
    tasks = {t.id: t for t in db.session.scalars(select(HumanTask).where(
        HumanTask.id.in_(refs)))} if refs else {}
    out = {}
    for note in notes:
        task = tasks.get(note.ref)
        if task is None:
            out[note.id] = note.title
            continue
        step = form_text(task.title) or task.name
        out[note.id] = _("%(step)s (%(number)s)", step=step, number=task.business_key) \
            if task.business_key else step
    return out


def mail_text(note: Notification, *, locale: str | None, base: str = "") -> tuple[str, str]:
    """The subject and body of `note`'s mail in the recipient's language (zh_CN by default): the
    kind through the catalogues, a step's name through the forms' translations."""
    with force_locale(locale or DEFAULT_LOCALE):
        kind = str(MAIL_SUBJECT.get(note.kind) or _("Notification"))
        line = _("%(label)s: %(value)s", label=kind, value=titles([note])[note.id])
    link = f"{base}{note.link}" if note.link else ""
    return f"[ERFlow] {line}", f"{line}\n{link}\n"


def _claim_mail(now: datetime) -> list[tuple[Notification, str]]:
    """Claim up to MAIL_BATCH unmailed notifications (with the user's e-mail) for this round and
    commit the claim. On PostgreSQL the rows are picked `FOR UPDATE SKIP LOCKED` and claimed in
    the same statement, so concurrent workers split the queue; on SQLite the statement runs
    under the one write lock. A row claimed by another round is never returned."""
    limit = int(current_app.config.get("ERFLOW_MAIL_BATCH", MAIL_BATCH))
    attempts = int(current_app.config.get("ERFLOW_MAIL_MAX_ATTEMPTS", MAIL_MAX_ATTEMPTS))
    unclaimed = (Notification.mailed_at.is_(None), Notification.mail_claimed_at.is_(None))
    queue = (select(Notification.id).join(User, User.id == Notification.user_id)
             .where(*unclaimed, Notification.mail_attempts < attempts,
                    User.email.is_not(None), User.email != "")
             .order_by(Notification.id).limit(limit)
             .with_for_update(skip_locked=True, of=Notification))
    # MATERIALIZED: the locking pick runs once. As a plain `IN (subquery)` PostgreSQL may put it
    # inside a nested loop and pick again for every outer row, each pick skipping what the other
    # worker holds at that moment; a round could then claim nothing while mail was waiting.
    picked = queue.cte("picked").prefix_with("MATERIALIZED", dialect="postgresql")
    ids = list(db.session.scalars(
        update(Notification).where(Notification.id.in_(select(picked.c.id)), *unclaimed)
        .values(mail_claimed_at=now, mail_attempts=Notification.mail_attempts + 1)
        .returning(Notification.id).execution_options(synchronize_session=False)))
    db.session.commit()
    if not ids:
        return []
    return [(note, email) for note, email in db.session.execute(
        select(Notification, User.email).join(User, User.id == Notification.user_id)
        .where(Notification.id.in_(ids)).order_by(Notification.id)).all()]


def _settle_mail(rows, *, done: list[int], failed: list[int], now: datetime) -> None:
    """Record a round's outcome and commit: sent → `mailed_at`; failed → released (the attempt
    counts; the last allowed one is logged as given up); not tried because the server was
    unreachable → released without counting the attempt."""
    attempts = int(current_app.config.get("ERFLOW_MAIL_MAX_ATTEMPTS", MAIL_MAX_ATTEMPTS))
    untried = [n.id for n, _ in rows if n.id not in set(done) | set(failed)]
    quiet = {"synchronize_session": False}
    if done:
        db.session.execute(update(Notification).where(Notification.id.in_(done))
                           .values(mailed_at=now).execution_options(**quiet))
    if failed:
        db.session.execute(update(Notification).where(Notification.id.in_(failed))
                           .values(mail_claimed_at=None).execution_options(**quiet))
        for note, _ in rows:
            if note.id in failed and note.mail_attempts >= attempts:
                log.warning("mail of notification %s given up after %s attempts", note.id,
                            note.mail_attempts)
    if untried:
        db.session.execute(update(Notification).where(Notification.id.in_(untried))
                           .values(mail_claimed_at=None,
                                   mail_attempts=Notification.mail_attempts - 1)
                           .execution_options(**quiet))
    db.session.commit()


def run(*, now: datetime | None = None) -> tuple[int, int]:
    """The worker/CLI round: deadline sweep, then mail. Returns (added, mailed)."""
    added = sweep(now=now)
    return added, deliver_mail(now=now)


_last_periodic: list[datetime] = []


def periodic() -> None:
    """The worker's periodic job (app.engine.hooks.register_periodic): `run` at most once per
    ERFLOW_NOTIFY_INTERVAL seconds (default 300) of the clock."""
    now = clock.now()
    interval = float(current_app.config.get("ERFLOW_NOTIFY_INTERVAL", 300))
    if _last_periodic and 0 <= (now - _last_periodic[0]).total_seconds() < interval:
        return
    _last_periodic[:] = [now]
    run(now=now)


def install_periodic() -> None:
    from app.engine.hooks import register_periodic

    register_periodic("notifications", periodic)
