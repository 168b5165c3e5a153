"""The OpenAPI document: every /api/v1 route and method is documented, and the document is valid."""
from __future__ import annotations

from openapi_spec_validator import validate

from app.api.openapi import PREFIX, openapi_path


def test_openapi_is_served_without_auth_and_validates(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    validate(resp.json)


def test_every_api_route_and_method_is_documented(app, client):
    doc = client.get("/api/v1/openapi.json").json
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        path, _ = openapi_path(rule.rule[len(PREFIX):])
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method.lower() not in doc["paths"].get(path, {}):
                missing.append(f"{method} {rule.rule}")
    assert not missing, "undocumented: " + ", ".join(missing)


def test_every_schema_class_is_a_component(client):
    from app.api.openapi import schema_classes

    doc = client.get("/api/v1/openapi.json").json
    assert set(schema_classes()) <= set(doc["components"]["schemas"])
