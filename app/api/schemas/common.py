"""Marshmallow pieces shared by the process, task and public API schemas: errors and times."""
from marshmallow import Schema, fields

from app.common.clock import local


class LocalTime(fields.DateTime):
    """An aware datetime shown in Asia/Shanghai with its +08:00 offset (R3)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else local(value).isoformat()


class ErrorBodySchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    rule = fields.String(metadata={"description": "RULES.md id when a domain rule refused"})
    fields = fields.Dict(
        keys=fields.String(), values=fields.List(fields.String()),
        metadata={"description": "field name (dotted path) → messages"},
    )


class ErrorSchema(Schema):
    error = fields.Nested(ErrorBodySchema, required=True)


class DataRequestSchema(Schema):
    """`{"data": {…}}`: start data, task form data or a message payload."""

    data = fields.Dict(load_default=dict)
