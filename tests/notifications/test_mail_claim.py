"""Mail is claimed before it is sent: two workers delivering at once send each mail once, a worker
that dies mid-round sends nothing twice, and failed sends are retried a bounded number of times.
Runs on SQLite (one writer) and on PostgreSQL (`FOR UPDATE SKIP LOCKED`) against a local SMTP
sink."""
from __future__ import annotations

import collections
import re
import socketserver
import threading
import time
from email import message_from_bytes
from email.policy import default

import pytest
from sqlalchemy import func, select

from app.common import clock
from app.extensions import db
from app.notifications import services
from app.notifications.models import Notification


class _Sink(socketserver.StreamRequestHandler):
    """A minimal SMTP server: keeps every message; `server.delay` slows each DATA (so rounds
    overlap); `server.fail_data` answers 451 to DATA (a failed send, retried later)."""

    def handle(self):
        self.wfile.write(b"220 sink ready\r\n")
        while line := self.rfile.readline():
            cmd = line.decode("ascii", "replace").strip().upper()
            if cmd.startswith(("EHLO", "HELO")):
                self.wfile.write(b"250 sink\r\n")
            elif cmd == "DATA":
                self.wfile.write(b"354 go ahead\r\n")
                body = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    body.append(chunk)
                time.sleep(self.server.delay)
                if self.server.fail_data:
                    self.wfile.write(b"451 try again later\r\n")
                    continue
                with self.server.lock:
                    self.server.messages.append(b"".join(body))
                self.wfile.write(b"250 queued\r\n")
            elif cmd == "QUIT":
                self.wfile.write(b"221 bye\r\n")
                return
            else:  # MAIL FROM, RCPT TO, RSET, NOOP
                self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def sink(app):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Sink)
    server.daemon_threads = True
    server.messages, server.lock, server.delay, server.fail_data = [], threading.Lock(), 0.0, False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config.update(ERFLOW_SMTP_HOST="127.0.0.1", ERFLOW_SMTP_PORT=server.server_address[1],
                      ERFLOW_SMTP_FROM="erflow@bureau.example",
                      ERFLOW_BASE_URL="https://erflow.example")
    yield server
    server.shutdown()
    server.server_close()


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


def test_two_workers_at_once_send_each_mail_exactly_once(app, sink, queued):
    app.config["ERFLOW_MAIL_BATCH"] = 20  # many small rounds: the workers interleave
    ids = queued(120)
    sink.delay = 0.002
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
    refs = collections.Counter(_refs(sink.messages))
    assert len(refs) == len(ids) and set(refs.values()) == {1}, refs.most_common(3)
    assert sum(sent.values()) == len(ids)
    assert all(sent.values()), sent  # both workers took part: the queue was split, not serialised
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Notification)
                             .where(Notification.mailed_at.is_(None))) == 0


def test_a_worker_dying_mid_round_sends_nothing_twice(app, sink, queued):
    queued(3)
    claimed = services._claim_mail(clock.now())  # claimed, then the process dies before sending
    assert len(claimed) == 3
    assert services.deliver_mail() == 0 and sink.messages == []  # at most once: not resent


def test_failed_sends_are_retried_then_given_up(app, sink, queued, caplog):
    app.config["ERFLOW_MAIL_MAX_ATTEMPTS"] = 3
    (note_id,) = queued(1)
    sink.fail_data = True
    for _ in range(5):
        assert services.deliver_mail() == 0
    db.session.expire_all()
    note = db.session.get(Notification, note_id)
    assert note.mail_attempts == 3 and note.mailed_at is None and note.mail_claimed_at is None
    assert "given up after 3 attempts" in caplog.text
    sink.fail_data = False
    assert services.deliver_mail() == 0 and sink.messages == []  # given up stays given up


def test_a_failed_send_is_retried_once_the_server_accepts(app, sink, queued):
    (note_id,) = queued(1)
    sink.fail_data = True
    assert services.deliver_mail() == 0
    sink.fail_data = False
    assert services.deliver_mail() == 1
    assert services.deliver_mail() == 0
    assert len(sink.messages) == 1
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
