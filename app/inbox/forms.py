"""Task forms: JSON Schema (draft 2020-12) files in forms/ turned into HTML field trees, parsed back
from posted HTML, and validated on the server with `jsonschema`.

A form is `forms/<key>.schema.json` plus optional `forms/<key>.ui.json` in the react-jsonschema-form
convention (`ui:order`, `ui:widget`, `ui:help`, `ui:placeholder`, `ui:enumNames`, `ui:readonly`).
Pages render `build_fields(...)` with the macros in `inbox/_form_macros.html`; the admin form editor
reuses both. Errors are keyed by the field's dotted path (`amounts.COD`); form-wide ones by `_form`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from app import engine
from app.engine import definitions
from app.errors import NotFound, ValidationFailed

FORM_ERROR = "_form"
# Each reviewer writes their own decision and opinion: never prefilled from earlier steps' data.
NOT_PREFILLED = frozenset({"opinion", "decision"})


@dataclass(frozen=True)
class FormSpec:
    key: str
    schema: dict
    ui: dict


@dataclass
class Field:
    """One node of the rendered form: a leaf input or an object holding `children`."""

    name: str  # dotted path, also the HTML input name
    id: str
    label: str
    widget: str  # text | textarea | number | radio | select | checkbox | checkboxes | date | object
    required: bool = False
    help: str = ""
    placeholder: str = ""
    readonly: bool = False
    value: Any = ""
    choices: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    children: list[Field] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)  # maxlength, min, max, step…


# -- loading -------------------------------------------------------------------------------------

def _forms_dir() -> Path:
    return Path(current_app.config["ERFLOW_FORMS_DIR"])


def _read_json(path: Path) -> dict:
    with path.open(encoding="utf-8") as fh:
        value = json.load(fh)
    if not isinstance(value, dict):
        raise ValueError(f"{path.name}: not a JSON object")
    return value


def form_exists(key: str | None) -> bool:
    return bool(key) and _safe_name(key) and definitions.form_exists(f"{key}.schema.json")


def _stored_json(filename: str) -> dict | None:
    """A form file as administrators last saved it (DB), else as shipped in forms/."""
    text = definitions.form_text(filename)
    if text is None:
        return None
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError(f"{filename}: not a JSON object")
    return value


_checked_schemas: set[str] = set()  # schema texts already checked against the meta-schema


def load_schema(key: str) -> dict:
    """The JSON Schema `forms/<key>.schema.json` as administrators last saved it (404 when none);
    each distinct text is checked against the draft 2020-12 meta-schema once per process."""
    if not _safe_name(key):
        raise NotFound(_l("表单不存在"))
    text = definitions.form_text(f"{key}.schema.json")
    if text is None:
        raise NotFound(_l("表单“%(key)s”不存在", key=key))
    schema = json.loads(text)
    if not isinstance(schema, dict):
        raise ValueError(f"{key}.schema.json: not a JSON object")
    if text not in _checked_schemas:
        Draft202012Validator.check_schema(schema)
        _checked_schemas.add(text)
    return schema


def load_form(key: str, ui_key: str | None = None) -> FormSpec:
    """The schema `forms/<key>.schema.json` and its UI hints (`<ui_key or key>.ui.json`)."""
    if not _safe_name(key) or (ui_key and not _safe_name(ui_key)):
        raise NotFound(_l("表单不存在"))
    schema = load_schema(key)
    ui_key = (ui_key or key).removesuffix(".ui.json").removesuffix(".json").removesuffix(".ui")
    ui = _stored_json(f"{ui_key}.ui.json") or {}
    return FormSpec(key=key, schema=schema, ui=ui)


def _safe_name(key: str) -> bool:
    return bool(key) and "/" not in key and "\\" not in key and not key.startswith(".")


# -- validation ----------------------------------------------------------------------------------

def validate(schema: dict, data: Any) -> dict[str, list[str]]:
    """Per-field messages for `data` against `schema` (draft 2020-12); empty when valid."""
    try:
        validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        raw = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    except SchemaError as exc:  # a broken form file is an administrator's error, not the user's
        raise ValidationFailed(_l("表单定义有误：%(error)s", error=exc.message)) from exc
    errors: dict[str, list[str]] = {}
    for err in raw:
        for path, message in _messages(err, schema):
            bucket = errors.setdefault(path or FORM_ERROR, [])
            if message not in bucket:
                bucket.append(message)
    return errors


def require_valid(schema: dict, data: Any) -> None:
    """Raise ValidationFailed (422) with `fields` when `data` does not satisfy `schema`."""
    errors = validate(schema, data)
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), fields=errors)


def allowed_keys(schema: dict) -> set[str] | None:
    """Top-level keys a submission may carry (None: the schema does not list its properties)."""
    props = schema.get("properties")
    return set(props) if isinstance(props, dict) else None


def _join(path: list, extra: str | None = None) -> str:
    parts = [str(p) for p in path] + ([extra] if extra else [])
    return ".".join(parts)


def _messages(err, schema: dict) -> list[tuple[str, str]]:
    path = list(err.absolute_path)
    kind, value = err.validator, err.validator_value
    if kind == "required":
        missing = [k for k in value if isinstance(err.instance, dict) and k not in err.instance]
        return [(_join(path, k), _("This field is required.")) for k in missing]
    if kind == "additionalProperties" and isinstance(err.instance, dict):
        known = set((err.schema or {}).get("properties", {}))
        extra = [k for k in err.instance if k not in known]
        return [(_join(path, k), _("This is not a field of this form.")) for k in extra]
    if kind == "minLength" and value == 1:
        return [(_join(path), _("This field is required."))]
    simple = {
        "minLength": lambda: _("Enter at least %(n)s characters.", n=value),
        "maxLength": lambda: _("Enter at most %(n)s characters.", n=value),
        "pattern": lambda: _("The format is not valid."),
        "enum": lambda: _("Choose one of the listed options."),
        "const": lambda: _("Choose one of the listed options."),
        "minimum": lambda: _("Must be at least %(n)s.", n=value),
        "maximum": lambda: _("Must be at most %(n)s.", n=value),
        "exclusiveMinimum": lambda: _("Must be more than %(n)s.", n=value),
        "exclusiveMaximum": lambda: _("Must be less than %(n)s.", n=value),
        "minProperties": lambda: _("Fill in at least %(n)s item(s).", n=value),
        "minItems": lambda: _("Choose at least %(n)s item(s).", n=value),
        "maxItems": lambda: _("Choose at most %(n)s item(s).", n=value),
        "format": lambda: _("The format is not valid."),
        "type": lambda: _type_message(value),
    }
    if kind in simple:
        return [(_join(path), simple[kind]())]
    return [(_join(path), _("The value is not valid."))]


def _type_message(expected) -> str:
    kinds = expected if isinstance(expected, list) else [expected]
    if "integer" in kinds:
        return _("Enter a whole number.")
    if "number" in kinds:
        return _("Enter a number.")
    if "object" in kinds:
        return _("Fill in this group of fields.")
    return _("The value is not valid.")


# -- HTML: posted form → JSON data ---------------------------------------------------------------

def parse_form(schema: dict, formdata, prefix: str = "") -> dict:
    """Turn posted HTML fields (named by dotted path) into data typed per the schema.

    Empty inputs are left out, so `required` reports them; unparseable numbers are kept as text so
    that validation reports a type error instead of losing what the user typed.
    """
    out: dict[str, Any] = {}
    for key, sub in (schema.get("properties") or {}).items():
        name = f"{prefix}{key}"
        kind = _kind(sub)
        if kind == "object":
            nested = parse_form(sub, formdata, prefix=f"{name}.")
            if nested:
                out[key] = nested
        elif kind == "boolean":
            out[key] = formdata.get(name) in ("on", "true", "1", "yes")
        elif kind == "array":
            values = [v.strip() for v in formdata.getlist(name) if v.strip()]
            if len(values) == 1 and not _items_enum(sub):
                values = [v.strip() for v in values[0].splitlines() if v.strip()]
            if values:
                out[key] = values
        else:
            raw = (formdata.get(name) or "").strip()
            if raw == "":
                continue
            out[key] = _typed(kind, raw)
    return out


def _kind(sub: dict) -> str:
    kind = sub.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "string" and "properties" in sub:
        return "object"
    return kind


def _items_enum(sub: dict) -> list:
    return list((sub.get("items") or {}).get("enum") or [])


def _typed(kind: str, raw: str) -> Any:
    if kind == "integer":
        try:
            return int(raw)
        except ValueError:
            return raw
    if kind == "number":
        try:
            number = Decimal(raw)
        except InvalidOperation:
            return raw
        if not number.is_finite():
            return raw
        return int(number) if number == number.to_integral_value() else number
    return raw


# -- HTML: schema + UI hints → field tree --------------------------------------------------------

def form_text(text: str | None) -> str:
    """A form's own words (title, description, ui:help, ui:placeholder, ui:enumNames) in the page's
    language: forms are written in Chinese and app/inbox/translations/en gives their English."""
    return _(text) if text else ""


def decision_field(key: str | None) -> str | None:
    """The decision field of form `key` (`decision` or `<what>_decision`), None when the form
    decides nothing or does not exist: a step whose form has one is a decision step."""
    text = definitions.form_text(f"{key}.schema.json") if key and _safe_name(key) else None
    try:
        schema = json.loads(text) if text else {}
    except ValueError:
        return None
    properties = schema.get("properties") if isinstance(schema, dict) else None
    return engine.decision_field(properties.keys()) if isinstance(properties, dict) else None


def choice_label(key: str | None, field: str, value: object) -> str | None:
    """The form's own words for `value` of `field` (ui:enumNames) in the page's language."""
    if not form_exists(key):
        return None
    spec = load_form(key)
    choices = [str(v) for v in ((spec.schema.get("properties") or {}).get(field) or {})
               .get("enum") or []]
    names = (spec.ui.get(field) or {}).get("ui:enumNames") or []
    if str(value) in choices and choices.index(str(value)) < len(names):
        return form_text(str(names[choices.index(str(value))]))
    return None


def build_fields(
    spec: FormSpec,
    values: dict | None = None,
    errors: dict[str, list[str]] | None = None,
) -> list[Field]:
    """The ordered field tree of `spec` filled with `values` and `errors` (keyed by dotted path)."""
    return _fields(spec.schema, spec.ui or {}, values or {}, errors or {}, prefix="")


def prefill(spec: FormSpec, data: dict) -> dict:
    """Initial values for a task form: the task's data for the form's own fields (not opinions)."""
    keys = allowed_keys(spec.schema) or set()
    return {k: v for k, v in (data or {}).items() if k in keys and k not in NOT_PREFILLED}


def _order(props: dict, ui: dict) -> list[str]:
    order = list(ui.get("ui:order") or [])
    keys = list(props)
    if not order:
        return keys
    rest = [k for k in keys if k not in order]
    out: list[str] = []
    for item in order:
        if item == "*":
            out.extend(rest)
        elif item in props and item not in out:
            out.append(item)
    out.extend(k for k in rest if k not in out)
    return out


def _fields(schema: dict, ui: dict, values: dict, errors: dict, prefix: str) -> list[Field]:
    props = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    out = []
    for key in _order(props, ui):
        sub = props[key] or {}
        hints = ui.get(key) or {}
        if hints.get("ui:widget") == "hidden":
            continue
        name = f"{prefix}{key}"
        value = values.get(key) if isinstance(values, dict) else None
        out.append(_field(key, name, sub, hints, value, errors, key in required))
    return out


def _field(key, name, sub, hints, value, errors, required) -> Field:
    kind = _kind(sub)
    node = Field(
        name=name,
        id="f-" + name.replace(".", "-"),
        label=form_text(sub.get("title")) or key,
        widget=_widget(kind, sub, hints),
        required=required,
        help=form_text(hints.get("ui:help") or sub.get("description")),
        placeholder=form_text(hints.get("ui:placeholder")),
        readonly=bool(hints.get("ui:readonly") or sub.get("readOnly")),
        errors=list(errors.get(name, [])),
    )
    if kind == "object":
        node.children = _fields(sub, hints, value if isinstance(value, dict) else {}, errors,
                                prefix=f"{name}.")
        return node
    enum = sub.get("enum") or _items_enum(sub)
    if enum:
        labels = list(hints.get("ui:enumNames") or [])
        node.choices = [(str(v), form_text(str(labels[i])) if i < len(labels) else str(v))
                        for i, v in enumerate(enum)]
    if kind == "array":
        node.value = [str(v) for v in value] if isinstance(value, list) else []
    elif kind == "boolean":
        node.value = bool(value)
    else:
        node.value = "" if value is None else str(value)
    for attr, key_ in (("maxlength", "maxLength"), ("minlength", "minLength"),
                       ("min", "minimum"), ("max", "maximum")):
        if key_ in sub:
            node.attrs[attr] = sub[key_]
    if kind == "number":
        node.attrs["step"] = "any"
    return node


def _widget(kind: str, sub: dict, hints: dict) -> str:
    chosen = hints.get("ui:widget")
    if kind == "object":
        return "object"
    if kind == "boolean":
        return "checkbox"
    if kind == "array":
        return "checkboxes" if _items_enum(sub) else "textarea"
    if sub.get("enum"):
        return chosen if chosen in ("radio", "select") else "select"
    if chosen in ("textarea", "radio", "select", "date", "email", "password"):
        return chosen
    if sub.get("format") == "date":
        return "date"
    if kind in ("integer", "number"):
        return "number"
    return "text"
