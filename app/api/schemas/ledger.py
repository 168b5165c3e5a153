"""Marshmallow schemas of the ledger API: lots (R1, R2, R37), holdings, reserves, R27 data."""
from marshmallow import Schema, fields, validate


class TonnesField(fields.Field):
    """Tonnes as a string ("12.5000"); numbers are read through their shortest text form (R1)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.make_error("invalid")
        return str(value)

    default_error_messages = {"invalid": "须为表示吨数的字符串，如 \"12.5000\""}


class LotCreateSchema(Schema):
    owner = fields.Raw(
        required=True, metadata={"description": '"<enterprise_id>" or "reserve:<region_code>"'}
    )
    pollutant = fields.String(required=True)
    tonnes = TonnesField(required=True, metadata={"type": "string", "example": "12.5000"})
    valid_from = fields.Date(required=True)
    valid_to = fields.Date(required=True)
    acquisition = fields.String(required=True, validate=validate.OneOf(["paid", "free"]))


class LotSchema(Schema):
    id = fields.Integer()
    owner = fields.String()
    pollutant = fields.String()
    tonnes = fields.String(metadata={"example": "12.5000"})
    valid_from = fields.Date()
    valid_to = fields.Date()
    acquisition = fields.String()
    certificate = fields.String(allow_none=True)
    temporary = fields.Boolean()
    origin_lot_id = fields.Integer(allow_none=True)


class HoldingsSchema(Schema):
    enterprise_id = fields.Integer()
    balances = fields.Dict(keys=fields.String(), values=fields.String())
    lots = fields.List(fields.Nested(LotSchema))


class ReserveBalancesSchema(Schema):
    region_code = fields.String()
    balances = fields.Dict(keys=fields.String(), values=fields.String())


class AttainmentInSchema(Schema):
    air = fields.Boolean(required=True)
    water = fields.Boolean(required=True)


class AttainmentSchema(Schema):
    region_code = fields.String()
    year = fields.Integer()
    air = fields.Boolean()
    water = fields.Boolean()
    updated_at = fields.String(metadata={"description": "ISO 8601, +08:00"})
