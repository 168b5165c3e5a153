"""Deploying diagrams: defused XML, schema and semantic checks with file/line, versions by content
hash.

Nothing is stored unless every file passes; a refused deploy leaves the running versions untouched.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from sqlalchemy import func, select

from app.common import clock
from app.engine import definitions, validation
from app.engine.errors import DeployError
from app.engine.models import ProcessVersion
from app.engine.serialization import dump_spec
from app.engine.types import VersionInfo
from app.extensions import db

MAX_FILE_BYTES = 5 * 1024 * 1024
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
NS = {"bpmn": BPMN[1:-1], "spiffworkflow": SPIFF[1:-1]}


@dataclass
class _Doc:
    name: str
    text: str
    root: etree._Element
    kind: str  # bpmn | dmn


def _safe_parser() -> etree.XMLParser:
    # No entity expansion, no DTD, no network, no huge trees: XML bombs and XXE stop here.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
    )


def parse_xml(name: str, content: str | bytes) -> _Doc:
    """Parse one file safely; refuse DTDs outright (nothing legitimate in BPMN/DMN needs one)."""
    raw = content.encode("utf-8") if isinstance(content, str) else content
    if len(raw) > MAX_FILE_BYTES:
        raise DeployError(_l("文件过大（超过 %(mb)s MB）", mb=MAX_FILE_BYTES // 1024 // 1024),
                          file=name)
    if b"<!DOCTYPE" in raw.upper() or b"<!ENTITY" in raw.upper():
        raise DeployError(_l("不允许包含 DOCTYPE/ENTITY 声明"), file=name,
                          line=_line_of(raw, b"<!"))
    try:
        root = etree.fromstring(raw, _safe_parser())
    except etree.XMLSyntaxError as exc:
        raise DeployError(_l("XML 格式错误：%(error)s", error=exc.msg), file=name,
                          line=exc.lineno) from exc
    kind = "dmn" if name.lower().endswith(".dmn") else "bpmn"
    return _Doc(name, raw.decode("utf-8"), root, kind)


def _line_of(raw: bytes, needle: bytes) -> int | None:
    idx = raw.upper().find(needle)
    return raw[:idx].count(b"\n") + 1 if idx >= 0 else None


def _find_line(docs: list[_Doc], element_id: str | None) -> tuple[str | None, int | None]:
    if not element_id:
        return None, None
    for doc in docs:
        found = doc.root.xpath("//*[@id=$id]", id=element_id)
        if found:
            return doc.name, found[0].sourceline
    return None, None


def _refuse(docs: list[_Doc], exc: Exception) -> DeployError:
    element_id = getattr(exc, "id", None) or None
    file, line = _find_line(docs, element_id)
    file = getattr(exc, "file_name", None) or file
    line = getattr(exc, "line_number", None) or line
    reason = str(exc.args[0]) if exc.args else str(exc)
    return DeployError(
        _l("流程定义无效：%(reason)s", reason=reason),
        file=file,
        line=int(line) if line else None,
        element_id=element_id,
    )


def _known_roles() -> set[str]:
    from app.auth.models import ROLES

    return set(ROLES) | set(current_app.config.get("ERFLOW_EXTRA_LANE_ROLES", ()))


def _check_semantics(doc: _Doc) -> None:
    """Scripts compile, conditions compile, user tasks sit in a role lane and name existing
    forms."""
    for script in doc.root.iter(f"{BPMN}script", f"{SPIFF}preScript", f"{SPIFF}postScript"):
        owner = script.getparent()
        while owner is not None and owner.get("id") is None:
            owner = owner.getparent()
        _compile(doc, script.text or "", "exec", script.sourceline, owner)
    for cond in doc.root.iter(
        f"{BPMN}conditionExpression", f"{BPMN}timeDate", f"{BPMN}timeDuration", f"{BPMN}timeCycle"
    ):
        _compile(doc, (cond.text or "").strip(), "eval", cond.sourceline, cond.getparent())
    lanes: dict[str, str] = {}
    for ref in doc.root.iter(f"{BPMN}flowNodeRef"):
        lanes[(ref.text or "").strip()] = ref.getparent().get("name") or ""
    roles = _known_roles()
    for task in doc.root.iter(f"{BPMN}userTask"):
        tid = task.get("id")
        lane = lanes.get(tid)
        if not lane:
            raise DeployError(
                _l("用户任务必须位于一个角色泳道中"),
                file=doc.name,
                line=task.sourceline,
                element_id=tid,
            )
        if lane not in roles:
            raise DeployError(
                _l("泳道“%(lane)s”不是已知角色（%(roles)s）", lane=lane,
                   roles=_(", ").join(sorted(roles))),
                file=doc.name,
                line=task.sourceline,
                element_id=tid,
            )
        for prop in task.iterfind(
            "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS
        ):
            if prop.get("name") not in ("formJsonSchemaFilename", "formUiSchemaFilename"):
                continue
            value = prop.get("value") or ""
            if (
                "/" in value
                or "\\" in value
                or value.startswith(".")
                or not definitions.form_exists(value)  # DB version first, else forms/
            ):
                raise DeployError(
                    _l("表单文件“%(name)s”不存在于表单目录", name=value),
                    file=doc.name,
                    line=prop.sourceline,
                    element_id=tid,
                )


def _compile(doc: _Doc, source: str, mode: str, line: int | None, owner) -> None:
    if not source:
        return
    try:
        compile(source, f"<{doc.name}>", mode)
    except SyntaxError as exc:
        offset = (exc.lineno or 1) - 1
        raise DeployError(
            _l("脚本/表达式无法编译：%(error)s", error=exc.msg),
            file=doc.name,
            line=(line or 0) + offset or None,
            element_id=owner.get("id") if owner is not None else None,
        ) from exc


def _called_elements(doc: _Doc) -> list[tuple[str, int]]:
    return [
        (n.get("calledElement") or "", n.sourceline) for n in doc.root.iter(f"{BPMN}callActivity")
    ]


def _decision_refs(doc: _Doc) -> set[str]:
    refs = set()
    for node in doc.root.iter(f"{BPMN}businessRuleTask"):
        for ref in node.iterfind("bpmn:extensionElements/spiffworkflow:calledDecisionId", NS):
            refs.add((ref.text or "").strip())
    return refs


def _process_ids(doc: _Doc) -> list[tuple[str, str, bool]]:
    return [
        (p.get("id"), p.get("name") or p.get("id"), p.get("isExecutable") != "false")
        for p in doc.root.iter(f"{BPMN}process")
    ]


def latest(key: str) -> ProcessVersion | None:
    return db.session.scalar(
        select(ProcessVersion)
        .where(ProcessVersion.key == key)
        .order_by(ProcessVersion.version.desc())
        .limit(1)
    )


def deploy_files(
    files: dict[str, str | bytes],
    *,
    actor_id: int | None,
    comment: str | None,
    dry_run: bool = False,
) -> list[VersionInfo]:
    """Parse and check every file, then store a version for each process whose content changed.
    With `dry_run`, run every check and store nothing (the modeler's "validate")."""
    if not files:
        raise DeployError(_l("没有可部署的文件"))
    docs = []
    for name, content in sorted(files.items()):
        if not name.lower().endswith((".bpmn", ".dmn")):
            raise DeployError(_l("只接受 .bpmn 与 .dmn 文件"), file=name)
        docs.append(parse_xml(Path(name).name, content))
    bpmn_docs = [d for d in docs if d.kind == "bpmn"]
    defined = {pid: d for d in bpmn_docs for pid, _, _ in _process_ids(d)}
    for doc in bpmn_docs:  # our checks that need no parser, each naming its element
        validation.check_user_task_forms(doc)
        validation.check_called_processes(
            doc, exists=lambda key: key in defined or latest(key) is not None
        )
    # A call activity may name a process deployed earlier: parse its stored XML alongside.
    extra: list[_Doc] = []
    for doc in bpmn_docs:
        for called, line in _called_elements(doc):
            if called in defined:
                continue
            row = latest(called)
            if row is None:
                raise DeployError(_l("调用的流程“%(key)s”不存在", key=called), file=doc.name,
                                  line=line)
            stored = parse_xml(f"{called}.bpmn", row.bpmn_xml)
            extra.append(stored)
            defined[called] = stored
            docs.extend(parse_xml(n, x) for n, x in (row.dmn_xml or {}).items() if n not in files)
    parser = SpiffBpmnParser(validator=VALIDATOR)
    all_docs = docs + extra
    try:
        for doc in all_docs:
            if doc.kind == "dmn":
                parser.add_dmn_xml(doc.root, filename=doc.name)
        for doc in [d for d in all_docs if d.kind == "bpmn"]:
            parser.add_bpmn_xml(doc.root, filename=doc.name)
    except (ValidationException, SpiffWorkflowException, etree.LxmlError) as exc:
        raise _refuse(all_docs, exc) from exc
    for doc in bpmn_docs:
        _check_semantics(doc)
    dmn_by_decision = {}
    for doc in all_docs:
        if doc.kind == "dmn":
            for dec in doc.root.iter("{*}decision"):
                dmn_by_decision[dec.get("id")] = doc
    for doc in bpmn_docs:
        validation.check_decisions(doc, known=dmn_by_decision)
        validation.check_timers(doc)
        validation.check_reachability(doc)

    planned = []
    for doc in bpmn_docs:
        for pid, name, executable in _process_ids(doc):
            if not executable:
                continue
            try:
                spec = parser.get_spec(pid)
                subs = parser.get_subprocess_specs(pid)
            except (ValidationException, SpiffWorkflowException) as exc:
                raise _refuse(all_docs, exc) from exc
            sub_docs = sorted(
                {defined[s].name: defined[s] for s in subs if s in defined}.values(),
                key=lambda d: d.name,
            )
            used = [doc] + [d for d in sub_docs if d is not doc]
            dmn_docs = {}
            for d in used:
                for ref in _decision_refs(d):
                    if ref not in dmn_by_decision:
                        raise DeployError(_l("业务规则引用的决策“%(id)s”不存在", id=ref),
                                          file=d.name)
                    dmn_docs[dmn_by_decision[ref].name] = dmn_by_decision[ref].text
            # a table a process's hooks evaluate (not referenced by a business-rule task) travels
            # with that process when its file is named <process key>_*.dmn (e.g. R11's
            # allocation_level.dmn), so editing it deploys a new version of the process
            for d in all_docs:
                if d.kind == "dmn" and d.name.startswith(f"{pid}_") and d.name not in dmn_docs:
                    dmn_docs[d.name] = d.text
            digest = hashlib.sha256()
            for d in used:
                digest.update(d.name.encode() + b"\0" + d.text.encode() + b"\0")
            for n in sorted(dmn_docs):
                digest.update(n.encode() + b"\0" + dmn_docs[n].encode() + b"\0")
            planned.append((pid, name, doc, spec, subs, dmn_docs, digest.hexdigest()))

    results = []
    now = clock.now()
    for pid, name, doc, spec, subs, dmn_docs, content_hash in planned:
        row = latest(pid)
        if row is not None and row.content_hash == content_hash:
            results.append(_info(row, changed=False))
            continue
        if dry_run:
            number = (row.version if row is not None else 0) + 1
            results.append(VersionInfo(key=pid, version=number, name=name,
                                       content_hash=content_hash, deployed_at=now, changed=True))
            continue
        number = (
            db.session.scalar(
                select(func.max(ProcessVersion.version)).where(ProcessVersion.key == pid)
            )
            or 0
        ) + 1
        row = ProcessVersion(
            key=pid,
            version=number,
            name=name,
            bpmn_xml=doc.text,
            dmn_xml=dmn_docs,
            content_hash=content_hash,
            spec_json=dump_spec(spec, subs),
            deployed_at=now,
            deployed_by=actor_id,
            comment=comment,
        )
        db.session.add(row)
        db.session.flush()
        results.append(_info(row, changed=True))
    return results


def _info(row: ProcessVersion, *, changed: bool) -> VersionInfo:
    return VersionInfo(
        key=row.key,
        version=row.version,
        name=row.name,
        content_hash=row.content_hash,
        deployed_at=row.deployed_at,
        changed=changed,
        id=row.id,
    )
