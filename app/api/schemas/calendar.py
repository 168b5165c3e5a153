"""Marshmallow schemas of the working-day calendar API (R4)."""
from marshmallow import Schema, fields, validate


class CalendarDaySchema(Schema):
    date = fields.Date(required=True)
    workday = fields.Boolean(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))


class CalendarLoadSchema(Schema):
    days = fields.List(fields.Nested(CalendarDaySchema), required=True)


class CalendarLoadResponseSchema(Schema):
    year = fields.Integer()
    days = fields.Integer()
    recomputed = fields.Integer()


class CalendarYearSchema(Schema):
    year = fields.Integer()
    known = fields.Boolean()
    loaded_at = fields.String(allow_none=True, metadata={"description": "ISO 8601, +08:00"})
    workdays = fields.Integer(metadata={"description": "working days in the year"})
    days = fields.List(fields.Nested(CalendarDaySchema), metadata={"description": "override rows"})
