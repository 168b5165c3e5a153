"""Admin pages: the process list and the diagram editor (bpmn-js Modeler with our properties
panel), with its same-origin JSON endpoints for validate, save as draft and deploy.

Registers its rules on `app.admin.views.bp` when imported (the last lines of views.py).
"""
from __future__ import annotations

from flask import Response, jsonify, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from app import engine
from app.admin import home
from app.admin.views import bp
from app.auth.access import actor, page_auth
from app.errors import BadRequest, ValidationFailed
from app.extensions import db

MAX_XML_CHARS = 2 * 1024 * 1024


def _body() -> dict:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise BadRequest(_l("请求体应为 JSON 对象"))
    xml = payload.get("xml")
    if not isinstance(xml, str) or not xml.strip():
        raise ValidationFailed(_l("缺少流程图 XML"), fields={"xml": [_l("缺少流程图 XML")]})
    if len(xml) > MAX_XML_CHARS:
        raise ValidationFailed(_l("流程图过大"), fields={"xml": [_l("流程图过大")]})
    comment = payload.get("comment")
    return {"xml": xml, "comment": comment if isinstance(comment, str) else None}


@page_auth("admin")
def processes():
    return render_template("admin/processes.html", processes=engine.process_keys(),
                           drafts={k: engine.latest_draft(k) for k, _, _ in engine.process_keys()})


@page_auth("admin")
def modeler(key: str):
    versions = engine.version_list(key)
    draft_id = request.args.get("draft", type=int)
    number = request.args.get("version", type=int) or versions[0].version
    if draft_id:
        xml_url = url_for("admin.draft_xml", key=key, draft_id=draft_id)
        source = engine.get_draft(draft_id)
    else:
        xml_url = url_for("admin.version_xml", key=key, number=number)
        source = next((v for v in versions if v.version == number), versions[0])
    forms = engine.form_files()
    return render_template(
        "admin/modeler.html",
        key=key,
        name=versions[0].name,
        source=source,
        draft_id=draft_id,
        number=number,
        xml_url=xml_url,
        schema_forms=[f for f in forms if f.endswith(".schema.json")],
        ui_forms=[f for f in forms if f.endswith(".ui.json")],
        decisions=_decision_ids(),
        processes=[k for k, _, _ in engine.process_keys()],
    )


def _decision_ids() -> list[str]:
    from lxml import etree

    ids: list[str] = []
    for xml in engine.current_dmn_files().values():
        root = etree.fromstring(xml.encode("utf-8"), etree.XMLParser(resolve_entities=False))
        ids.extend(d.get("id") for d in root.iter("{*}decision") if d.get("id"))
    return sorted(set(ids))


@page_auth("admin")
def version_xml(key: str, number: int):
    from app.engine.versioning import version_row

    row = version_row(key, number)
    response = Response(row.bpmn_xml, mimetype="application/xml")
    if request.args.get("download"):
        response.headers["Content-Disposition"] = f'attachment; filename="{key}-v{number}.bpmn"'
    return response


@page_auth("admin")
def draft_xml(key: str, draft_id: int):
    row = engine.get_draft(draft_id)
    if row.key != key:
        raise ValidationFailed(_l("草稿不属于该流程"))
    return Response(row.xml, mimetype="application/xml")


@page_auth("admin")
def validate(key: str):
    body = _body()
    info = engine.validate_process(key, body["xml"])
    db.session.rollback()
    return jsonify({"valid": True, "key": info.key, "version": info.version,
                    "changed": info.changed})


@page_auth("admin")
def save_draft(key: str):
    body = _body()
    engine.check_xml(f"{key}.bpmn", body["xml"])
    row = engine.save_draft(key=key, xml=body["xml"], author_id=actor().id,
                            comment=body["comment"])
    db.session.commit()
    return jsonify({"id": row.id, "key": row.key}), 201


@page_auth("admin")
def deploy(key: str):
    body = _body()
    info = engine.deploy_process(key, body["xml"], actor_id=actor().id, comment=body["comment"])
    db.session.commit()
    return jsonify({"key": info.key, "version": info.version, "changed": info.changed}), (
        201 if info.changed else 200
    )


bp.add_url_rule("/processes", "processes", processes)
bp.add_url_rule("/processes/<key>/modeler", "modeler", modeler)
bp.add_url_rule("/processes/<key>/versions/<int:number>.bpmn", "version_xml", version_xml)
bp.add_url_rule("/processes/<key>/drafts/<int:draft_id>.bpmn", "draft_xml", draft_xml)
bp.add_url_rule("/processes/<key>/validate", "modeler_validate", validate, methods=["POST"])
bp.add_url_rule("/processes/<key>/drafts", "modeler_draft", save_draft, methods=["POST"])
bp.add_url_rule("/processes/<key>/deploy", "modeler_deploy", deploy, methods=["POST"])
home.SECTIONS.append(
    home.Section("admin.processes", _l("Process diagrams"),
                 _l("Edit, validate and deploy diagrams; versions, differences and migration"))
)
