"""API routes: processes and instances (API.md "Processes and instances") — deployed versions,
deploying a new version, starting, reading, messaging and cancelling instances."""
from __future__ import annotations

from flask import Response, jsonify, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import engine
from app.api import bp
from app.api.auth import load_body
from app.api.schemas import fast
from app.api.schemas.common import DataRequestSchema
from app.api.schemas.processes import (
    DeployedSchema,
    InstanceSchema,
    ProcessSchema,
    ProcessVersionSchema,
)
from app.api.tasks import tasks_out
from app.auth.access import actor, api_auth
from app.engine.models import ProcessVersion
from app.errors import BadRequest, NotFound, ValidationFailed
from app.extensions import db
from app.inbox import services

MAX_BPMN_BYTES = 2 * 1024 * 1024  # a diagram larger than this is refused with 413


def instance_out(info: engine.InstanceInfo) -> dict:
    """An engine InstanceInfo as API.md's instance object (with history and deadlines)."""
    return {
        "id": info.id, "key": info.key, "version": info.version, "status": info.status,
        "business_key": info.business_key, "data": info.summary,
        "started_at": info.started_at, "ended_at": info.ended_at,
        "incident_message": info.incident_message,
        "active_tasks": tasks_out(info.active_tasks),
        "history": [
            {"at": e.at, "actor": e.actor, "actor_id": e.actor_id, "action": e.action,
             "task": e.task, "detail": e.detail}
            for e in services.timeline(info.id, version_id=info.version_id)
        ],
        "deadlines": [
            {"task": d.task, "rule": d.rule, "due_at": d.due_at, "provisional": d.provisional,
             "open": d.open}
            for d in info.deadlines
        ],
    }


def _versions(key: str) -> list[ProcessVersion]:
    return list(db.session.scalars(
        select(ProcessVersion).where(ProcessVersion.key == key).order_by(ProcessVersion.version)
    ))


@bp.get("/processes")
@api_auth()
def list_processes():
    """Deployed processes, each at its latest version.
    ---
    get:
      tags: [processes]
      responses:
        200: {content: {application/json: {schema: {type: array, items: ProcessSchema}}}}
        401: {description: no valid token}
    """
    return jsonify(ProcessSchema(many=True).dump(services.latest_versions()))


@bp.get("/processes/<key>/versions")
@api_auth()
def list_versions(key: str):
    """Every deployed version of a process, oldest first.
    ---
    get:
      tags: [processes]
      parameters: [{name: key, in: path, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: {type: array, items: ProcessVersionSchema}}}}
        401: {description: no valid token}
        404: {description: no such process}
    """
    rows = _versions(key)
    if not rows:
        raise NotFound(_l("流程“%(key)s”尚未部署", key=key))
    return jsonify(ProcessVersionSchema(many=True).dump(rows))


@bp.get("/processes/<key>/versions/<int:number>/bpmn")
@api_auth()
def version_bpmn(key: str, number: int):
    """The BPMN XML of one version.
    ---
    get:
      tags: [processes]
      parameters:
        - {name: key, in: path, required: true, schema: {type: string}}
        - {name: number, in: path, required: true, schema: {type: integer}}
      responses:
        200: {content: {application/xml: {schema: {type: string}}}}
        401: {description: no valid token}
        404: {description: no such version}
    """
    row = db.session.scalar(
        select(ProcessVersion).where(ProcessVersion.key == key, ProcessVersion.version == number)
    )
    if row is None:
        raise NotFound(_l("流程“%(key)s”没有第 %(number)s 版", key=key, number=number))
    return Response(row.bpmn_xml, mimetype="application/xml")


