"""Fault-test helpers: the probe diagrams deployed, the shared DB test clock, instances waiting on a
timer, and worker subprocesses (`flask erflow worker`) running against the test's database."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import engine
from app.common.models import TestClock
from app.config import ROOT
from app.engine.models import AuditEvent
from app.extensions import db
from tests.faults import probe

FIXTURES = Path(__file__).parent / "fixtures"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai


@pytest.fixture
def fault_diagrams(app, db_clock):
    """The probe diagrams deployed, the shared clock at T0."""
    app.config["ERFLOW_FORMS_DIR"] = str(FIXTURES / "forms")
    db_clock(T0)
    engine.deploy({p.name: p.read_text("utf-8") for p in FIXTURES.glob("*.bpmn")}, actor_id=None)
    db.session.commit()
    probe.GATE.__init__()
    yield
    probe.GATE.__init__()


@pytest.fixture
def db_clock(app):
    """Set the DB test clock every process reads (ERFLOW_TEST_CLOCK=1)."""

    def set_clock(moment: datetime) -> None:
        row = db.session.get(TestClock, 1)
        if row is None:
            db.session.add(TestClock(id=1, now=moment))
        else:
            row.now = moment
        db.session.commit()

    return set_clock


@pytest.fixture
def waiting(fault_diagrams):
    """Start a fault_timer instance whose timer is due at `due`; returns its id."""

    def start(due: datetime, tag: str = "ok") -> int:
        info = engine.start("fault_timer", {"due_at": due.isoformat(), "tag": tag},
                            actor_id=None, handling_region="330106")
        db.session.commit()
        return info.id

    return start


def effects(instance_id: int | None = None) -> int:
    db.session.expire_all()
    query = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "probe_effect")
    if instance_id is not None:
        query = query.where(AuditEvent.instance_id == instance_id)
    return db.session.scalar(query)


class Workers:
    """Start `flask erflow worker` subprocesses on the test's database (and stop what is left)."""

    def __init__(self, url: str, gate_dir: Path):
        self.url = url
        self.gate_dir = gate_dir
        self.procs: list[subprocess.Popen] = []

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ERFLOW_")}
        env.update(DATABASE_URL=self.url, ERFLOW_TEST_CLOCK="1", FAULT_GATE_DIR=str(self.gate_dir),
                   PYTHONPATH=str(ROOT), ERFLOW_ENV="development")
        return env

    def args(self, *extra: str) -> list[str]:
        return [sys.executable, "-m", "flask", "--app", "tests.faults.worker_app", "erflow",
                "worker", *extra]

    def start(self, *extra: str) -> subprocess.Popen:
        proc = subprocess.Popen(self.args(*extra), env=self.env(), cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.procs.append(proc)
        return proc

    def once(self) -> str:
        """One round (`--once`), to the end; returns its stdout ("fired N")."""
        done = subprocess.run(self.args("--once"), env=self.env(), cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def wait_entered(self, count: int = 1, timeout: float = 60.0) -> list[str]:
        """Wait until `count` probe steps are held open (files `entered-<instance>-<pid>`)."""
        deadline = time.monotonic() + timeout
        while True:
            found = sorted(p.name for p in self.gate_dir.glob("entered-*"))
            if len(found) >= count:
                return found
            for proc in self.procs:
                if proc.poll() is not None:
                    raise AssertionError(f"worker exited early: {proc.stderr.read()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"only {found} entered the probe")
            time.sleep(0.05)  # polling another process, not moving time

    def wait_until(self, predicate, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("the workers did not get there in time")
            time.sleep(0.05)  # polling other processes, not moving time

    def release(self) -> None:
        (self.gate_dir / "release").touch()

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)


@pytest.fixture
def workers(app, database_url, tmp_path):
    db.session.commit()
    gate = tmp_path / "gate"
    gate.mkdir()
    started = Workers(database_url, gate)
    yield started
    started.stop()


def later(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)
