"""Operations: health and readiness endpoints, structured request logging, transport security
headers, a clean 503 when the database connection fails mid-request, and the backup command."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    InterfaceError,
    OperationalError,
    PendingRollbackError,
)

log = logging.getLogger("erflow.ops")

DB_UNAVAILABLE = _l("数据库连接中断，请稍后重试")


def init_ops(app: Flask) -> None:
    from app.extensions import csrf
    from app.ops.health import bp
    from app.ops.logging import init_request_logging

    if app.config.get("ERFLOW_REQUIRE_SECRET_KEY") and app.config.get("SECRET_KEY") in (
            None, "", "dev-only-not-secret"):
        raise RuntimeError("production needs SECRET_KEY set in the environment")
    proxies = int(app.config.get("ERFLOW_PROXY_FIX", 0) or 0)
    if proxies:  # behind nginx/a load balancer: trust its X-Forwarded-Proto/-For/-Host
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    csrf.exempt(bp)
    app.register_blueprint(bp)
    init_request_logging(app)
    _hsts(app)
    _database_errors(app)


def _hsts(app: Flask) -> None:
    @app.after_request
    def _strict_transport(resp):
        # Only over TLS (directly or behind a proxy that says so through ProxyFix): a browser that
        # saw the header on plain HTTP would ignore it anyway.
        seconds = int(app.config.get("ERFLOW_HSTS_SECONDS", 0) or 0)
        if seconds and request.is_secure:
            resp.headers.setdefault(
                "Strict-Transport-Security", f"max-age={seconds}; includeSubDomains")
        return resp


def _database_errors(app: Flask) -> None:
    def _unavailable(exc: Exception):
        from app.errors import render_error, wants_json
        from app.extensions import db

        log.warning("database unavailable: %s", type(exc).__name__, exc_info=exc)
        try:
            db.session.rollback()
        except DBAPIError:  # the connection is gone; the pool replaces it on the next checkout
            db.session.invalidate()
        payload = {"code": "service_unavailable", "message": str(DB_UNAVAILABLE)}
        if wants_json():
            resp = jsonify({"error": payload})
        else:
            resp = render_error(payload, 503)
        return resp, 503, {"Retry-After": "1"}

    @app.errorhandler(DataError)
    @app.errorhandler(OverflowError)
    def _out_of_range(exc):
        # A number from the request beyond what the database stores (e.g. ?to_version=10**30):
        # the client's mistake, 400 — not a 500 (found by the API fuzz test).
        from app.errors import BadRequest
        from app.extensions import db

        db.session.rollback()
        return app.handle_user_exception(BadRequest(_l("参数超出允许范围")))

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PendingRollbackError)
    def _db_gone(exc):
        return _unavailable(exc)


def bound_integer_ids(app: Flask) -> None:
    """`<int:…>` URL parts above the database's integer range are a 404, not an overflow in the
    driver (a 500); found by the API fuzz test. Must run before blueprints are registered."""
    from werkzeug.routing import IntegerConverter

    class DatabaseIntegerConverter(IntegerConverter):
        def __init__(self, map, *args, **kwargs):  # noqa: A002 (werkzeug's signature)
            kwargs.setdefault("max", 2**31 - 1)
            super().__init__(map, *args, **kwargs)

    app.url_map.converters["int"] = DatabaseIntegerConverter
