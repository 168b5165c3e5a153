"""Structured logs: one JSON object per line, carrying the request id (X-Request-ID in and out) and
the process instance id where one is known; one access line per request."""
from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from flask import Flask, g, request

_request_id: ContextVar[str | None] = ContextVar("erflow_request_id", default=None)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_STANDARD = set(vars(logging.LogRecord("x", 0, "x", 0, "x", None, None))) | {"message", "asctime"}
access_log = logging.getLogger("erflow.access")


def current_request_id() -> str | None:
    return _request_id.get()


def _instance_id() -> int | None:
    from app.engine import current_instance_id

    found = current_instance_id()  # inside an engine step (web request or worker)
    if found is not None:
        return found
    from flask import has_request_context

    if has_request_context():
        value = (request.view_args or {}).get("instance_id") or g.get("instance_id")
        return int(value) if isinstance(value, int | str) and str(value).isdigit() else None
    return None


class ContextFilter(logging.Filter):
    """Adds `request_id` and `instance_id` to every record (None when unknown)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = _request_id.get()
        if getattr(record, "instance_id", None) is None:
            try:
                record.instance_id = _instance_id()
            except Exception:  # logging must never fail a request
                record.instance_id = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        body = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "instance_id": getattr(record, "instance_id", None),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in body:
                body[key] = value if isinstance(value, int | float | bool | str | None) else str(
                    value)
        if record.exc_info:
            body["exc"] = self.formatException(record.exc_info)
        return json.dumps(body, ensure_ascii=False)


def configure_json_logging(level: str = "INFO") -> None:
    """Root logger → stderr, one JSON object per line (gunicorn and the workers collect stderr)."""
    root = logging.getLogger()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    for old in list(root.handlers):
        if getattr(old, "_erflow", False):
            root.removeHandler(old)
    handler._erflow = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)


def init_request_logging(app: Flask) -> None:
    if app.config.get("ERFLOW_LOG_JSON"):
        configure_json_logging(app.config.get("ERFLOW_LOG_LEVEL", "INFO"))

    @app.before_request
    def _start():
        given = request.headers.get("X-Request-ID", "")
        rid = given if _SAFE_ID.match(given) else uuid.uuid4().hex
        g.request_id = rid
        g._erflow_t0 = time.perf_counter()
        g._erflow_c0 = time.process_time()  # a sync worker runs one request: its CPU
        g._erflow_rid_token = _request_id.set(rid)

    @app.after_request
    def _finish(resp):
        rid = g.get("request_id")
        if rid:
            resp.headers["X-Request-ID"] = rid
        t0 = g.get("_erflow_t0")
        if t0 is not None and request.endpoint not in ("static", "ops.healthz"):
            access_log.info(
                "%s %s %s", request.method, request.path, resp.status_code,
                extra={
                    "request_id": rid, "instance_id": _instance_id(),
                    "method": request.method, "path": request.path, "status": resp.status_code,
                    "duration_ms": round((time.perf_counter() - t0) * 1000, 2),
                    "cpu_ms": round((time.process_time() - g._erflow_c0) * 1000, 2),
                    "endpoint": request.endpoint,
                    "user_id": g.get("api_user_id"),  # an id, not the (expired) row
                },
            )
        return resp

    @app.teardown_request
    def _reset(_exc):
        token = g.pop("_erflow_rid_token", None)
        if token is not None:
            try:
                _request_id.reset(token)
            except ValueError:  # set in another context (should not happen); just clear
                _request_id.set(None)
