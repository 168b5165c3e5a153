"""Notification tests reuse the inbox fixtures (deployed diagrams, county staff, task rows) and
share one local SMTP sink."""
from __future__ import annotations

import socketserver
import threading
import time

import pytest

from tests.inbox.conftest import (  # noqa: F401
    COUNTY_A,
    COUNTY_B,
    deployed,
    make_task,
    monday,
    staff,
    start_allocation,
)


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
def smtp_sink(app):
    """A running sink the app mails to; its `messages` are the raw mails it accepted."""
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
