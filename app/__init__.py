"""ERFlow: emission-rights approval workflows. `create_app` builds the app and nothing else."""
from __future__ import annotations

import os

from flask import Flask

from app.config import CONFIGS


def create_app(config: dict | str | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    name = config if isinstance(config, str) else os.environ.get("ERFLOW_ENV", "development")
    app.config.from_object(CONFIGS[name])
    if isinstance(config, dict):
        app.config.update(config)
    os.makedirs(app.instance_path, exist_ok=True)
    from app.ops import bound_integer_ids

    bound_integer_ids(app)  # before any route is registered

    from app import extensions

    extensions.db.init_app(app)
    with app.app_context():
        from app.common.db_tuning import ping_when_idle, tune_sqlite

        tune_sqlite(extensions.db.engine)
        ping_when_idle(extensions.db.engine)
    extensions.migrate.init_app(app, extensions.db, directory=str(_root() / "migrations"))
    extensions.login_manager.init_app(app)
    extensions.csrf.init_app(app)
    _init_babel(app)

    from app import models  # noqa: F401  (every table registered before anything queries)
    from app.errors import register_error_handlers

    register_error_handlers(app)
    _register_blueprints(app)

    from app.cli import erflow

    app.cli.add_command(erflow)
    from app.web import init_web

    init_web(app)
    from app.ops import init_ops

    init_ops(app)  # /healthz, /readyz, request ids and JSON logs, HSTS, 503 on a lost DB connection
    from app.engine.hooks import load_domain_hooks

    load_domain_hooks()  # domain hooks (allocation, trade…) registered before any instance runs
    if app.config.get("ERFLOW_INPROCESS_WORKER"):
        from app.engine.worker import start_inprocess_worker

        start_inprocess_worker(app)
    return app


def _root():
    from app.config import ROOT

    return ROOT


def _init_babel(app: Flask) -> None:
    from app.extensions import babel
    from app.web import select_locale, select_timezone

    dirs = [str(p) for p in sorted((_root() / "app").glob("*/translations"))]
    dirs.insert(0, str(_root() / "app" / "translations"))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(dirs)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)


def _register_blueprints(app: Flask) -> None:
    from app.admin.views import bp as admin_bp
    from app.allocation.views import bp as allocation_bp
    from app.api import bp as api_bp
    from app.auth.views import bp as auth_bp
    from app.dashboard.views import bp as dashboard_bp
    from app.enterprise_portal.views import bp as enterprise_portal_bp
    from app.extensions import csrf
    from app.inbox.views import bp as inbox_bp
    from app.notifications.views import bp as notifications_bp
    from app.public.views import bp as public_bp
    from app.reserve.views import bp as reserve_bp
    from app.trading.views import bp as trading_bp

    csrf.exempt(api_bp)  # the API authenticates with bearer tokens only, never cookies
    for bp in (auth_bp, inbox_bp, admin_bp, public_bp, allocation_bp, api_bp, notifications_bp,
               dashboard_bp, enterprise_portal_bp, reserve_bp, trading_bp):
        app.register_blueprint(bp)
