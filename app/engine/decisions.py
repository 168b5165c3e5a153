"""Evaluating a DMN decision table outside a running diagram (e.g. R11 from a start hook).

The table is the newest one deployed with any process version (`process_version.dmn_xml`), else
the file in ERFLOW_BPMN_DIR that defines it — so an administrator's edited and deployed table wins
over the shipped default. Parsed tables are cached by content hash.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from sqlalchemy import select

from app.engine.deploy import parse_xml
from app.engine.models import ProcessVersion
from app.engine.scripting import script_engine
from app.errors import NotFound
from app.extensions import db

_engines: dict[tuple[str, str], DMNEngine] = {}


def _defines(xml: str, decision_id: str) -> bool:
    return f'id="{decision_id}"' in xml


def _source(decision_id: str) -> tuple[str, str]:
    """(file name, DMN XML) of the table to use for `decision_id`."""
    rows = db.session.execute(
        select(ProcessVersion.dmn_xml)
        .where(ProcessVersion.dmn_xml.is_not(None))
        .order_by(ProcessVersion.id.desc())  # deploy order (a test clock may run behind)
    ).scalars()
    for dmn in rows:
        for name, xml in (dmn or {}).items():
            if _defines(xml, decision_id):
                return name, xml
    folder = Path(current_app.config["ERFLOW_BPMN_DIR"])
    for path in sorted(folder.glob("*.dmn")):
        xml = path.read_text(encoding="utf-8")
        if _defines(xml, decision_id):
            return path.name, xml
    raise NotFound(_l("决策表“%(id)s”不存在", id=decision_id))


def _engine(decision_id: str) -> DMNEngine:
    name, xml = _source(decision_id)
    key = (decision_id, hashlib.sha256(xml.encode()).hexdigest())
    found = _engines.get(key)
    if found is None:
        doc = parse_xml(name, xml)
        parser = SpiffBpmnParser()
        parser.add_dmn_xml(doc.root, filename=name)
        try:
            found = parser.get_engine(decision_id, doc.root)
        except (ValidationException, SpiffWorkflowException) as exc:
            raise NotFound(_l("决策表“%(id)s”无法解析：%(error)s", id=decision_id,
                              error=exc)) from exc
        _engines[key] = found
    return found


def decide(decision_id: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """Evaluate decision table `decision_id` with `inputs` as its variables; returns the first
    matching rule's outputs (an empty dict when no rule matches)."""
    engine = _engine(decision_id)
    task = SimpleNamespace(data=dict(inputs), workflow=SimpleNamespace(
        script_engine=script_engine()))
    return dict(engine.result(task))

