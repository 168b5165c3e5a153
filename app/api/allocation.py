"""API routes: allocation — fee notices and their payment (R15, R16), attachments to an
instance such as an objection's evidence (R12)."""
from __future__ import annotations

import base64
import binascii

from flask import jsonify, request, send_file, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.allocation import attachments
from app.allocation import services as allocation
from app.api import bp
from app.api.admin import page_args
from app.api.auth import load_body
from app.api.schemas.allocation import (
    AttachmentSchema,
    AttachmentUploadSchema,
    FeeNoticePageSchema,
    FeeNoticeSchema,
    PaymentRequestSchema,
)
from app.auth.access import actor, api_auth
from app.auth.models import Enterprise
from app.common import clock
from app.errors import BadRequest, Conflict, Forbidden, ValidationFailed
from app.extensions import db
from app.inbox import services as inbox
from app.ledger.models import FeeNotice


def notice_out(notice: FeeNotice) -> dict:
    enterprise = db.session.get(Enterprise, notice.enterprise_id)
    return {
        **{c: getattr(notice, c) for c in (
            "id", "number", "instance_id", "enterprise_id", "region_code", "bureau_name",
            "valid_from", "valid_to", "lines", "finalised_at", "issue_due_at", "issued_at",
            "due_at", "status", "paid_at", "payment_reference")},
        "amount": str(notice.amount),
        "enterprise_name": enterprise.name if enterprise else None,
        "overdue": notice.status == "unpaid" and notice.due_at <= clock.now(),
        "print_url": url_for("allocation.fee_notice", notice_id=notice.id),
    }


