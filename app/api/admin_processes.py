"""API routes for administrators editing diagrams: drafts, validation, deploy with a reason,
versions with instance counts, element diffs, rollback, migration of running instances, decision
tables. Refused diagrams answer 422 with `fields.element_id`; nothing is stored then."""
from __future__ import annotations

from dataclasses import asdict

from flask import jsonify, request
from flask_babel import lazy_gettext as _l

from app import engine
from app.api import bp
from app.api.auth import load_body
from app.api.schemas.admin_processes import (
    AdminVersionSchema,
    DecisionFileSchema,
    DeployedVersionsSchema,
    DiagramXmlSchema,
    DraftSchema,
    MigrateRequestSchema,
    MigrationCheckSchema,
    MigrationListSchema,
    ReasonSchema,
    ValidationResultSchema,
    VersionDiffSchema,
)
from app.api.schemas.processes import DeployedSchema
from app.auth.access import actor, api_auth
from app.errors import NotFound, ValidationFailed
from app.extensions import db


def _deployed(info) -> dict:
    return {"key": info.key, "version": info.version, "changed": info.changed}


@bp.get("/admin/processes/<key>/versions")
@api_auth("admin")
def admin_versions(key: str):
    """Every version of a process, newest first, with who, when, why and instance counts.
    ---
    get:
      tags: [admin-processes]
      parameters: [{name: key, in: path, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: {type: array, items: AdminVersionSchema}}}}
        403: {description: not an administrator}
        404: {description: no such process}
    """
    return jsonify(AdminVersionSchema(many=True).dump(engine.version_list(key)))


@bp.post("/admin/processes/<key>/drafts")
@api_auth("admin")
def save_draft(key: str):
    """Save an edited diagram as a draft (nothing runs from it).
    ---
    post:
      tags: [admin-processes]
      parameters: [{name: key, in: path, required: true, schema: {type: string}}]
      requestBody: {content: {application/json: {schema: DiagramXmlSchema}}}
      responses:
        201: {content: {application/json: {schema: DraftSchema}}}
        403: {description: not an administrator}
        422: {description: "malformed XML (line and reason)"}
    """
    body = load_body(DiagramXmlSchema())
    engine.check_xml(f"{key}.bpmn", body["xml"])  # well-formed and safe, else 422
    row = engine.save_draft(key=key, xml=body["xml"], author_id=actor().id,
                            comment=body["comment"])
    db.session.commit()
    return jsonify(DraftSchema().dump(row)), 201


@bp.get("/admin/processes/<key>/drafts/latest")
@api_auth("admin")
def latest_draft(key: str):
    """The newest draft of a process.
    ---
    get:
      tags: [admin-processes]
      parameters: [{name: key, in: path, required: true, schema: {type: string}}]
      responses:
        200: {content: {application/json: {schema: DraftSchema}}}
        403: {description: not an administrator}
        404: {description: no draft}
    """
    row = engine.latest_draft(key)
    if row is None:
        raise NotFound(_l("流程“%(key)s”没有草稿", key=key))
    return jsonify(DraftSchema().dump(row))


@bp.post("/admin/processes/<key>/validate")
@api_auth("admin")
def validate_diagram(key: str):
    """Run the parser and every check on an edited diagram; store nothing.
    ---
    post:
      tags: [admin-processes]
      parameters: [{name: key, in: path, required: true, schema: {type: string}}]
      requestBody: {content: {application/json: {schema: DiagramXmlSchema}}}
      responses:
        200: {content: {application/json: {schema: ValidationResultSchema}}}
        403: {description: not an administrator}
        422: {description: "invalid: fields name the element_id, line and reason"}
    """
    body = load_body(DiagramXmlSchema())
    info = engine.validate_process(key, body["xml"])
    db.session.rollback()
    return jsonify(ValidationResultSchema().dump(
        {"valid": True, "key": info.key, "version": info.version, "changed": info.changed}
    ))


@bp.post("/admin/processes/<key>/deploy")
@api_auth("admin")
def deploy_diagram(key: str):
    """Deploy an edited diagram as a new version, with the reason in `comment`.
    ---
    post:
      tags: [admin-processes]
      parameters: [{name: key, in: path, required: true, schema: {type: string}}]
      requestBody: {content: {application/json: {schema: DiagramXmlSchema}}}
      responses:
        201: {content: {application/json: {schema: DeployedSchema}}}
        200: {description: same content as the latest version; nothing new stored}
        403: {description: not an administrator}
        422: {description: "invalid diagram or no reason; the running versions are untouched"}
    """
    body = load_body(DiagramXmlSchema())
    info = engine.deploy_process(key, body["xml"], actor_id=actor().id, comment=body["comment"])
    db.session.commit()
    return jsonify(DeployedSchema().dump(_deployed(info))), 201 if info.changed else 200


