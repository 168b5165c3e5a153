"""`flask erflow deploy [DIR]` and `flask erflow worker [--once] [--interval S]`."""

from __future__ import annotations

import logging
import time

import click
from flask import current_app

log = logging.getLogger("erflow.worker")


def register(group) -> None:
    @group.command("deploy")
    @click.argument("directory", required=False)
    def deploy_command(directory: str | None) -> None:
        """Deploy every .bpmn/.dmn file of DIRECTORY (default: the configured bpmn/ folder)."""
        from app.engine import deploy_dir
        from app.extensions import db

        folder = directory or current_app.config["ERFLOW_BPMN_DIR"]
        for info in deploy_dir(folder):
            state = "new version" if info.changed else "unchanged"
            click.echo(f"{info.key} v{info.version}: {state}")
        db.session.commit()

    @group.command("worker")
    @click.option("--once", is_flag=True, help="Fire what is due now, then exit.")
    @click.option("--interval", type=float, default=None, help="Seconds between rounds.")
    def worker_command(once: bool, interval: float | None) -> None:
        """Fire due timers (deadlines, publication windows) in a loop."""
        from app.engine.worker import run_round
        from app.ops.heartbeat import beat

        pause = interval or current_app.config["ERFLOW_WORKER_INTERVAL"]
        while True:
            fired = run_round()
            beat(fired)  # /readyz reports the age of the newest worker heartbeat
            if fired:
                log.info("fired %s timer(s)", fired)
            click.echo(f"fired {fired}") if once else None
            if once:
                return
            time.sleep(pause)
