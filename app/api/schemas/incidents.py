"""Marshmallow schemas of the incidents API (administrators)."""
from marshmallow import Schema, fields

from app.api.schemas.common import LocalTime


class IncidentSchema(Schema):
    instance_id = fields.Integer(required=True)
    key = fields.String(required=True)
    version = fields.Integer(required=True)
    business_key = fields.String(allow_none=True)
    message = fields.String(required=True)
    step = fields.String(
        allow_none=True,
        metadata={"description": "the failed operation: start|complete|message|timers"},
    )
    at = LocalTime(allow_none=True)
    traceback = fields.String(
        allow_none=True, metadata={"description": "only on a single incident"}
    )


class IncidentListSchema(Schema):
    items = fields.List(fields.Nested(IncidentSchema), required=True)
    total = fields.Integer(required=True)
