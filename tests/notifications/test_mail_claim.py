"""Mail is claimed before it is sent: two workers delivering at once send each mail once, a worker
that dies mid-round sends nothing twice, and failed sends are retried a bounded number of times.
Runs on SQLite (one writer) and on PostgreSQL (`FOR UPDATE SKIP LOCKED`) against a local SMTP
sink (the `smtp_sink` fixture)."""
from __future__ import annotations

import collections
import re
import threading
from email import message_from_bytes
from email.policy import default

import pytest
from sqlalchemy import event, func, select

from app.common import clock
from app.extensions import db
from app.notifications import services
from app.notifications.models import Notification
from tests.db import test_db_kind


@pytest.fixture
def queued(make_user):
    """`n` unmailed notifications spread over five users with e-mail; returns their ids."""

    def build(n: int) -> list[int]:
        users = [make_user(roles=["reviewer"], email=f"r{i}@bureau.example") for i in range(5)]
        now = clock.now()
        notes = [Notification(user_id=users[i % 5].id, kind="task", ref=f"t{i}",
                              title=f"待办 {i}", link=f"/inbox/tasks/t{i}", created_at=now)
                 for i in range(n)]
        db.session.add_all(notes)
        db.session.commit()
        return [n.id for n in notes]

    return build


def _refs(messages) -> list[str]:
    """The task ref of each mail (from its link), one per message received."""
    out = []
    for raw in messages:
        body = message_from_bytes(raw, policy=default).get_content()
        out.append(re.search(r"/inbox/tasks/(t\d+)", body).group(1))
    return out


def test_two_workers_at_once_send_each_mail_exactly_once(app, smtp_sink, queued):
    app.config["ERFLOW_MAIL_BATCH"] = 20  # many small rounds: the workers interleave
    ids = queued(120)
    # each send takes a while, so one worker alone would need seconds for the queue: the other one
    # is running long before that even on a loaded machine (0.002 s let one worker finish first)
    smtp_sink.delay = 0.02
    start = threading.Barrier(2)
    sent: dict[str, int] = {}
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        with app.app_context():  # its own session and connection, like a second process
            try:
                start.wait()
                total = 0
                while n := services.deliver_mail():
                    total += n
                sent[name] = total
            except BaseException as exc:  # reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    refs = collections.Counter(_refs(smtp_sink.messages))
    assert len(refs) == len(ids) and set(refs.values()) == {1}, refs.most_common(3)
    assert sum(sent.values()) == len(ids)
    assert all(sent.values()), sent  # both workers took part: the queue was split, not serialised
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.mailed_at.is_(None))) == 0


@pytest.mark.skipif(test_db_kind() != "postgres", reason="SKIP LOCKED is PostgreSQL's")
def test_the_claims_locking_pick_runs_once(app, smtp_sink, queued):
    """The pick (`FOR UPDATE SKIP LOCKED … LIMIT`) is a materialised CTE. As a plain IN-subquery
    PostgreSQL planned it inside a nested loop, picking again for every outer row while the other
    worker claimed: in CI one worker of two claimed nothing in its first round and stopped."""
    queued(30)
    statements: list[tuple[str, dict]] = []

    def grab(_conn, _cursor, statement, parameters, _context, _many):
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        assert len(services._claim_mail(clock.now())) == 30
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)
    claim, params = next((s, p) for s, p in statements if "SKIP LOCKED" in s)
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("EXPLAIN " + claim, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    finally:
        raw.rollback()
        raw.close()
    assert "CTE picked" in plan and plan.count("LockRows") == 1, plan


def test_a_worker_dying_mid_round_sends_nothing_twice(app, smtp_sink, queued):
    queued(3)
    claimed = services._claim_mail(clock.now())  # claimed, then the process dies before sending
    assert len(claimed) == 3
    assert services.deliver_mail() == 0 and smtp_sink.messages == []  # at most once: not resent


def test_failed_sends_are_retried_then_given_up(app, smtp_sink, queued, caplog):
    app.config["ERFLOW_MAIL_MAX_ATTEMPTS"] = 3
    (note_id,) = queued(1)
    smtp_sink.fail_data = True
    for _ in range(5):
        assert services.deliver_mail() == 0
    db.session.expire_all()
    note = db.session.get(Notification, note_id)
    assert note.mail_attempts == 3 and note.mailed_at is None and note.mail_claimed_at is None
    assert "given up after 3 attempts" in caplog.text
    smtp_sink.fail_data = False
    assert services.deliver_mail() == 0 and smtp_sink.messages == []  # given up stays given up


def test_a_failed_send_is_retried_once_the_server_accepts(app, smtp_sink, queued):
    (note_id,) = queued(1)
    smtp_sink.fail_data = True
    assert services.deliver_mail() == 0
    smtp_sink.fail_data = False
    assert services.deliver_mail() == 1
    assert services.deliver_mail() == 0
    assert len(smtp_sink.messages) == 1
    db.session.expire_all()
    assert db.session.get(Notification, note_id).mail_attempts == 2


def test_an_unreachable_server_does_not_use_up_attempts(app, queued):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app.config.update(ERFLOW_SMTP_HOST="127.0.0.1", ERFLOW_SMTP_PORT=port)
    (note_id,) = queued(1)
    for _ in range(7):
        assert services.deliver_mail() == 0
    db.session.expire_all()
    note = db.session.get(Notification, note_id)
    assert note.mail_attempts == 0 and note.mail_claimed_at is None and note.mailed_at is None
