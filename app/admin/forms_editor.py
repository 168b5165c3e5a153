"""Admin pages: the task forms (`<key>.schema.json` + `<key>.ui.json`) edited as JSON with a JSON
Schema draft 2020-12 meta-check and a live preview rendered by the inbox's own macros. Saved forms
are versioned in the DB; the inbox and deploy read the newest saved version, else the file.

Registers its rules on `app.admin.views.bp` when imported (the last lines of views.py).
"""
from __future__ import annotations

import json

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from app import engine
from app.admin.views import bp
from app.auth.access import actor, page_auth
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.inbox import forms as inbox_forms

MAX_CHARS = 200_000


def _keys() -> list[str]:
    return sorted({f.rsplit(".", 2)[0] for f in engine.form_files() if f.endswith(".schema.json")})


def parse_form(schema_text: str, ui_text: str) -> tuple[dict, dict, dict[str, list[str]]]:
    """(schema, ui, errors): both texts must be JSON objects; the schema must pass the JSON Schema
    draft 2020-12 meta-schema."""
    errors: dict[str, list[str]] = {}
    parsed: dict[str, dict] = {"schema": {}, "ui": {}}
    for field, text in (("schema", schema_text), ("ui", ui_text or "{}")):
        if len(text) > MAX_CHARS:
            errors[field] = [_("The text is too long.")]
            continue
        try:
            value = json.loads(text)
        except ValueError as exc:
            errors[field] = [_("Not valid JSON: %(error)s", error=str(exc))]
            continue
        if not isinstance(value, dict):
            errors[field] = [_("Must be a JSON object.")]
            continue
        parsed[field] = value
    if "schema" not in errors:
        try:
            Draft202012Validator.check_schema(parsed["schema"])
        except SchemaError as exc:
            where = "/".join(str(p) for p in exc.path)
            errors["schema"] = [_("Not a valid JSON Schema (draft 2020-12): %(error)s",
                                  error=f"{where} {exc.message}".strip())]
        if parsed["schema"].get("type", "object") != "object":
            errors.setdefault("schema", []).append(_("A form schema must describe an object."))
    return parsed["schema"], parsed["ui"], errors


def _texts(key: str) -> tuple[str, str]:
    schema = engine.form_text(f"{key}.schema.json")
    if schema is None:
        raise NotFound(_("No such form."))
    return schema, engine.form_text(f"{key}.ui.json") or "{}"


@page_auth("admin")
def index():
    return render_template("admin/forms.html", keys=_keys())


def _render(key, schema_text, ui_text, *, errors=None, status=200):
    preview_fields, preview_error = _preview_fields(schema_text, ui_text)
    return render_template(
        "admin/form_editor.html", key=key, schema_text=schema_text, ui_text=ui_text,
        errors=errors or {}, fields=preview_fields, preview_error=preview_error,
        history=engine.form_history(f"{key}.schema.json")[:10],
    ), status


def _preview_fields(schema_text: str, ui_text: str):
    schema, ui, errors = parse_form(schema_text, ui_text)
    if errors:
        return [], "; ".join(m for ms in errors.values() for m in ms)
    spec = inbox_forms.FormSpec(key="preview", schema=schema, ui=ui)
    return inbox_forms.build_fields(spec), None


@page_auth("admin")
def editor(key: str):
    schema_text, ui_text = _texts(key)
    return _render(key, schema_text, ui_text)


@page_auth("admin")
def save(key: str):
    _texts(key)
    schema_text = request.form.get("schema", "")
    ui_text = request.form.get("ui", "")
    schema, ui, errors = parse_form(schema_text, ui_text)
    comment = request.form.get("comment", "").strip()
    if not comment:
        errors["comment"] = [_("Please say why the form changes.")]
    if errors:
        return _render(key, schema_text, ui_text, errors=errors, status=422)
    for filename, content in ((f"{key}.schema.json", schema), (f"{key}.ui.json", ui)):
        current = engine.form_text(filename)
        if current is None or json.loads(current) != content:
            engine.save_form_file(filename=filename, content=content, author_id=actor().id,
                                  comment=comment)
    db.session.commit()
    flash(_("Form %(key)s saved; new tasks use it from now on.", key=key), "success")
    return redirect(url_for("admin.form_editor", key=key))


@page_auth("admin")
def preview():
    fields, error = _preview_fields(request.form.get("schema", ""), request.form.get("ui", ""))
    if error:
        raise ValidationFailed(error)
    return render_template("admin/_form_preview.html", fields=fields)


bp.add_url_rule("/forms", "forms", index)
bp.add_url_rule("/forms/preview", "form_preview", preview, methods=["POST"])
bp.add_url_rule("/forms/<key>", "form_editor", editor)
bp.add_url_rule("/forms/<key>", "form_save", save, methods=["POST"])
