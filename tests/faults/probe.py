"""`fault_probe(tag)`: the script function the fault diagrams call. It writes one `probe_effect`
audit row in the step's own transaction (so "the step happened" is countable), and can hold the
step open so a test knows a process is mid-step:

- with FAULT_GATE_DIR set (worker subprocesses): writes `entered-<instance>-<pid>` there, then waits
  until a file `release` appears;
- in-process: when `GATE.armed`, sets `GATE.entered` (with the DB backend pid) and waits for
  `GATE.release`.
A tag "fail" raises, which turns the step into an incident.
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from app.engine import current_instance_id
from app.engine.hooks import register_script_function
from app.engine.models import AuditEvent
from app.extensions import db

WAIT_LIMIT = 60.0


class Gate:
    def __init__(self):
        self.armed = False
        self.entered = threading.Event()
        self.release = threading.Event()
        self.backend_pid: int | None = None


GATE = Gate()


def _wait_for_file(path: Path) -> None:
    deadline = time.monotonic() + WAIT_LIMIT
    while not path.exists():  # the test releases us; this runs in a worker subprocess
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} never appeared")
        time.sleep(0.02)


def fault_probe(tag: str) -> bool:
    from app.common import clock

    instance_id = current_instance_id()
    if tag == "fail":
        raise ValueError("probe asked to fail")
    db.session.add(AuditEvent(at=clock.now(), instance_id=instance_id, action="probe_effect",
                              detail={"tag": tag}))
    gate_dir = os.environ.get("FAULT_GATE_DIR")
    if gate_dir:
        (Path(gate_dir) / f"entered-{instance_id}-{os.getpid()}").touch()
        _wait_for_file(Path(gate_dir) / "release")
    elif GATE.armed:
        if db.engine.dialect.name == "postgresql":
            GATE.backend_pid = db.session.connection().exec_driver_sql(
                "SELECT pg_backend_pid()").scalar()
        GATE.entered.set()
        if not GATE.release.wait(WAIT_LIMIT):
            raise TimeoutError("the test never released the probe")
    return True


register_script_function("fault_probe", fault_probe)
