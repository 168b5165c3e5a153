"""Definitions administrators edit in the browser: process drafts, forms stored in the DB (newest
version wins over the file in forms/), and the current DMN files. Nothing here imports
SpiffWorkflow."""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import cache
from pathlib import Path

from flask import current_app, g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import Index, Integer, String, Text, UniqueConstraint, bindparam, func, select
from sqlalchemy.orm import Mapped, mapped_column

from app.common import clock
from app.common.types import UTCDateTime
from app.errors import NotFound, ValidationFailed
from app.extensions import db

FORM_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,80}\.(schema|ui)\.json$")
__all__ = ["FormDefinition", "ProcessDraft"]

DMN_FILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]{0,80}\.dmn$")


class ProcessDraft(db.Model):
    """A diagram saved from the modeler but not deployed (nothing runs from a draft)."""

    __tablename__ = "process_draft"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(100), nullable=False)
    xml: Mapped[str] = mapped_column(Text, nullable=False)
    author_id: Mapped[int | None] = mapped_column(Integer)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    comment: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (Index("ix_process_draft_key", "key", "saved_at"),)


class FormDefinition(db.Model):
    """One saved version of one form file (`<key>.schema.json` or `<key>.ui.json`)."""

    __tablename__ = "form_definition"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    filename: Mapped[str] = mapped_column(String(100), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    author_id: Mapped[int | None] = mapped_column(Integer)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    comment: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        UniqueConstraint("filename", "version", name="uq_form_definition_filename_version"),
    )


# -- forms ---------------------------------------------------------------------------------------


def _forms_dir() -> Path:
    return Path(current_app.config["ERFLOW_FORMS_DIR"])


def safe_form_file(filename: str | None) -> bool:
    return bool(filename) and bool(FORM_FILE.match(filename))


@cache  # built once: a hot path (docs/operations.md, "Load")
def _latest_form_statement():
    return (select(FormDefinition.content)
            .where(FormDefinition.filename == bindparam("filename"))
            .order_by(FormDefinition.version.desc())
            .limit(1))


def _latest_form_text(filename: str) -> str | None:
    return db.session.scalar(_latest_form_statement(), {"filename": filename})


def form_text(filename: str) -> str | None:
    """The current text of a form file: its newest DB version, else the file in forms/. Read
    once per request (a completion reads its form to validate the data and again to tell whether
    the step decides something); `save_form_file` forgets what this request read."""
    if not safe_form_file(filename):
        return None
    memo = g.setdefault("_form_texts", {}) if has_request_context() else {}
    if filename not in memo:
        memo[filename] = _stored_or_file(filename, _latest_form_text(filename))
    return memo[filename]


def _stored_or_file(filename: str, stored: str | None) -> str | None:
    if stored is not None:
        return stored
    path = _forms_dir() / filename
    return path.read_text(encoding="utf-8") if path.is_file() else None


def remember_form_text(filename: str, stored: str | None) -> None:
    """This request read the form's newest stored text (None: no stored version) with another
    query — a completion reads it with its task — so form_text need not read it again."""
    if has_request_context() and safe_form_file(filename):
        g.setdefault("_form_texts", {})[filename] = _stored_or_file(filename, stored)


def form_exists(filename: str | None) -> bool:
    """Whether a form file exists (DB or forms/); deploy checks user tasks with this."""
    return bool(filename) and form_text(filename) is not None


def form_files() -> list[str]:
    """Every form file name known, on disk or in the DB, sorted."""
    names = {p.name for p in _forms_dir().glob("*.json") if safe_form_file(p.name)}
    names |= set(db.session.scalars(select(FormDefinition.filename).distinct()))
    return sorted(names)


def form_history(filename: str) -> list[FormDefinition]:
    return list(
        db.session.scalars(
            select(FormDefinition)
            .where(FormDefinition.filename == filename)
            .order_by(FormDefinition.version.desc())
        )
    )


def save_form_file(
    *, filename: str, content: dict, author_id: int | None, comment: str | None
) -> FormDefinition:
    """Store a new version of a form file; the inbox and deploy read it from now on."""
    if not safe_form_file(filename):
        raise ValidationFailed(_l("表单文件名无效"), fields={"filename": [_l("表单文件名无效")]})
    text = json.dumps(content, ensure_ascii=False, indent=2) + "\n"
    number = (
        db.session.scalar(
            select(func.max(FormDefinition.version)).where(FormDefinition.filename == filename)
        )
        or 0
    ) + 1
    row = FormDefinition(
        filename=filename,
        version=number,
        content=text,
        author_id=author_id,
        saved_at=clock.now(),
        comment=(comment or "")[:500] or None,
    )
    db.session.add(row)
    db.session.flush()
    if has_request_context():
        g.pop("_form_texts", None)
    return row


# -- drafts --------------------------------------------------------------------------------------


def save_draft(*, key: str, xml: str, author_id: int | None, comment: str | None) -> ProcessDraft:
    """Keep the modeler's work without deploying it."""
    row = ProcessDraft(
        key=key,
        xml=xml,
        author_id=author_id,
        saved_at=clock.now(),
        comment=(comment or "")[:500] or None,
    )
    db.session.add(row)
    db.session.flush()
    return row


def latest_draft(key: str) -> ProcessDraft | None:
    return db.session.scalar(
        select(ProcessDraft)
        .where(ProcessDraft.key == key)
        .order_by(ProcessDraft.saved_at.desc(), ProcessDraft.id.desc())
        .limit(1)
    )


def get_draft(draft_id: int) -> ProcessDraft:
    row = db.session.get(ProcessDraft, draft_id)
    if row is None:
        raise NotFound(_l("草稿不存在"))
    return row