@bp.get("/fee-notices")
@api_auth()
def list_fee_notices():
    """Payment notices (缴款核定通知单) the caller may see, newest first (R15).
    ---
    get:
      tags: [allocation]
      parameters:
        - {name: enterprise_id, in: query, schema: {type: integer}}
        - {name: status, in: query, schema: {type: string, enum: [unpaid, paid]}}
        - {name: page, in: query, schema: {type: integer, default: 1}}
        - {name: per_page, in: query, schema: {type: integer, default: 50, maximum: 200}}
      responses:
        200: {content: {application/json: {schema: FeeNoticePageSchema}}}
        400: {description: bad enterprise_id or paging}
        401: {description: no valid token}
        403: {description: an enterprise user asking for another unit}
    """
    raw = request.args.get("enterprise_id")
    try:
        enterprise_id = int(raw) if raw not in (None, "") else None
    except ValueError as exc:
        raise BadRequest(_l("enterprise_id 应为整数")) from exc
    status = request.args.get("status") or None
    if status not in (None, "unpaid", "paid"):
        raise ValidationFailed(_l("status 有误"), fields={"status": [_l("应为 unpaid 或 paid")]})
    page, per_page = page_args()
    query = allocation.notices_query(user=actor(), enterprise_id=enterprise_id, status=status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    body = {"items": [notice_out(n) for n in rows], "total": total, "page": page,
            "per_page": per_page}
    return jsonify(FeeNoticePageSchema().dump(body))


@bp.get("/fee-notices/<int:notice_id>")
@api_auth()
def get_fee_notice(notice_id: int):
    """One payment notice with its lines per pollutant (R15).
    ---
    get:
      tags: [allocation]
      parameters: [{name: notice_id, in: path, required: true, schema: {type: integer}}]
      responses:
        200: {content: {application/json: {schema: FeeNoticeSchema}}}
        401: {description: no valid token}
        404: {description: no such notice within the caller's reach}
    """
    notice = allocation.get_notice(user=actor(), notice_id=notice_id)
    return jsonify(FeeNoticeSchema().dump(notice_out(notice)))


@bp.post("/fee-notices/<int:notice_id>/payment")
@api_auth("handler", "approver", "admin")
def confirm_fee_payment(notice_id: int):
    """Confirm that the unit paid a notice (the issuing bureau, R15); lifts the R16 block.
    ---
    post:
      tags: [allocation]
      parameters: [{name: notice_id, in: path, required: true, schema: {type: integer}}]
      requestBody: {content: {application/json: {schema: PaymentRequestSchema}}}
      responses:
        200: {content: {application/json: {schema: FeeNoticeSchema}}}
        401: {description: no valid token}
        403: {description: not the issuing bureau}
        404: {description: no such notice within the caller's reach}
        409: {description: already paid}
        422: {description: bad paid_at or reference}
    """
    allocation.get_notice(user=actor(), notice_id=notice_id)  # R7 before the body is read
    body = load_body(PaymentRequestSchema()) if request.get_data() else {}
    notice = allocation.confirm_payment(
        user=actor(), notice_id=notice_id, paid_at=body.get("paid_at"),
        reference=body.get("reference"),
    )
    db.session.commit()
    return jsonify(FeeNoticeSchema().dump(notice_out(notice)))


def _upload() -> tuple[str, bytes]:
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed(_l("缺少附件"), fields={"file": [_l("请以 file 字段上传附件")]})
        return upload.filename or "", upload.read()
    body = load_body(AttachmentUploadSchema())
    try:
        content = base64.b64decode(body["content_base64"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed(
            _l("附件内容有误"), fields={"content_base64": [_l("不是有效的 base64")]}
        ) from exc
    return body["filename"], content


@bp.post("/instances/<int:instance_id>/attachments")
@api_auth()
def upload_attachment(instance_id: int):
    """Attach a file to an instance, e.g. the evidence of an objection (R12); then name its id
    in the objection: `POST /instances/{id}/messages/objection`
    `{"data":{"reason","attachments":[id]}}`.
    Send `multipart/form-data` with a `file` part, or JSON `{"filename","content_base64"}`.
    Accepted: pdf, ofd, png, jpg, doc(x), xls(x), txt up to ERFLOW_UPLOAD_MAX_BYTES (10 MB).
    ---
    post:
      tags: [allocation]
      parameters: [{name: instance_id, in: path, required: true, schema: {type: integer}}]
      requestBody:
        content:
          application/json: {schema: AttachmentUploadSchema}
          multipart/form-data:
            schema: {type: object, properties: {file: {type: string, format: binary}}}
      responses:
        201: {content: {application/json: {schema: AttachmentSchema}}}
        401: {description: no valid token}
        403: {description: neither the applicant unit nor its bureau}
        404: {description: no such instance within the caller's reach}
        409: {description: the instance has ended}
        422: {description: "type, size or content refused (`fields.file`)"}
    """
    user = actor()
    inst = inbox.get_instance(user=user, instance_id=instance_id)
    own_unit = user.has_role("enterprise") and inst.enterprise_id == user.enterprise_id
    if not (own_unit or user.has_role("handler", "reviewer", "approver", "admin")):
        raise Forbidden(_l("您无权向该件上传附件"))
    if inst.status != "running":
        raise Conflict(_l("流程实例已结束，不能再上传附件"))
    filename, content = _upload()
    row = attachments.store(instance_id=inst.id, filename=filename, content=content,
                            uploaded_by=user.id)
    db.session.commit()
    return jsonify(AttachmentSchema().dump(row)), 201


@bp.get("/attachments/<int:attachment_id>")
@api_auth()
def download_attachment(attachment_id: int):
    """Download an attachment (those who may see its instance).
    ---
    get:
      tags: [allocation]
      parameters: [{name: attachment_id, in: path, required: true, schema: {type: integer}}]
      responses:
        200: {content: {application/octet-stream: {schema: {type: string, format: binary}}}}
        401: {description: no valid token}
        404: {description: no such attachment within the caller's reach}
    """
    row = attachments.get(attachment_id)
    inbox.get_instance(user=actor(), instance_id=row.instance_id)  # 404 outside the reach
    return send_file(attachments.path_of(row), mimetype=row.content_type, as_attachment=True,
                     download_name=row.filename)
