"""Marshmallow schemas of the process and instance API (API.md "Processes and instances")."""
from marshmallow import Schema, fields

from app.api.schemas.common import LocalTime
from app.api.schemas.tasks import TaskSchema


class ProcessSchema(Schema):
    key = fields.String(required=True)
    name = fields.String()
    version = fields.Integer(metadata={"description": "latest version"})
    deployed_at = LocalTime()


class ProcessVersionSchema(Schema):
    key = fields.String(required=True)
    version = fields.Integer(required=True)
    name = fields.String()
    deployed_at = LocalTime()
    deployed_by = fields.Integer(allow_none=True)
    content_hash = fields.String()
    comment = fields.String(allow_none=True)


class DeployedSchema(Schema):
    key = fields.String(required=True)
    version = fields.Integer(required=True)
    changed = fields.Boolean(metadata={"description": "false when the XML equalled the latest"})


class HistoryEntrySchema(Schema):
    at = LocalTime()
    actor = fields.String(allow_none=True, metadata={"description": "username, null for system"})
    actor_id = fields.Integer(allow_none=True)
    action = fields.String()
    task = fields.String(allow_none=True, metadata={"description": "BPMN element id"})
    detail = fields.Dict()


class DeadlineSchema(Schema):
    task = fields.String(allow_none=True)
    rule = fields.String()
    due_at = LocalTime()
    provisional = fields.Boolean()
    open = fields.Boolean()


class InstanceSchema(Schema):
    id = fields.Integer(required=True)
    key = fields.String()
    version = fields.Integer()
    status = fields.String(metadata={"description": "running | completed | cancelled | incident"})
    business_key = fields.String(allow_none=True)
    data = fields.Dict(metadata={"description": "the business summary (API.md)"})
    started_at = LocalTime()
    ended_at = LocalTime(allow_none=True)
    incident_message = fields.String(allow_none=True)
    active_tasks = fields.List(fields.Nested(TaskSchema))
    history = fields.List(fields.Nested(HistoryEntrySchema))
    deadlines = fields.List(fields.Nested(DeadlineSchema))
