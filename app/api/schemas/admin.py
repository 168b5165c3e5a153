"""Marshmallow schemas of the administration API: users and enterprises (R8)."""

from marshmallow import EXCLUDE, Schema, fields

from app.api.schemas.auth import LocalDateTime


class CreatedSchema(Schema):
    id = fields.Integer(required=True)


class UserCreateSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    username = fields.String(required=True)
    password = fields.String(required=True, load_only=True)
    display_name = fields.String(load_default="")
    roles = fields.List(fields.String(), required=True)
    region_code = fields.String(allow_none=True, load_default=None)
    enterprise_id = fields.Integer(allow_none=True, load_default=None, strict=False)
    email = fields.String(allow_none=True, load_default=None)
    active = fields.Boolean(load_default=True)


class UserUpdateSchema(Schema):
    """Any subset of the user's fields; omitted ones keep their values."""

    class Meta:
        unknown = EXCLUDE

    password = fields.String(load_only=True)
    display_name = fields.String()
    roles = fields.List(fields.String())
    region_code = fields.String(allow_none=True)
    enterprise_id = fields.Integer(allow_none=True)
    email = fields.String(allow_none=True)
    active = fields.Boolean()


class UserSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.String())
    region_code = fields.String(allow_none=True)
    enterprise_id = fields.Integer(allow_none=True)
    email = fields.String(allow_none=True)
    active = fields.Boolean()
    created_at = LocalDateTime()


class UserPageSchema(Schema):
    items = fields.List(fields.Nested(UserSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class EnterpriseInputSchema(Schema):
    """Shape only; the R8 rules (credit code, enums, county) are checked by the service."""

    class Meta:
        unknown = EXCLUDE

    name = fields.String(required=True)
    credit_code = fields.String(required=True)
    region_code = fields.String(required=True)
    source_type = fields.String(required=True, metadata={"enum": ["industrial", "agricultural"]})
    industry = fields.String(allow_none=True)
    permit_no = fields.String(allow_none=True)
    permit_class = fields.String(
        required=True, metadata={"enum": ["key", "simplified", "registered", "none"]}
    )
    auto_monitoring = fields.Boolean(allow_none=True)
    grade = fields.String(allow_none=True, metadata={"enum": ["A", "B", "C", "D"]})
    capacity_mw = fields.Raw(
        allow_none=True, metadata={"type": "string", "description": "MW, Decimal as a string"}
    )
    water_system = fields.String(allow_none=True)


class EnterpriseUpdateSchema(EnterpriseInputSchema):
    """Any subset of the enterprise's fields; omitted ones keep their values."""

    class Meta:
        unknown = EXCLUDE


class EnterpriseSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    credit_code = fields.String()
    region_code = fields.String()
    region_name = fields.Function(lambda e: e.region.name if e.region else None)
    source_type = fields.String()
    industry = fields.String()
    permit_no = fields.String(allow_none=True)
    permit_class = fields.String()
    auto_monitoring = fields.Boolean()
    grade = fields.String()
    capacity_mw = fields.Decimal(as_string=True, allow_none=True)
    water_system = fields.String(allow_none=True)
    credit_flag = fields.String(allow_none=True)


class EnterprisePageSchema(Schema):
    items = fields.List(fields.Nested(EnterpriseSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
