"""`flask erflow …` commands. Each domain contributes its commands through `register(group)`."""
import click
from flask.cli import AppGroup

erflow = AppGroup("erflow", help="ERFlow administration commands.")


def _register() -> None:
    from importlib import import_module

    for module in ("app.auth.commands", "app.common.commands", "app.engine.commands", "app.seed",
                   "app.ops.commands", "app.notifications.commands"):
        try:
            mod = import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        mod.register(erflow)


@erflow.command("init-db")
def init_db() -> None:
    """Create all tables (migrations are applied by `flask db upgrade`; this is for scratch DBs)."""
    from app.extensions import db

    db.create_all()
    click.echo("tables created")


_register()
