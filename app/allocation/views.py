"""Pages of the allocation area: fee notices (缴款核定通知单) to read and print, the bureau's
payment confirmation (R15, R16), and the unit's objection form (申请复核, R12, R13)."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.allocation import attachments, services
from app.auth.access import actor, page_auth
from app.auth.models import Enterprise
from app.common import clock
from app.errors import Conflict, Forbidden, NotFound, RuleViolation, ValidationFailed
from app.extensions import db
from app.public import pdf

bp = Blueprint("allocation", __name__, template_folder="templates", url_prefix="/allocation")


@bp.get("/fee-notices")
@page_auth()
def fee_notices():
    user = actor()
    query = services.notices_query(user=user).limit(200)
    notices = db.session.scalars(query).all()
    ids = {n.enterprise_id for n in notices}
    names = dict(db.session.execute(
        select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(ids))).all()) if ids else {}
    return render_template("allocation/fee_notices.html", notices=notices, names=names,
                           now=clock.now())


@bp.get("/fee-notices/<int:notice_id>", defaults={"as_pdf": False})
@bp.get("/fee-notices/<int:notice_id>.pdf", defaults={"as_pdf": True}, endpoint="fee_notice_pdf")
@page_auth()
def fee_notice(notice_id: int, as_pdf: bool):
    """The printable notice: bureau, document number, unit, lines, amount and deadline (as a page
    or a PDF, R7 either way)."""
    notice = services.get_notice(user=actor(), notice_id=notice_id)
    enterprise = db.session.get(Enterprise, notice.enterprise_id)
    return pdf.document("allocation/fee_notice.html", as_pdf=as_pdf, filename=notice.number,
                        notice=notice, enterprise=enterprise, now=clock.now(),
                        may_confirm=_may_confirm(notice))


def _may_confirm(notice) -> bool:
    from app.auth.access import in_jurisdiction

    user = actor()
    if notice.status != "unpaid":
        return False
    return (user.has_role("handler", "approver") and in_jurisdiction(user, notice.region_code)) \
        or (user.has_role("admin") and user.region_code is None)


@bp.post("/fee-notices/<int:notice_id>/payment")
@page_auth("handler", "approver", "admin")
def confirm_payment(notice_id: int):
    reference = (request.form.get("reference") or "").strip()[:100] or None
    paid_on = (request.form.get("paid_on") or "").strip()
    try:
        paid_at = None
        if paid_on:
            day = datetime.strptime(paid_on, "%Y-%m-%d")
            paid_at = min(clock.now(), day.replace(hour=12, tzinfo=clock.SHANGHAI))
        services.confirm_payment(user=actor(), notice_id=notice_id, paid_at=paid_at,
                                 reference=reference)
        db.session.commit()
        flash(_("Payment confirmed."), "success")
    except ValueError:
        flash(_("The payment date is not valid."), "warning")
    except (Conflict, Forbidden, ValidationFailed) as exc:
        db.session.rollback()
        flash(exc.localized(), "warning")
    return redirect(url_for("allocation.fee_notice", notice_id=notice_id))


# -- the unit's objection (R12, R13) ------------------------------------------------------------

REASON_MAX = 2000  # as the diagram's receive_objection accepts


def _own_allocation(instance_id: int):
    """The allocation of the signed-in unit (404 for anything else, R7)."""
    from app.inbox import services as inbox

    user = actor()
    inst = inbox.get_instance(user=user, instance_id=instance_id)
    if inst.key != services.PROCESS_KEY or inst.enterprise_id != user.enterprise_id:
        raise NotFound(_l("核定事项不存在"))
    return inst


def _refusal(inst) -> str | None:
    """Why no objection is taken now (R12: window closed with its time, or already filed)."""
    from app.enterprise_portal.queries import objection_state

    if inst.status == "running" and objection_state(inst, clock.now())["objection_open"]:
        return None
    if inst.status != "running":
        return _("This allocation is final; objections are no longer taken.")
    rule, message = services.refuse_message("objection", inst.summary or {}) or (None, "")
    return _("%(message)s（%(rule)s）", message=message, rule=rule) if rule else str(message)


def _render_objection(inst, *, reason="", errors=None, refusal=None, show_form=True, status=200):
    limit = int(current_app.config.get("ERFLOW_UPLOAD_MAX_BYTES", 10 * 1024 * 1024))
    summary = inst.summary or {}
    closes = summary.get("window_closes_at")
    return render_template(
        "allocation/objection.html", inst=inst, summary=summary, reason=reason,
        errors=errors or {}, refusal=refusal, show_form=show_form, reason_max=REASON_MAX,
        window_closes_at=datetime.fromisoformat(closes) if closes else None,
        enterprise=db.session.get(Enterprise, inst.enterprise_id),
        types=_(", ").join(ext.lstrip(".") for ext in attachments.ALLOWED_TYPES),
        accept=",".join(attachments.ALLOWED_TYPES), limit_mb=limit // 1024 // 1024,
        max_files=attachments.MAX_FILES_PER_INSTANCE,
    ), status


@bp.route("/instances/<int:instance_id>/objection", methods=["GET", "POST"])
@page_auth("enterprise")
def objection(instance_id: int):
    """R12: during the publication window the unit files one objection with its reasons and
    evidence; it is delivered as the `objection` message through the same service as
    `POST /api/v1/instances/{id}/messages/objection`. Afterwards the engine refuses it and the
    page says why (R12, with the closing time), keeping what the unit typed."""
    from app.inbox import services as inbox

    inst = _own_allocation(instance_id)
    if request.method == "GET":
        refusal = _refusal(inst)
        return _render_objection(inst, refusal=refusal, show_form=refusal is None)
    reason = (request.form.get("reason") or "").strip()
    uploads = [f for f in request.files.getlist("files") if f and f.filename]
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Please give the reasons for your objection.")]
    elif len(reason) > REASON_MAX:
        errors["reason"] = [_("Enter at most %(n)s characters.", n=REASON_MAX)]
    if errors:
        return _render_objection(inst, reason=reason, errors=errors, refusal=_refusal(inst),
                                 status=422)
    written = []
    try:
        ids = []
        for upload in uploads:
            row = attachments.store(instance_id=inst.id, filename=upload.filename or "",
                                    content=upload.read(), uploaded_by=actor().id)
            written.append(attachments.path_of(row))
            ids.append(row.id)
        inbox.send_message(user=actor(), instance_id=inst.id, name="objection",
                           payload={"reason": reason, "attachments": ids})
        db.session.commit()
    except (ValidationFailed, Conflict, RuleViolation) as exc:
        db.session.rollback()
        for path in written:  # the files of a refused objection are not kept
            path.unlink(missing_ok=True)
        if isinstance(exc, ValidationFailed):
            fields = {("files" if k in ("file", "attachments") else k): list(v)
                      for k, v in (exc.localized_fields() or {"reason": [exc.localized()]}).items()}
            if uploads and "files" in fields:
                fields["files"].append(_("Please choose the files again."))
            return _render_objection(inst, reason=reason, errors=fields, status=422)
        rule = getattr(exc, "rule", None)
        return _render_objection(inst, reason=reason, status=409,
                                 refusal=_("%(message)s（%(rule)s）", message=exc.localized(),
                                           rule=rule) if rule else exc.localized())
    flash(_("Your objection has been filed. The bureau decides on it within 10 working days "
            "and informs you of the result."), "success")
    return redirect(url_for("enterprise_portal.index", _anchor=f"app-{inst.id}"))
