"""Marshmallow schemas of the reserve API: history, sales with their allocation trades (R33–R35),
the expiry sweep and reminders (R37)."""
from marshmallow import Schema, fields

from app.api.schemas.ledger import TonnesField


class ReserveEntrySchema(Schema):
    id = fields.Integer()
    at = fields.String(metadata={"example": "2026-03-01T09:00:00+08:00"})
    pollutant = fields.String()
    tonnes = fields.String(metadata={"description": "signed: + into the reserve, - out"})
    cause = fields.String(metadata={"description": "allocation|trade|buyback|recovery|expiry|…"})
    kind = fields.String(metadata={"description": "the cause, or 调配交易 for an allocation trade"})
    counterparty = fields.String(allow_none=True)
    instance_id = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)


class ReserveHistorySchema(Schema):
    region_code = fields.String()
    balances = fields.Dict(keys=fields.String(), values=fields.String())
    items = fields.List(fields.Nested(ReserveEntrySchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class ReserveSaleInSchema(Schema):
    enterprise_id = fields.Integer(required=True)
    amounts = fields.Dict(keys=fields.String(), values=TonnesField(), required=True)
    price_per_tonne = fields.String(load_default=None, allow_none=True)


class AllocationTradeSchema(Schema):
    from_region = fields.String()
    to_region = fields.String()
    pollutant = fields.String()
    tonnes = fields.String()
    txn_id = fields.String()
    kind = fields.String(metadata={"example": "调配交易"})


class ReserveSaleLegSchema(Schema):
    pollutant = fields.String()
    tonnes = fields.String()
    lot_id = fields.Integer()
    valid_to = fields.String(metadata={"example": "2031-03-01"})


class ReserveSaleSchema(Schema):
    region_code = fields.String()
    enterprise_id = fields.Integer()
    amounts = fields.Dict(keys=fields.String(), values=fields.String())
    price_per_tonne = fields.String(allow_none=True)
    allocation_trades = fields.List(fields.Nested(AllocationTradeSchema))
    legs = fields.List(fields.Nested(ReserveSaleLegSchema))


class SweepSchema(Schema):
    expired = fields.Integer()
    reminded = fields.Integer()


class ExpiryReminderSchema(Schema):
    at = fields.String()
    lot_id = fields.Integer()
    pollutant = fields.String()
    tonnes = fields.String()
    valid_to = fields.String()
    subject = fields.String()


class ExpiryReminderListSchema(Schema):
    items = fields.List(fields.Nested(ExpiryReminderSchema))
