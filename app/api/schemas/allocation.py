"""Marshmallow schemas of the allocation API: fee notices (R15, R16) and attachments (R12)."""
from marshmallow import Schema, fields, validate

from app.api.schemas.common import LocalTime


class FeeLineSchema(Schema):
    pollutant = fields.String()
    tonnes = fields.String(metadata={"example": "12.5000"})
    standard = fields.String(metadata={"description": "元/吨·年", "example": "4000.00"})
    full_years = fields.Integer()
    part_days = fields.Integer(metadata={"description": "days of the part years (days/365)"})
    years = fields.String(metadata={"example": "4.8356"})
    amount = fields.String(metadata={"example": "241780.82"})


class FeeNoticeSchema(Schema):
    id = fields.Integer()
    number = fields.String(metadata={"description": "document number (文号)"})
    instance_id = fields.Integer(allow_none=True)
    enterprise_id = fields.Integer()
    enterprise_name = fields.String()
    region_code = fields.String(metadata={"description": "issuing bureau's region"})
    bureau_name = fields.String()
    valid_from = fields.Date()
    valid_to = fields.Date()
    lines = fields.List(fields.Nested(FeeLineSchema))
    amount = fields.String(metadata={"example": "4000.00"})
    finalised_at = LocalTime()
    issue_due_at = LocalTime(metadata={"description": "R15: 10 working days after finalising"})
    issued_at = LocalTime()
    due_at = LocalTime(metadata={"description": "payment deadline (R16 after it)"})
    status = fields.String(metadata={"enum": ["unpaid", "paid"]})
    overdue = fields.Boolean()
    paid_at = LocalTime(allow_none=True)
    payment_reference = fields.String(allow_none=True)
    print_url = fields.String()


class FeeNoticePageSchema(Schema):
    items = fields.List(fields.Nested(FeeNoticeSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class PaymentRequestSchema(Schema):
    paid_at = fields.AwareDateTime(
        load_default=None, metadata={"description": "when the unit paid; default now"}
    )
    reference = fields.String(
        load_default=None, validate=validate.Length(max=100),
        metadata={"description": "tax receipt or bank reference (完税凭证号)"},
    )


class AttachmentUploadSchema(Schema):
    """JSON upload: the file's name and its content in base64 (or send multipart `file`)."""

    filename = fields.String(required=True, validate=validate.Length(min=1, max=200))
    content_base64 = fields.String(required=True)


class AttachmentSchema(Schema):
    id = fields.Integer()
    instance_id = fields.Integer()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_by = fields.Integer(allow_none=True)
    uploaded_at = LocalTime()
