"""Marshmallow schemas of the public disclosure API (R38, R39): no personal data."""
from marshmallow import Schema, fields

from app.api.schemas.common import LocalTime


class PublicationSchema(Schema):
    instance_id = fields.Integer()
    business_key = fields.String(allow_none=True)
    enterprise_id = fields.Integer(allow_none=True)
    enterprise_name = fields.String(allow_none=True)
    region_code = fields.String(allow_none=True)
    amounts = fields.Dict(keys=fields.String(), values=fields.String())
    published_at = LocalTime(allow_none=True)
    window_closes_at = LocalTime(allow_none=True)


class PublicationPageSchema(Schema):
    items = fields.List(fields.Nested(PublicationSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class CertificateCheckSchema(Schema):
    """R39: a genuine certificate as anyone may see it (R38: no personal data)."""

    valid = fields.Boolean(required=True)
    number = fields.String()
    issued_at = LocalTime()
    buyer = fields.String(allow_none=True)
    seller = fields.String(allow_none=True)
    region_code = fields.String()
    amounts = fields.Dict(keys=fields.String(), values=fields.String())
    method = fields.String()
    price_per_tonne = fields.String()
    registration = fields.String(metadata={"description": "standard | simplified (R29)"})
    valid_from = fields.Date()
    valid_to = fields.Date()
