"""Files attached to an instance — an objection's evidence (R12): stored under
ERFLOW_UPLOAD_DIR/<instance id>/ with size and type limits, SHA-256 and uploader recorded."""
from __future__ import annotations

import hashlib
import os
import re
import uuid
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.allocation.models import Attachment
from app.common import clock
from app.errors import NotFound, ValidationFailed
from app.extensions import db

# Evidence a unit sends with an objection: documents, scans and spreadsheets.
ALLOWED_TYPES = {
    ".pdf": "application/pdf",
    ".ofd": "application/ofd",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".txt": "text/plain",
}
# Magic numbers of the binary types, so a renamed executable is not accepted as a PDF.
_MAGIC = {
    ".pdf": (b"%PDF",),
    ".png": (b"\x89PNG",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".docx": (b"PK",),
    ".xlsx": (b"PK",),
    ".ofd": (b"PK",),
    ".doc": (b"\xd0\xcf\x11\xe0",),
    ".xls": (b"\xd0\xcf\x11\xe0",),
}
MAX_FILES_PER_INSTANCE = 20


def _clean_name(filename: str) -> str:
    name = os.path.basename((filename or "").replace("\\", "/")).strip()
    name = re.sub(r"[\x00-\x1f<>:\"/\\|?*]", "_", name)
    return name[-200:]


def instance_folder(instance_id: int) -> Path:
    return Path(current_app.config["ERFLOW_UPLOAD_DIR"]) / str(int(instance_id))


def store(
    *, instance_id: int, filename: str, content: bytes, uploaded_by: int | None,
    purpose: str = "objection",
) -> Attachment:
    """Check and store one file (type by extension and content, size limit), record its hash."""
    name = _clean_name(filename)
    ext = Path(name).suffix.lower()
    limit = int(current_app.config.get("ERFLOW_UPLOAD_MAX_BYTES", 10 * 1024 * 1024))
    if not name or ext not in ALLOWED_TYPES:
        allowed = _(", ").join(sorted(ALLOWED_TYPES))
        raise ValidationFailed(_l("不支持的附件类型"),
                               fields={"file": [_l("仅接受 %(types)s 文件", types=allowed)]})
    if not content:
        raise ValidationFailed(_l("附件为空"), fields={"file": [_l("附件内容为空")]})
    if len(content) > limit:
        raise ValidationFailed(
            _l("附件过大"),
            fields={"file": [_l("单个附件不得超过 %(mb)s MB", mb=limit // 1024 // 1024)]},
        )
    magic = _MAGIC.get(ext)
    if magic and not content.startswith(magic):
        raise ValidationFailed(_l("附件内容与类型不符"),
                               fields={"file": [_l("文件内容不是 %(ext)s 格式", ext=ext)]})
    count = len(db.session.scalars(
        select(Attachment.id).where(Attachment.instance_id == instance_id)).all())
    if count >= MAX_FILES_PER_INSTANCE:
        raise ValidationFailed(
            _l("附件过多"),
            fields={"file": [_l("每件最多上传 %(n)s 个附件", n=MAX_FILES_PER_INSTANCE)]},
        )
    digest = hashlib.sha256(content).hexdigest()
    stored = f"{uuid.uuid4().hex}{ext}"
    folder = instance_folder(instance_id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / stored).write_bytes(content)
    row = Attachment(
        instance_id=instance_id, purpose=purpose, filename=name,
        content_type=ALLOWED_TYPES[ext], size=len(content), sha256=digest, stored_name=stored,
        uploaded_by=uploaded_by, uploaded_at=clock.now(),
    )
    db.session.add(row)
    db.session.flush()
    return row


def get(attachment_id: int) -> Attachment:
    row = db.session.get(Attachment, attachment_id)
    if row is None:
        raise NotFound(_l("附件不存在"))
    return row


def path_of(row: Attachment) -> Path:
    return instance_folder(row.instance_id) / row.stored_name


def of_instance(*, instance_id: int, ids: list) -> list[Attachment]:
    """The instance's attachments with these ids (422 naming any that are not its own)."""
    wanted: list[int] = []
    for raw in ids:
        try:
            wanted.append(int(raw))
        except (TypeError, ValueError):
            raise ValidationFailed(
                _l("附件编号有误"), fields={"attachments": [_l("附件编号有误：%(id)s", id=raw)]}
            ) from None
    rows = {a.id: a for a in db.session.scalars(
        select(Attachment).where(Attachment.id.in_(wanted), Attachment.instance_id == instance_id)
    )} if wanted else {}
    unknown = [str(i) for i in wanted if i not in rows]
    if unknown:
        message = _l("附件不存在或不属于本件：%(ids)s", ids=", ".join(unknown))
        raise ValidationFailed(_l("附件不属于本件"), fields={"attachments": [message]})
    return [rows[i] for i in dict.fromkeys(wanted)]


def describe(row: Attachment) -> dict:
    return {
        "id": row.id, "filename": row.filename, "content_type": row.content_type,
        "size": row.size, "sha256": row.sha256,
    }
