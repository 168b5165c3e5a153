"""Typed domain errors and the one handler that renders them as HTML or JSON."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields

    def payload(self) -> dict:
        body: dict = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body


class BadRequest(DomainError):
    status, code = 400, "bad_request"


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    status, code = 409, "conflict"

    def __init__(self, message: str, *, rule: str | None = None, **kw):
        super().__init__(message, **kw)
        self.rule = rule

    def payload(self) -> dict:
        body = super().payload()
        if self.rule:
            body["rule"] = self.rule
        return body


class ValidationFailed(DomainError):
    """422 with per-field messages: `fields` maps a field name to its messages."""

    status, code = 422, "validation_failed"


class RuleViolation(DomainError):
    """A domain rule refused the request; `rule` is its RULES.md id (e.g. "R21")."""

    status, code = 422, "rule_violation"

    def __init__(self, rule: str, message: str, *, status: int = 422, **kw):
        super().__init__(message, **kw)
        self.rule = rule
        self.status = status

    def payload(self) -> dict:
        body = super().payload()
        body["rule"] = self.rule
        return body


class TooManyRequests(DomainError):
    status, code = 429, "too_many_requests"


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes[
        "text/html"
    ]


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(err: DomainError):
        from app.extensions import db

        db.session.rollback()
        if wants_json():
            return jsonify({"error": err.payload()}), err.status
        return render_template("errors.html", error=err.payload(), status=err.status), err.status

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        code = (err.name or "error").lower().replace(" ", "_")
        if wants_json():
            return jsonify({"error": {"code": code, "message": err.description}}), err.code
        return (
            render_template(
                "errors.html", error={"code": code, "message": err.description}, status=err.code
            ),
            err.code,
        )
