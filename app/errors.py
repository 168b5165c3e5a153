"""Typed domain errors and the one handler that renders them as HTML or JSON.

Messages are written in Chinese, the default language, as lazy msgids with named params:
`RuleViolation("R21", _l("成交价低于基准价 %(price)s 元/吨", price=...))`. `err.message` (and
`str(err)`) is that Chinese text as written — what logs, audit details and tests read; the handler
shows the message in the request's language, the English coming from app/*/translations/en.
"""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

Text = str | LazyString  # a plain str, or `_l(msgid, **params)`


def source_text(text: Text) -> str:
    """`text` as the code wrote it: a lazy msgid with its params (lazy ones too) filled in,
    never translated."""
    if not isinstance(text, LazyString):
        return text
    if text._func is _join:
        return "、".join(source_text(item) for item in text._args[0])
    (msgid,) = text._args  # Flask-Babel's lazy_gettext(msgid, **params) keeps both
    params = {k: source_text(v) if isinstance(v, LazyString) else v
              for k, v in text._kwargs.items()}
    return msgid % params if params else msgid


def _join(items: list[Text]) -> str:
    return gettext(", ").join(str(item) for item in items)


def joined(items) -> LazyString:
    """`items` (texts) as one list in the page's language — 、 between them in Chinese."""
    return LazyString(_join, list(items))


def _each_text(value, read):
    """`read` applied to every message of a `fields` value (lists, marshmallow's nested dicts)."""
    if isinstance(value, dict):
        return {k: _each_text(v, read) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_each_text(v, read) for v in value]
    return read(value) if isinstance(value, str | LazyString) else value


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    status = 400
    code = "bad_request"

    def __init__(self, message: Text, *, fields: dict[str, list[Text]] | None = None):
        self.message = source_text(message)  # Chinese, as written
        self.fields = _each_text(fields, source_text) if fields else fields
        super().__init__(self.message)
        self._text, self._field_texts = message, fields

    def localized(self) -> str:
        """The message in the request's language (Chinese outside a request)."""
        return str(self._text)

    def localized_fields(self) -> dict[str, list[str]] | None:
        return _each_text(self._field_texts, str) if self._field_texts else self._field_texts

    def payload(self) -> dict:
        body: dict = {"code": self.code, "message": self.localized()}
        if self.fields:
            body["fields"] = self.localized_fields()
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

    def __init__(self, message: Text, *, rule: str | None = None, **kw):
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

    def __init__(self, rule: str, message: Text, *, status: int = 422, **kw):
        super().__init__(message, **kw)
        self.rule = rule
        self.status = status

    def payload(self) -> dict:
        body = super().payload()
        body["rule"] = self.rule
        return body


class TooManyRequests(DomainError):
    status, code = 429, "too_many_requests"


# The heading of an error page, and what a page says for an HTTP error instead of Werkzeug's
# English description (pages only: the API keeps Werkzeug's text, as API.md's clients know it).
STATUS_TITLES = {
    400: _l("Bad request"),
    401: _l("Sign-in required"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    409: _l("Conflict"),
    413: _l("Too large"),
    415: _l("Unsupported content type"),
    422: _l("Not accepted"),
    429: _l("Too many requests"),
    500: _l("Server error"),
    503: _l("Service unavailable"),
}
HTTP_DESCRIPTIONS = {
    400: _l("The request could not be understood."),
    401: _l("Please log in first."),
    403: _l("You may not open this page."),
    404: _l("The page you asked for does not exist."),
    405: _l("This address does not accept that kind of request."),
    413: _l("What you sent is too large."),
    415: _l("This address does not accept that kind of content."),
    429: _l("Too many requests; wait a moment and try again."),
    500: _l("Something went wrong on the server; please try again later."),
    503: _l("The service is briefly unavailable; please try again later."),
}
CSRF_REFUSED = _l("The form has expired or did not come from this site: go back, reload the page "
                  "and send it again.")


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes[
        "text/html"
    ]


def _http_description(err: HTTPException) -> str:
    """An HTTP error in the page's language: CSRF refusals and the usual statuses by code."""
    if isinstance(err, CSRFError):
        return str(CSRF_REFUSED)
    text = HTTP_DESCRIPTIONS.get(err.code or 0)
    return str(text) if text is not None else (err.description or "")


def render_error(payload: dict, status: int):
    """The error page: its heading in the page's language, then the message."""
    title = STATUS_TITLES.get(status)
    return render_template("errors.html", error=payload, status=status,
                           title=str(title) if title is not None else None)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(err: DomainError):
        from app.extensions import db

        db.session.rollback()
        if wants_json():
            return jsonify({"error": err.payload()}), err.status
        return render_error(err.payload(), err.status), err.status

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        code = (err.name or "error").lower().replace(" ", "_")
        if request.path.startswith("/api/"):
            return jsonify({"error": {"code": code, "message": err.description}}), err.code
        payload = {"code": code, "message": _http_description(err)}
        if wants_json():  # our own pages' scripts: the page's language
            return jsonify({"error": payload}), err.code
        return render_error(payload, err.code), err.code
