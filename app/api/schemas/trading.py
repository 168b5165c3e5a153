"""Marshmallow schemas of the trading API: mediation requests (R25), the contract (R24) and
certificates (R39)."""
from marshmallow import Schema, fields, validate

from app.api.schemas.common import LocalTime


class MediationRequestInSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class MediationRequestSchema(Schema):
    """A request for mediation (R25) and how its mediation stands: `status` open until the
    trading administration records the outcome within its working-day deadline."""

    id = fields.Integer()
    instance_id = fields.Integer(metadata={"description": "the trade"})
    party = fields.String(metadata={"description": "buyer | seller | bureau"})
    reason = fields.String()
    status = fields.String(metadata={"description": "open | resolved"})
    filed_at = LocalTime()
    mediation_instance_id = fields.Integer(allow_none=True, metadata={
        "description": "the `mediation` process instance handling the request"})
    due_at = LocalTime(allow_none=True, metadata={
        "description": "R25: the working-day deadline of the mediation task"})
    provisional = fields.Boolean(metadata={
        "description": "R4: the deadline falls in a year whose calendar is not loaded yet"})
    outcome = fields.String(allow_none=True, metadata={
        "description": "agreed | failed | withdrawn, once resolved"})
    opinion = fields.String(allow_none=True, metadata={"description": "调解意见"})
    resolved_at = LocalTime(allow_none=True)


class MediationListSchema(Schema):
    items = fields.List(fields.Nested(MediationRequestSchema))


class TradeContractSchema(Schema):
    """The contract drawn from the template (R24), with its printable page."""

    instance_id = fields.Integer()
    business_key = fields.String(allow_none=True)
    buyer = fields.String()
    seller = fields.String()
    amounts = fields.Dict(keys=fields.String(), values=fields.String())
    method = fields.String()
    price_per_tonne = fields.String()
    total_price = fields.String()
    signed_at = fields.String(allow_none=True)
    settle_due_at = fields.String(allow_none=True)
    print_url = fields.String()


class BidInSchema(Schema):
    """A bid in a trade's public bidding (R20)."""

    price_per_tonne = fields.String(load_default=None, allow_none=True, metadata={
        "description": "yuan per tonne; may be left out to register in a listing at its listed "
                       "price, required otherwise"})
    project_name = fields.String(load_default=None, allow_none=True,
                                 validate=validate.Length(max=200),
                                 metadata={"description": "the bidder's construction project"})


class BidSchema(Schema):
    """A bid as the caller may see it: bureau staff see every bidder, a bidder only itself."""

    id = fields.Integer()
    price_per_tonne = fields.String()
    placed_at = LocalTime()
    status = fields.String(metadata={"description": "active | won | lost"})
    mine = fields.Boolean()
    enterprise_id = fields.Integer(allow_none=True)
    enterprise_name = fields.String(allow_none=True)
    deposit = fields.Dict(allow_none=True, metadata={
        "description": "R27a: {ratio, amount, status held|applied|refunded|forfeited, …}"})


class BidListSchema(Schema):
    items = fields.List(fields.Nested(BidSchema))
    total = fields.Integer(metadata={"description": "the items shown"})
    method = fields.String(allow_none=True, metadata={
        "description": "listing | auction | call_auction"})
    phase = fields.String(allow_none=True, metadata={
        "description": "open | bid_up (a listing's intended buyers bid it up) while bids are "
                       "taken, else null"})
    sealed = fields.Boolean(metadata={
        "description": "R20 call auction before its close: only the caller's own bid is shown"})
    bids_count = fields.Integer(metadata={"description": "all bids, shown or not"})
    best_price = fields.String(allow_none=True, metadata={"description": "null while sealed"})
    min_next_price = fields.String(allow_none=True, metadata={
        "description": "the lowest bid accepted now (listed price, best + increment, reserve "
                       "price), null when not announced"})
    closes_at = LocalTime(allow_none=True, metadata={
        "description": "when the phase taking bids ends"})
