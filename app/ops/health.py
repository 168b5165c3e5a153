"""/healthz (liveness: the process answers, no database) and /readyz (database reachable,
migrations at head, worker heartbeat age) for load balancers and orchestrators. No login: they
reveal only ok/not-ok facts, never data."""
from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db

bp = Blueprint("ops", __name__)


@cache
def migration_heads() -> tuple[str, ...]:
    """The revision ids at the head of migrations/ (read once per process)."""
    from alembic.script import ScriptDirectory

    from app.config import ROOT

    return tuple(sorted(ScriptDirectory(str(ROOT / "migrations")).get_heads()))


def _database() -> dict:
    try:
        db.session.execute(text("SELECT 1"))
        return {"ok": True}
    except SQLAlchemyError as exc:
        db.session.rollback()
        return {"ok": False, "error": type(exc.orig or exc).__name__}


def _migrations() -> dict:
    heads = list(migration_heads())
    try:
        current = sorted(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    except SQLAlchemyError:
        db.session.rollback()
        current = []
    required = current_app.config.get("ERFLOW_READY_REQUIRE_MIGRATIONS", True)
    ok = current == heads or not required
    return {"ok": ok, "current": current, "head": heads, "required": bool(required)}


def _worker() -> dict:
    from app.ops.heartbeat import newest_beat

    stale_after = float(current_app.config.get("ERFLOW_WORKER_STALE_SECONDS", 60))
    required = bool(current_app.config.get("ERFLOW_READY_REQUIRE_WORKER", False))
    try:
        beat = newest_beat()
    except SQLAlchemyError:
        db.session.rollback()
        beat = None
    age = None if beat is None else round((datetime.now(UTC) - beat).total_seconds(), 1)
    alive = age is not None and age <= stale_after
    return {"ok": alive or not required, "alive": alive, "age_seconds": age,
            "stale_after_seconds": stale_after, "required": required}


@bp.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    checks = {"database": _database()}
    if checks["database"]["ok"]:
        checks["migrations"] = _migrations()
        checks["worker"] = _worker()
    ready = all(c["ok"] for c in checks.values())
    body = {"status": "ready" if ready else "not_ready", "checks": checks}
    return jsonify(body), 200 if ready else 503