@bp.post("/processes/<key>/versions")
@api_auth("admin")
def deploy_version(key: str):
    """Deploy a new version of a process from its BPMN XML; the previous version keeps running.
    ---
    post:
      tags: [processes]
      parameters: [{name: key, in: path, required: true, schema: {type: string}}]
      requestBody:
        required: true
        content: {application/xml: {schema: {type: string}}}
      responses:
        201: {content: {application/json: {schema: DeployedSchema}}}
        200: {description: same content as the latest version; nothing new stored}
        400: {description: empty body}
        401: {description: no valid token}
        403: {description: not an administrator}
        413: {description: diagram too large}
        415: {description: not application/xml}
        422: {description: "invalid diagram: message and `fields` name the line and reason"}
    """
    if request.mimetype not in ("application/xml", "text/xml"):
        return _error(415, "unsupported_media_type",
                      _("请以 Content-Type: application/xml 提交 BPMN"))
    if (request.content_length or 0) > MAX_BPMN_BYTES:
        return _error(413, "payload_too_large",
                      _("BPMN 文件不得超过 %(kb)s KB", kb=MAX_BPMN_BYTES // 1024))
    xml = request.get_data(cache=False)
    if len(xml) > MAX_BPMN_BYTES:
        return _error(413, "payload_too_large",
                      _("BPMN 文件不得超过 %(kb)s KB", kb=MAX_BPMN_BYTES // 1024))
    if not xml.strip():
        raise BadRequest(_l("请求体为空"))
    versions = engine.deploy({f"{key}.bpmn": xml}, actor_id=actor().id,
                             comment="deployed through the API")
    mine = [v for v in versions if v.key == key]
    if not mine:  # raising rolls the deploy back: nothing of it is stored
        found = _(", ").join(v.key for v in versions) or _("无")
        raise ValidationFailed(
            _l("URL 中的流程标识“%(key)s”与 BPMN 中的流程 id（%(found)s）不一致", key=key,
               found=found),
            fields={"key": [_l("BPMN 中的流程 id 为 %(found)s", found=found)]},
        )
    db.session.commit()
    version = mine[0]
    status = 201 if version.changed else 200
    return jsonify(DeployedSchema().dump(version)), status


def _error(status: int, code: str, message: str):
    return jsonify({"error": {"code": code, "message": message}}), status


@bp.post("/processes/<key>/instances")
@api_auth()
def start_instance(key: str):
    """Start an instance of the latest version with `data` (start roles per process).
    ---
    post:
      tags: [processes]
      parameters: [{name: key, in: path, required: true, schema: {type: string}}]
      requestBody: {content: {application/json: {schema: DataRequestSchema}}}
      responses:
        201: {content: {application/json: {schema: InstanceSchema}}}
        400: {description: body is not a JSON object}
        401: {description: no valid token}
        403: {description: the caller's role may not start this process}
        404: {description: process not deployed}
        422: {description: invalid start data or a rule refused it (`rule`)}
    """
    body = load_body(DataRequestSchema())
    info = services.start(user=actor(), key=key, data=body["data"])
    out = fast.dump(InstanceSchema, instance_out(info))  # before the commit expires what it reads
    db.session.commit()
    return jsonify(out), 201


@bp.get("/instances/<int:instance_id>")
@api_auth()
def get_instance(instance_id: int):
    """An instance: business summary, open tasks, history and deadlines.
    ---
    get:
      tags: [instances]
      parameters: [{name: instance_id, in: path, required: true, schema: {type: integer}}]
      responses:
        200: {content: {application/json: {schema: InstanceSchema}}}
        401: {description: no valid token}
        404: {description: no such instance within the caller's reach}
    """
    inst = services.get_instance(user=actor(), instance_id=instance_id)
    return jsonify(fast.dump(InstanceSchema, instance_out(engine.get_instance(inst.id))))


@bp.post("/instances/<int:instance_id>/messages/<name>")
@api_auth()
def send_message(instance_id: int, name: str):
    """Deliver a message (e.g. `objection` with {"reason"}, R12) to a waiting instance.
    ---
    post:
      tags: [instances]
      parameters:
        - {name: instance_id, in: path, required: true, schema: {type: integer}}
        - {name: name, in: path, required: true, schema: {type: string}}
      requestBody: {content: {application/json: {schema: DataRequestSchema}}}
      responses:
        202: {content: {application/json: {schema: InstanceSchema}}}
        400: {description: body is not a JSON object}
        401: {description: no valid token}
        403: {description: neither the applicant unit nor its bureau}
        404: {description: no such instance within the caller's reach}
        409:
          description: "not waiting for it; `rule` names why (R12: window closed, with its time)"
    """
    services.get_instance(user=actor(), instance_id=instance_id)  # R7 before the body is read
    body = load_body(DataRequestSchema())
    info = services.send_message(user=actor(), instance_id=instance_id, name=name,
                                 payload=body["data"])
    out = fast.dump(InstanceSchema, instance_out(info))  # before the commit expires what it reads
    db.session.commit()
    return jsonify(out), 202


@bp.post("/instances/<int:instance_id>/cancel")
@api_auth("admin")
def cancel_instance(instance_id: int):
    """Cancel an instance (administrator): its open tasks, timers and deadlines close.
    ---
    post:
      tags: [instances]
      parameters: [{name: instance_id, in: path, required: true, schema: {type: integer}}]
      responses:
        200: {content: {application/json: {schema: InstanceSchema}}}
        401: {description: no valid token}
        403: {description: not an administrator}
        404: {description: no such instance}
        409: {description: already ended}
    """
    info = services.cancel(user=actor(), instance_id=instance_id)
    out = fast.dump(InstanceSchema, instance_out(info))  # before the commit expires what it reads
    db.session.commit()
    return jsonify(out)
