"""API routes: incidents — instances stopped by a failing step, for administrators to inspect and
run again once the cause is fixed."""
from __future__ import annotations

from dataclasses import asdict

from flask import jsonify
from flask_babel import lazy_gettext as _l

from app import engine
from app.api import bp
from app.api.processes import instance_out
from app.api.schemas.incidents import IncidentListSchema, IncidentSchema
from app.api.schemas.processes import InstanceSchema
from app.auth.access import actor, api_auth
from app.errors import NotFound
from app.extensions import db


@bp.get("/admin/incidents")
@api_auth("admin")
def list_incidents():
    """Instances in `incident`, newest first.
    ---
    get:
      tags: [incidents]
      responses:
        200: {content: {application/json: {schema: IncidentListSchema}}}
        401: {description: no valid token}
        403: {description: not an administrator}
    """
    items = [asdict(i) for i in engine.incidents()]
    return jsonify(IncidentListSchema().dump({"items": items, "total": len(items)}))


@bp.get("/admin/incidents/<int:instance_id>")
@api_auth("admin")
def get_incident(instance_id: int):
    """One incident with its traceback.
    ---
    get:
      tags: [incidents]
      parameters: [{name: instance_id, in: path, required: true, schema: {type: integer}}]
      responses:
        200: {content: {application/json: {schema: IncidentSchema}}}
        401: {description: no valid token}
        403: {description: not an administrator}
        404: {description: the instance has no open incident}
    """
    found = engine.incidents(instance_id=instance_id)
    if not found:
        raise NotFound(_l("该流程实例没有待处理的故障"))
    return jsonify(IncidentSchema().dump(asdict(found[0])))


@bp.post("/instances/<int:instance_id>/retry")
@api_auth("admin")
def retry_instance(instance_id: int):
    """Run an instance's failed step again (administrator), after the cause was fixed.
    ---
    post:
      tags: [incidents]
      parameters: [{name: instance_id, in: path, required: true, schema: {type: integer}}]
      responses:
        200: {content: {application/json: {schema: InstanceSchema}}}
        401: {description: no valid token}
        403: {description: not an administrator}
        404: {description: no such instance}
        409: {description: the instance has no incident}
    """
    info = engine.retry(instance_id, actor_id=actor().id)
    db.session.commit()
    return jsonify(InstanceSchema().dump(instance_out(info)))