@bp.post("/admin/processes/<key>/versions/<int:number>/rollback")
@api_auth("admin")
def rollback_version(key: str, number: int):
    """Deploy an old version's XML anew as the newest version.
    ---
    post:
      tags: [admin-processes]
      parameters:
        - {name: key, in: path, required: true, schema: {type: string}}
        - {name: number, in: path, required: true, schema: {type: integer}}
      requestBody: {content: {application/json: {schema: ReasonSchema}}}
      responses:
        201: {content: {application/json: {schema: DeployedSchema}}}
        403: {description: not an administrator}
        404: {description: no such version}
    """
    body = load_body(ReasonSchema()) if request.get_data() else {"comment": None}
    info = engine.rollback(key, number, actor_id=actor().id, comment=body["comment"])
    db.session.commit()
    return jsonify(DeployedSchema().dump(_deployed(info))), 201


@bp.get("/admin/processes/<key>/diff")
@api_auth("admin")
def diff_versions(key: str):
    """Element ids added, removed and changed between two versions (`base`, `other`).
    ---
    get:
      tags: [admin-processes]
      parameters:
        - {name: key, in: path, required: true, schema: {type: string}}
        - {name: base, in: query, required: true, schema: {type: integer}}
        - {name: other, in: query, required: true, schema: {type: integer}}
      responses:
        200: {content: {application/json: {schema: VersionDiffSchema}}}
        403: {description: not an administrator}
        404: {description: no such version}
        422: {description: base or other missing}
    """
    base, other = request.args.get("base", type=int), request.args.get("other", type=int)
    if base is None or other is None:
        raise ValidationFailed(_l("请指定要比较的两个版本"),
                               fields={"base" if base is None else "other": [_l("必须为版本号")]})
    return jsonify(VersionDiffSchema().dump(asdict(engine.diff_versions(key, base, other))))


@bp.get("/admin/processes/<key>/migrations")
@api_auth("admin")
def migration_candidates(key: str):
    """Running instances on older versions: whether each can move to `to_version` (default the
    latest) and why not.
    ---
    get:
      tags: [admin-processes]
      parameters:
        - {name: key, in: path, required: true, schema: {type: string}}
        - {name: to_version, in: query, required: false, schema: {type: integer}}
      responses:
        200: {content: {application/json: {schema: MigrationListSchema}}}
        403: {description: not an administrator}
        404: {description: no such process or version}
    """
    checks = engine.migration_candidates(key, to_version=request.args.get("to_version", type=int))
    return jsonify(MigrationListSchema().dump({"items": [asdict(c) for c in checks]}))


@bp.post("/admin/instances/<int:instance_id>/migrate")
@api_auth("admin")
def migrate_instance(instance_id: int):
    """Move a running instance to a newer version of its process (audited "migrated").
    ---
    post:
      tags: [admin-processes]
      parameters: [{name: instance_id, in: path, required: true, schema: {type: integer}}]
      requestBody: {content: {application/json: {schema: MigrateRequestSchema}}}
      responses:
        200: {content: {application/json: {schema: MigrationCheckSchema}}}
        403: {description: not an administrator}
        404: {description: no such instance or version}
        409: {description: "incompatible: a completed step changed (message says which)"}
    """
    body = load_body(MigrateRequestSchema()) if request.get_data() else {"to_version": None}
    check = engine.migrate_instance(instance_id, to_version=body["to_version"],
                                    actor_id=actor().id)
    db.session.commit()
    return jsonify(MigrationCheckSchema().dump(asdict(check)))


@bp.get("/admin/decisions")
@api_auth("admin")
def decision_files():
    """The DMN files deployed with processes and the processes using each.
    ---
    get:
      tags: [admin-processes]
      responses:
        200: {content: {application/json: {schema: {type: array, items: DecisionFileSchema}}}}
        403: {description: not an administrator}
    """
    items = [{"name": n, "used_by": engine.dmn_users(n)} for n in engine.current_dmn_files()]
    return jsonify(DecisionFileSchema(many=True).dump(items))


@bp.post("/admin/decisions/<name>")
@api_auth("admin")
def deploy_decision(name: str):
    """Deploy an edited DMN file: each process using it gets a new version (new instances only).
    ---
    post:
      tags: [admin-processes]
      parameters: [{name: name, in: path, required: true, schema: {type: string}}]
      requestBody: {content: {application/json: {schema: DiagramXmlSchema}}}
      responses:
        201: {content: {application/json: {schema: DeployedVersionsSchema}}}
        403: {description: not an administrator}
        422: {description: "malformed or invalid DMN, unknown file, or no reason"}
    """
    body = load_body(DiagramXmlSchema())
    infos = engine.deploy_decision(name, body["xml"], actor_id=actor().id,
                                   comment=body["comment"])
    db.session.commit()
    return jsonify(DeployedVersionsSchema().dump({"versions": [_deployed(i) for i in infos]})), 201
