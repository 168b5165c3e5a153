"""Versions as administrators see them: who deployed which version when and why, how many
instances run on each, the element-level difference between two versions, deploying a process
edited in the modeler (with the DMN it uses), rolling back, and deploying an edited DMN file as new
versions of every process that uses it. Nothing here imports SpiffWorkflow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from lxml import etree
from sqlalchemy import func, select

from app.engine.deploy import deploy_files, latest, parse_xml
from app.engine.errors import DeployError
from app.engine.models import ProcessInstance, ProcessVersion
from app.engine.types import VersionInfo
from app.errors import NotFound, ValidationFailed
from app.extensions import db

BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"


@dataclass(frozen=True)
class VersionSummary:
    key: str
    version: int
    name: str
    deployed_at: datetime
    deployed_by: int | None
    comment: str | None
    running: int  # instances running (or stopped by an incident) on this version
    total: int
    dmn_files: list[str]


@dataclass(frozen=True)
class VersionDiff:
    key: str
    base: int
    other: int
    added: list[str]
    removed: list[str]
    changed: list[str]


def version_row(key: str, number: int) -> ProcessVersion:
    row = db.session.scalar(
        select(ProcessVersion).where(ProcessVersion.key == key, ProcessVersion.version == number)
    )
    if row is None:
        raise NotFound(_l("流程“%(key)s”没有第 %(number)s 版", key=key, number=number))
    return row


def process_keys() -> list[tuple[str, str, int]]:
    """(key, name, latest version) of every deployed process."""
    newest = (
        select(ProcessVersion.key, func.max(ProcessVersion.version).label("v"))
        .group_by(ProcessVersion.key)
        .subquery()
    )
    rows = db.session.execute(
        select(ProcessVersion.key, ProcessVersion.name, ProcessVersion.version)
        .join(newest, (newest.c.key == ProcessVersion.key) & (newest.c.v == ProcessVersion.version))
        .order_by(ProcessVersion.key)
    ).all()
    return [(r.key, r.name, r.version) for r in rows]


def version_list(key: str) -> list[VersionSummary]:
    """Every version of `key`, newest first, with its instance counts."""
    rows = db.session.scalars(
        select(ProcessVersion).where(ProcessVersion.key == key).order_by(
            ProcessVersion.version.desc()
        )
    ).all()
    if not rows:
        raise NotFound(_l("流程“%(key)s”尚未部署", key=key))
    counts: dict[tuple[int, str], int] = {}
    for version_id, status, n in db.session.execute(
        select(ProcessInstance.version_id, ProcessInstance.status, func.count())
        .where(ProcessInstance.key == key)
        .group_by(ProcessInstance.version_id, ProcessInstance.status)
    ):
        counts[(version_id, status)] = n
    out = []
    for row in rows:
        mine = {s: n for (vid, s), n in counts.items() if vid == row.id}
        out.append(
            VersionSummary(
                key=row.key,
                version=row.version,
                name=row.name,
                deployed_at=row.deployed_at,
                deployed_by=row.deployed_by,
                comment=row.comment,
                running=mine.get("running", 0) + mine.get("incident", 0),
                total=sum(mine.values()),
                dmn_files=sorted(row.dmn_xml or {}),
            )
        )
    return out


def _elements(xml: str) -> dict[str, bytes]:
    """Each element with an id (diagram layout left out) as canonical XML, its own id-bearing
    descendants replaced by their ids, so a change is reported on the element that changed."""
    root = etree.fromstring(xml.encode("utf-8"), etree.XMLParser(resolve_entities=False))
    out: dict[str, bytes] = {}
    for node in root.iter():
        ident = node.get("id") if isinstance(node.tag, str) else None
        if not ident or node.tag.startswith(f"{{{BPMNDI}}}"):
            continue
        copy = etree.fromstring(etree.tostring(node))
        for child in list(copy.iter()):
            if child is copy or not isinstance(child.tag, str) or not child.get("id"):
                continue
            parent = child.getparent()
            if parent is not None:
                ref = etree.Element("ref")
                ref.text = child.get("id")
                parent.replace(child, ref)
        for comment in copy.xpath("//comment()"):
            comment.getparent().remove(comment)
        out[ident] = etree.tostring(copy, method="c14n")
    return out


def diff_versions(key: str, base: int, other: int) -> VersionDiff:
    """Element ids added, removed and changed going from version `base` to version `other`."""
    old = _elements(version_row(key, base).bpmn_xml)
    new = _elements(version_row(key, other).bpmn_xml)
    return VersionDiff(
        key=key,
        base=base,
        other=other,
        added=sorted(set(new) - set(old)),
        removed=sorted(set(old) - set(new)),
        changed=sorted(i for i in set(old) & set(new) if old[i] != new[i]),
    )


def current_dmn_files() -> dict[str, str]:
    """Every DMN file as most recently deployed with any process (file name → XML)."""
    files: dict[str, tuple[int, str]] = {}
    for key, _, number in process_keys():
        row = version_row(key, number)
        for name, xml in (row.dmn_xml or {}).items():
            if name not in files or files[name][0] < row.id:  # deploy order, not the clock
                files[name] = (row.id, xml)
    return {name: xml for name, (_, xml) in sorted(files.items())}


def dmn_users(name: str) -> list[str]:
    """Keys of processes whose latest version uses the DMN file `name` (through a business-rule
    task, or as `<key>_*.dmn` evaluated by the process's hooks)."""
    return [
        k for k, _, n in process_keys()
        if name in (version_row(k, n).dmn_xml or {}) or name.startswith(f"{k}_")
    ]


def _process_files(key: str, xml: str | bytes, dmn: dict[str, str] | None = None) -> dict:
    files: dict[str, str | bytes] = dict(current_dmn_files())
    files.update(dmn or {})
    files[f"{key}.bpmn"] = xml
    return files


def _mine(key: str, versions: list[VersionInfo]) -> VersionInfo:
    found = [v for v in versions if v.key == key]
    if not found:
        raise ValidationFailed(
            _l("图中没有可执行的流程“%(key)s”", key=key),
            fields={"key": [_l("流程 id 必须为“%(key)s”", key=key)]},
        )
    return found[0]


def check_xml(name: str, xml: str | bytes) -> None:
    """Refuse (DeployError 422) a file that is not well-formed, safe XML; drafts need no more."""
    parse_xml(name, xml)


def validate_process(key: str, xml: str | bytes) -> VersionInfo:
    """Run every deploy check on an edited diagram and store nothing (DeployError when invalid)."""
    return _mine(key, deploy_files(_process_files(key, xml), actor_id=None, comment=None,
                                   dry_run=True))


def deploy_process(
    key: str, xml: str | bytes, *, actor_id: int | None, comment: str | None
) -> VersionInfo:
    """Deploy an edited diagram as a new version of `key` with the DMN files it uses; running
    instances stay on their versions."""
    if not (comment or "").strip():
        raise ValidationFailed(_l("请填写部署原因"), fields={"comment": [_l("请填写部署原因")]})
    return _mine(key, deploy_files(_process_files(key, xml), actor_id=actor_id,
                                   comment=comment.strip()[:500]))


def rollback(key: str, number: int, *, actor_id: int | None, comment: str | None) -> VersionInfo:
    """Deploy an old version's XML (and its DMN) anew as the newest version."""
    row = version_row(key, number)
    reason = (comment or "").strip() or f"回退到第 {number} 版"
    files = _process_files(key, row.bpmn_xml, dict(row.dmn_xml or {}))
    return _mine(key, deploy_files(files, actor_id=actor_id, comment=reason[:500]))


def deploy_decision(
    name: str, xml: str | bytes, *, actor_id: int | None, comment: str | None
) -> list[VersionInfo]:
    """Deploy an edited DMN file: every process that uses it gets a new version (new instances
    decide with the new table; running ones keep theirs)."""
    if not name.endswith(".dmn") or "/" in name or name.startswith("."):
        raise ValidationFailed(_l("决策文件名无效"), fields={"name": [_l("决策文件名无效")]})
    parse_xml(name, xml)  # a malformed file is refused before anything else
    users = dmn_users(name)
    if not users:
        raise DeployError(_l("没有流程使用该决策文件"), file=name)
    if not (comment or "").strip():
        raise ValidationFailed(_l("请填写部署原因"), fields={"comment": [_l("请填写部署原因")]})
    files: dict[str, str | bytes] = dict(current_dmn_files())
    files[name] = xml
    for key in users:
        files[f"{key}.bpmn"] = latest(key).bpmn_xml
    return [
        v for v in deploy_files(files, actor_id=actor_id, comment=comment.strip()[:500])
        if v.key in users
    ]
