"""Marshmallow schemas of the administrators' diagram API: drafts, validation, deploy with a reason,
versions with instance counts, diffs, rollback, migration, decision tables."""
from marshmallow import Schema, fields, validate

from app.api.schemas.common import LocalTime

MAX_XML_CHARS = 2 * 1024 * 1024


class DiagramXmlSchema(Schema):
    xml = fields.String(required=True, validate=validate.Length(min=1, max=MAX_XML_CHARS))
    comment = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(max=500))


class DraftSchema(Schema):
    id = fields.Integer()
    key = fields.String()
    xml = fields.String()
    author_id = fields.Integer(allow_none=True)
    saved_at = LocalTime()
    comment = fields.String(allow_none=True)


class ValidationResultSchema(Schema):
    valid = fields.Boolean()
    key = fields.String()
    version = fields.Integer(metadata={"description": "the version a deploy would create"})
    changed = fields.Boolean()


class ReasonSchema(Schema):
    comment = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(max=500))


class AdminVersionSchema(Schema):
    key = fields.String()
    version = fields.Integer()
    name = fields.String()
    deployed_at = LocalTime()
    deployed_by = fields.Integer(allow_none=True)
    comment = fields.String(allow_none=True)
    running = fields.Integer(metadata={"description": "instances running on this version"})
    total = fields.Integer()
    dmn_files = fields.List(fields.String())


class VersionDiffSchema(Schema):
    key = fields.String()
    base = fields.Integer()
    other = fields.Integer()
    added = fields.List(fields.String(), metadata={"description": "element ids"})
    removed = fields.List(fields.String())
    changed = fields.List(fields.String())


class MigrationCheckSchema(Schema):
    instance_id = fields.Integer()
    business_key = fields.String(allow_none=True)
    from_version = fields.Integer()
    to_version = fields.Integer()
    compatible = fields.Boolean()
    reason = fields.String()


class MigrationListSchema(Schema):
    items = fields.List(fields.Nested(MigrationCheckSchema))


class MigrateRequestSchema(Schema):
    to_version = fields.Integer(load_default=None, allow_none=True)


class DecisionFileSchema(Schema):
    name = fields.String()
    used_by = fields.List(fields.String())


class DeployedVersionsSchema(Schema):
    versions = fields.List(fields.Dict(), metadata={"description": "[{key, version, changed}]"})
