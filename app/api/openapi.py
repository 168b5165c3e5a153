"""The OpenAPI 3 document of /api/v1, built with apispec from the url map: every /api/v1 rule, the
YAML operation in each view's docstring (after a `---` line), and every marshmallow Schema class in
app/api/schemas/*. Served at GET /api/v1/openapi.json without authentication."""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from apispec.yaml_utils import load_operations_from_docstring
from flask import current_app, jsonify
from marshmallow import Schema
from werkzeug.http import HTTP_STATUS_CODES

from app.api import bp

PREFIX = "/api/v1"
METHODS = ("get", "put", "post", "patch", "delete")
_CONVERTER = re.compile(
    r"<(?:(?P<conv>[a-zA-Z_]+)(?:\([^>]*\))?:)?(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)>"
)
_TYPES = {"int": "integer", "float": "number"}


def schema_classes() -> dict[str, type[Schema]]:
    """Every Schema subclass defined in a module of app.api.schemas, by class name."""
    import app.api.schemas as package

    found: dict[str, type[Schema]] = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, Schema) and obj is not Schema and obj.__module__ == module.__name__:
                found[name] = obj
    return found


def openapi_path(rule: str) -> tuple[str, list[dict]]:
    """`/tasks/<task_id>` → `/tasks/{task_id}` and its path parameters."""
    params = []

    def swap(match: re.Match) -> str:
        params.append({
            "name": match["name"], "in": "path", "required": True,
            "schema": {"type": _TYPES.get(match["conv"] or "", "string")},
        })
        return "{" + match["name"] + "}"

    return _CONVERTER.sub(swap, rule), params


def operations_of(view) -> dict:
    """The operations documented in a view's docstring (apispec's `---` YAML convention)."""
    return load_operations_from_docstring(inspect.getdoc(view) or "") or {}


def _schema_name(schema) -> str:
    """Components are named by class name, also when apispec meets a nested schema first."""
    cls = resolve_schema_cls(schema)
    return (cls[0] if isinstance(cls, list) else cls).__name__


def _with_descriptions(operation: dict) -> dict:
    """OpenAPI requires a description on every response; default to the HTTP status phrase."""
    responses = {}
    for code, response in (operation.get("responses") or {}).items():
        response = dict(response or {})
        if "$ref" not in response:
            response.setdefault("description", HTTP_STATUS_CODES.get(int(code), "response"))
        responses[code] = response
    if responses:
        operation["responses"] = responses
    return operation


def build_spec(app=None) -> dict:
    app = app or current_app
    spec = APISpec(
        title="ERFlow API",
        version="1",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name)],
        info={"description": "JSON API of ERFlow (API.md). Errors: "
                             '{"error":{"code","message","rule"?,"fields"?}}.'},
        servers=[{"url": PREFIX}],
        security=[{"bearer": []}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for name, cls in sorted(schema_classes().items()):
        if name not in spec.components.schemas:  # a nested one may have been added already
            spec.components.schema(name, schema=cls)
    paths: dict[str, tuple[dict, list[dict]]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(PREFIX + "/") or not rule.endpoint.startswith(f"{bp.name}."):
            continue
        view = app.view_functions[rule.endpoint]
        documented = operations_of(view)
        path, params = openapi_path(rule.rule[len(PREFIX):])
        ops, _ = paths.setdefault(path, ({}, params))
        for method in sorted(m.lower() for m in rule.methods or ()):
            if method in METHODS and method in documented:
                operation = _with_descriptions(dict(documented[method]))
                summary = (inspect.getdoc(view) or "").split("\n", 1)[0].strip()
                operation.setdefault("summary", summary)
                operation.setdefault("operationId", f"{rule.endpoint.split('.', 1)[1]}_{method}")
                ops[method] = operation
    for path, (ops, params) in paths.items():
        if not ops:
            continue
        declared = {p.get("name") for op in ops.values() for p in op.get("parameters", [])
                    if isinstance(p, dict) and p.get("in") == "path"}
        missing = [p for p in params if p["name"] not in declared]
        spec.path(path=path, operations=ops, parameters=missing or None)
    return spec.to_dict()


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI document of this API.
    ---
    get:
      tags: [meta]
      security: []
      responses: {200: {description: the OpenAPI 3 document, content: {application/json: {}}}}
    """
    return jsonify(build_spec())
