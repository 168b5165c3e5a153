"""Marshmallow schemas of the test-clock API (test mode only)."""
from marshmallow import Schema, fields


class ClockSchema(Schema):
    now = fields.AwareDateTime(required=True, format="iso")


class RunDueResponseSchema(Schema):
    fired = fields.Integer(required=True)
