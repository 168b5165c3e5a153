"""Marshmallow schemas of the task API (API.md "Tasks")."""
from marshmallow import Schema, fields

from app.api.schemas.common import LocalTime


class TaskSchema(Schema):
    id = fields.String(required=True)
    instance_id = fields.Integer(required=True)
    process_key = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "BPMN element id"})
    title = fields.String()
    role = fields.String()
    region_code = fields.String(allow_none=True)
    enterprise_id = fields.Integer(allow_none=True)
    assignee = fields.String(allow_none=True, metadata={"description": "username of the holder"})
    assignee_id = fields.Integer(allow_none=True)
    priority = fields.Integer()
    state = fields.String(metadata={"description": "open | completed | cancelled"})
    created_at = LocalTime()
    due_at = LocalTime(allow_none=True)
    deadline_rule = fields.String(allow_none=True)
    provisional = fields.Boolean(
        metadata={"description": "due date counted on an unknown year (R4)"}
    )
    escalated = fields.Boolean()
    light = fields.String(metadata={"description": "green | yellow | red | none"})
    business_key = fields.String(allow_none=True)
    summary = fields.Dict(allow_none=True, metadata={
        "description": "the instance's business summary (API.md), e.g. green_channel (R29)"})
    completed_at = LocalTime(allow_none=True)


class TaskPageSchema(Schema):
    items = fields.List(fields.Nested(TaskSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class TaskFormSchema(Schema):
    schema = fields.Dict(allow_none=True, metadata={"description": "JSON Schema (2020-12)"})
    ui = fields.Dict(allow_none=True, metadata={"description": "UI hints (ui:order, ui:widget…)"})


class TaskDetailSchema(TaskSchema):
    form = fields.Nested(TaskFormSchema)
    data = fields.Dict(metadata={"description": "the task's current data, to prefill the form"})
