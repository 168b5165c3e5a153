"""`flask erflow create-admin`: the first administrator is made on the command line (API.md)."""

from __future__ import annotations

import os

import click

from app.errors import DomainError


def register(group: click.Group) -> None:
    @group.command("create-admin")
    @click.argument("username")
    @click.option("--display-name", default="系统管理员", show_default=True)
    def create_admin(username: str, display_name: str) -> None:
        """Create an administrator; password from ERFLOW_ADMIN_PASSWORD or a prompt."""
        from app.auth import services
        from app.extensions import db

        password = os.environ.get("ERFLOW_ADMIN_PASSWORD") or click.prompt(
            "Password", hide_input=True, confirmation_prompt=True
        )
        try:
            user = services.create_user(
                username=username, password=password, roles=["admin"], display_name=display_name
            )
        except DomainError as exc:
            db.session.rollback()
            details = "; ".join(f"{k}: {' '.join(v)}" for k, v in (exc.fields or {}).items())
            raise click.ClickException(f"{exc.message} {details}".strip()) from exc
        db.session.commit()
        click.echo(f"administrator {user.username} created (id {user.id})")
