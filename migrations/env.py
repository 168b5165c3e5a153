"""Alembic environment for ERFlow, run through Flask-Migrate (`flask --app wsgi db …`).

The target is the app's metadata (every domain's models, imported by app/models.py). ERFlow's
column types (UTCDateTime, Tonnes, Yuan) are rendered as their storage types, so revisions never
import app code and stay valid when it changes. SQLite needs batch mode to alter tables.
"""
import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy.types import TypeDecorator

config = context.config
if config.config_file_name is not None:
    # keep loggers configured before (app, tests): fileConfig would disable them by default
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

db = current_app.extensions["migrate"].db
config.set_main_option(
    "sqlalchemy.url", db.engine.url.render_as_string(hide_password=False).replace("%", "%%")
)


def render_item(type_, obj, autogen_context):
    """Our TypeDecorators become their `impl` (BigInteger, DateTime) in generated revisions."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


# tests/test_setup.py compares models and migrations with these same options
COMPARE_OPTIONS = {"compare_type": True, "compare_server_default": True}


def _options() -> dict:
    return {
        "target_metadata": db.metadata,
        **COMPARE_OPTIONS,
        "render_item": render_item,
        "render_as_batch": True,
        **current_app.extensions["migrate"].configure_args,
    }


def run_migrations_offline() -> None:
    url = config.get_main_option("sqlalchemy.url")
    context.configure(url=url, literal_binds=True, **_options())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    def skip_empty(context_, revision, directives):
        # `flask db migrate` with no model change writes no empty revision
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    options = _options()
    options.setdefault("process_revision_directives", skip_empty)
    with db.engine.connect() as connection:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
