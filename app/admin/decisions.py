"""Admin pages: the decision tables (DMN files deployed with processes) and the dmn-js editor;
deploying an edited table gives every process that uses it a new version (new instances only).

Registers its rules on `app.admin.views.bp` when imported (the last lines of views.py).
"""
from __future__ import annotations

from flask import Response, jsonify, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from app import engine
from app.admin.views import bp
from app.auth.access import actor, page_auth
from app.errors import BadRequest, NotFound, ValidationFailed
from app.extensions import db

MAX_XML_CHARS = 2 * 1024 * 1024


def _file(name: str) -> str:
    files = engine.current_dmn_files()
    if name not in files:
        raise NotFound(_l("决策文件“%(name)s”不存在", name=name))
    return files[name]


@page_auth("admin")
def index():
    files = [(n, engine.dmn_users(n)) for n in engine.current_dmn_files()]
    return render_template("admin/decisions.html", files=files)


@page_auth("admin")
def editor(name: str):
    _file(name)
    return render_template("admin/decision_editor.html", name=name, users=engine.dmn_users(name),
                           xml_url=url_for("admin.decision_xml", name=name))


@page_auth("admin")
def xml(name: str):
    return Response(_file(name), mimetype="application/xml")


@page_auth("admin")
def deploy(name: str):
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise BadRequest(_l("请求体应为 JSON 对象"))
    text, comment = payload.get("xml"), payload.get("comment")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_XML_CHARS:
        raise ValidationFailed(_l("缺少决策表 XML"), fields={"xml": [_l("缺少决策表 XML")]})
    _file(name)
    infos = engine.deploy_decision(name, text, actor_id=actor().id,
                                   comment=comment if isinstance(comment, str) else None)
    db.session.commit()
    return jsonify({"versions": [{"key": i.key, "version": i.version, "changed": i.changed}
                                 for i in infos]}), 201


bp.add_url_rule("/decisions", "decisions", index)
bp.add_url_rule("/decisions/<name>", "decision_editor", editor)
bp.add_url_rule("/decisions/<name>/xml", "decision_xml", xml)
bp.add_url_rule("/decisions/<name>", "decision_deploy", deploy, methods=["POST"])
