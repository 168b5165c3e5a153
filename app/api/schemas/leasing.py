"""Marshmallow schemas of the leasing API: the R31/R18 substitution check."""
from marshmallow import Schema, fields

from app.api.schemas.ledger import TonnesField


class SubstitutionCheckInSchema(Schema):
    enterprise_id = fields.Integer(required=True)
    amounts = fields.Dict(keys=fields.String(), values=TonnesField(), required=True)


class SubstitutionCheckSchema(Schema):
    enterprise_id = fields.Integer()
    ok = fields.Boolean()
    own = fields.Dict(keys=fields.String(), values=fields.String())
    leased = fields.Dict(keys=fields.String(), values=fields.String())
