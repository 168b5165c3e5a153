"""`dump(SchemaClass, obj)`: what `SchemaClass().dump(obj)` returns, without marshmallow's
per-field machinery, for the hot answers (task lists, the instance a completion returns).

The schemas stay the contract (OpenAPI is generated from them); a schema is compiled once into a
plan of (attribute, key, converter) and a schema with a field type the plan does not know is
dumped by marshmallow itself. tests/api/test_fast_dump.py checks the two agree."""
from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from marshmallow import Schema, fields

from app.api.schemas.common import LocalTime
from app.common.clock import local

_MISSING = object()


def _time(value):
    return None if value is None else local(value).isoformat()


def _str(value):
    return None if value is None else str(value)


def _int(value):
    return None if value is None else int(value)


def _bool(value):
    return None if value is None else bool(value)


def _dict(value):
    return None if value is None else dict(value)


def _nested(field: fields.Nested) -> Callable[[Any], Any]:
    inner = type(field.schema)
    if field.many:
        return lambda value: None if value is None else [dump(inner, v) for v in value]
    return lambda value: None if value is None else dump(inner, value)


def _converter(field: fields.Field) -> Callable[[Any], Any] | None:
    if isinstance(field, LocalTime):
        return _time
    if isinstance(field, fields.List) and isinstance(field.inner, fields.Nested):
        one = _nested(field.inner)
        return lambda value: None if value is None else [one(v) for v in value]
    if isinstance(field, fields.Nested):
        return _nested(field)
    if type(field) is fields.Dict and field.key_field is None and field.value_field is None:
        return _dict
    simple = {fields.String: _str, fields.Integer: _int, fields.Boolean: _bool}
    return simple.get(type(field))


@cache
def _plan(schema_cls: type[Schema]) -> tuple | None:
    schema = schema_cls()
    plan = []
    for name, field in schema.dump_fields.items():
        convert = _converter(field)
        if convert is None:
            return None  # a field type this module does not mirror: marshmallow dumps it
        plan.append((field.attribute or name, field.data_key or name, convert))
    return tuple(plan)


def dump(schema_cls: type[Schema], obj: Any) -> dict:
    plan = _plan(schema_cls)
    if plan is None:
        return schema_cls().dump(obj)
    out = {}
    if isinstance(obj, dict):
        for attr, key, convert in plan:
            value = obj.get(attr, _MISSING)
            if value is not _MISSING:
                out[key] = convert(value)
    else:
        for attr, key, convert in plan:
            value = getattr(obj, attr, _MISSING)
            if value is not _MISSING:
                out[key] = convert(value)
    return out
