"""The timer worker: one round fires every due timer (`run_due`); a daemon thread can run rounds
inside the web process when ERFLOW_INPROCESS_WORKER is on (development, `make run`)."""

from __future__ import annotations

import logging
import threading

from flask import Flask

log = logging.getLogger("erflow.worker")


def run_round() -> int:
    """Fire what is due; never lets one bad round kill the loop (the error is logged)."""
    from app.engine import run_due
    from app.extensions import db

    try:
        fired = run_due()
    except Exception:  # keep the loop alive; incidents are recorded per instance by run_due
        db.session.rollback()
        log.exception("timer round failed")
        fired = 0
    from app.engine.hooks import periodic_jobs

    for name, job in periodic_jobs().items():  # e.g. the ledger's expiry sweep (R37)
        try:
            job()
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("periodic job %s failed", name)
    return fired


def start_inprocess_worker(app: Flask) -> threading.Thread:
    """Start a daemon thread calling `run_due` every ERFLOW_WORKER_INTERVAL seconds."""
    stop = threading.Event()
    interval = float(app.config.get("ERFLOW_WORKER_INTERVAL", 5))

    def loop() -> None:
        while not stop.wait(interval):
            with app.app_context():
                fired = run_round()
                if fired:
                    log.info("fired %s timer(s)", fired)

    thread = threading.Thread(target=loop, name="erflow-timer-worker", daemon=True)
    thread.stop = stop  # type: ignore[attr-defined]
    thread.start()
    return thread
