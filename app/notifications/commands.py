"""`flask erflow notify`: one notification round (deadline sweep, then mail)."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    @group.command("notify")
    def notify() -> None:
        """Notify approaching and passed deadlines (R4/R5) and mail unmailed notifications."""
        from app.extensions import db
        from app.notifications import services

        added, mailed = services.run()
        db.session.commit()
        click.echo(f"{added} notification(s) added, {mailed} mailed")
