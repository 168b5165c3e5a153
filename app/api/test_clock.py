"""API routes: the test clock (API.md "Test clock"), the acceptance tests' controls.

They exist only when the app runs with ERFLOW_TEST_CLOCK=1; otherwise every route answers 404.
They need no authentication on purpose: a test-mode server is a disposable sandbox driven by the
acceptance tests, and production config forces ERFLOW_TEST_CLOCK off.
"""
from __future__ import annotations

from datetime import UTC

from flask import current_app, jsonify, request
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from app.api import bp
from app.api.schemas.test_clock import ClockSchema, RunDueResponseSchema
from app.common import clock
from app.common.models import TestClock
from app.errors import BadRequest, Conflict, NotFound, ValidationFailed
from app.extensions import db


def _require_test_mode() -> None:
    if not current_app.config.get("ERFLOW_TEST_CLOCK"):
        raise NotFound(_l("未找到"))


def _clock_body() -> dict:
    return ClockSchema().dump({"now": clock.local(clock.now())})


@bp.get("/test/clock")
def test_clock_get():
    """Read the test clock (test mode only; no authentication).
    ---
    get:
      tags: [test]
      description: Only when ERFLOW_TEST_CLOCK=1, otherwise 404. No authentication in test mode.
      responses:
        200: {content: {application/json: {schema: ClockSchema}}}
        404: {description: not running in test mode}
    """
    _require_test_mode()
    return jsonify(_clock_body())


@bp.put("/test/clock")
def test_clock_put():
    """Move the test clock forward (test mode only; no authentication).
    ---
    put:
      tags: [test]
      description: >-
        Sets the shared "now" every web and worker process reads. Time only moves forward.
        Only when ERFLOW_TEST_CLOCK=1, otherwise 404. No authentication in test mode.
      requestBody: {content: {application/json: {schema: ClockSchema}}}
      responses:
        200: {content: {application/json: {schema: ClockSchema}}}
        400: {description: body is not a JSON object}
        404: {description: not running in test mode}
        409: {description: the new time is earlier than the clock's}
        422: {description: "`now` missing or not an ISO 8601 time with offset"}
    """
    _require_test_mode()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest(_l("请求体须为 JSON 对象"))
    try:
        value = ClockSchema().load(body)["now"].astimezone(UTC)
    except ValidationError as exc:
        raise ValidationFailed(_l("时间格式有误"), fields=exc.normalized_messages()) from exc
    row = db.session.get(TestClock, 1)
    if row is not None and value < row.now:
        raise Conflict(_l("测试时钟只能向前拨：当前为 %(now)s",
                          now=clock.local(row.now).isoformat()))
    if row is None:
        db.session.add(TestClock(id=1, now=value))
    else:
        row.now = value
    db.session.commit()
    return jsonify(_clock_body())


@bp.post("/test/run-due")
def test_run_due():
    """Fire every timer and deadline due at the clock's now, as the worker would (test mode only).
    ---
    post:
      tags: [test]
      description: Only when ERFLOW_TEST_CLOCK=1, otherwise 404. No authentication in test mode.
      responses:
        200: {content: {application/json: {schema: RunDueResponseSchema}}}
        404: {description: not running in test mode}
    """
    _require_test_mode()
    from app.engine import run_due  # lazy: the engine is the only SpiffWorkflow importer

    result = run_due(clock.now())
    db.session.commit()
    fired = result if isinstance(result, int) else len(result or [])
    return jsonify(RunDueResponseSchema().dump({"fired": fired}))
