"""Marshmallow schemas of the auth API: token issue and the caller's identity."""

from marshmallow import EXCLUDE, Schema, fields

from app.common.clock import local


class LocalDateTime(fields.DateTime):
    """An aware datetime shown in Asia/Shanghai with its +08:00 offset (R3)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else local(value).isoformat()


class TokenRequestSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    username = fields.String(required=True)
    password = fields.String(required=True, load_only=True)


class UserSummarySchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.String())
    region_code = fields.String(allow_none=True)
    enterprise_id = fields.Integer(allow_none=True)


class TokenResponseSchema(Schema):
    token = fields.String(required=True)
    expires_at = LocalDateTime()
    user = fields.Nested(UserSummarySchema)
