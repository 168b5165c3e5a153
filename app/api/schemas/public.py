"""Marshmallow schemas of the public disclosure API (R38, R39): no personal data."""
from marshmallow import Schema, fields

from app.api.schemas.common import LocalTime

AMOUNTS = {"keys": fields.String(), "values": fields.String()}


class PublicationSchema(Schema):
    instance_id = fields.Integer()
    business_key = fields.String(allow_none=True)
    enterprise_id = fields.Integer(allow_none=True)
    enterprise_name = fields.String(allow_none=True)
    region_code = fields.String(allow_none=True)
    amounts = fields.Dict(**AMOUNTS)
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
    amounts = fields.Dict(**AMOUNTS)
    method = fields.String()
    price_per_tonne = fields.String()
    registration = fields.String(metadata={"description": "standard | simplified (R29)"})
    valid_from = fields.Date()
    valid_to = fields.Date()


class PublicTradeSchema(Schema):
    """R38: a deal settled with an electronic certificate (R24), as the public sees it."""

    number = fields.String(metadata={"description": "certificate number (R39)"})
    issued_at = LocalTime()
    region_code = fields.String()
    region_name = fields.String()
    buyer = fields.String(metadata={"description": "the buying unit's name"})
    buyer_credit_code = fields.String()
    seller = fields.String(metadata={"description": "a unit's name or \"<region>储备\""})
    seller_kind = fields.String(metadata={"description": "enterprise | reserve"})
    seller_region_code = fields.String(allow_none=True)
    amounts = fields.Dict(**AMOUNTS)
    price_per_tonne = fields.Decimal(as_string=True, places=2)
    method = fields.String(metadata={"description": "agreement | listing | auction | call_auction"})


class PublicTradePageSchema(Schema):
    items = fields.List(fields.Nested(PublicTradeSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class PublicReserveSchema(Schema):
    """R33, R38: one bureau's reserve account and its unexpired balances per pollutant."""

    region_code = fields.String()
    region_name = fields.String()
    level = fields.String(metadata={"description": "county | city | province"})
    bureau = fields.String(allow_none=True)
    balances = fields.Dict(**AMOUNTS)


class PublicReservePageSchema(Schema):
    items = fields.List(fields.Nested(PublicReserveSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class OpenSaleSchema(Schema):
    """R20, R38: a sale by listing, auction or call auction announced while its bidding is open (no
    personal data: not the applicant, not a call auction's sealed offer)."""

    instance_id = fields.Integer(metadata={"description": "the trade; bids go to bid_url"})
    method = fields.String(metadata={"description": "listing | auction | call_auction"})
    seller = fields.String(metadata={"description": "a unit's name or \"<region>储备\""})
    seller_kind = fields.String(metadata={"description": "enterprise | reserve"})
    region_code = fields.String(allow_none=True, metadata={"description": "the seller's region"})
    region_name = fields.String(allow_none=True)
    amounts = fields.Dict(**AMOUNTS)
    price_kind = fields.String(metadata={
        "description": "listed (挂牌价, listing) | starting (起拍价, auction) | reserve (底价, "
                       "call auction)"})
    price_per_tonne = fields.Decimal(as_string=True, places=2, allow_none=True, metadata={
        "description": "yuan per tonne; null for a call auction without a reserve price"})
    bid_increment = fields.Decimal(as_string=True, places=2, allow_none=True, metadata={
        "description": "the minimum raise over the best bid (auction, a listing's bid-up)"})
    deposit_ratio = fields.Decimal(as_string=True, places=2, allow_none=True)
    deposit_amount = fields.Decimal(as_string=True, places=2, allow_none=True, metadata={
        "description": "R27a: each bidder's deposit, yuan"})
    announced_at = LocalTime(allow_none=True)
    closes_at = LocalTime(allow_none=True, metadata={"description": "bids taken until then"})
    bid_url = fields.String(metadata={"description": "POST a bid here (enterprise users)"})
    how_to_bid = fields.String()


class OpenSalePageSchema(Schema):
    items = fields.List(fields.Nested(OpenSaleSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
