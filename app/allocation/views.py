"""Pages of the allocation area: fee notices (缴款核定通知单) to read and print, and the bureau's
payment confirmation (R15, R16)."""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.allocation import services
from app.auth.access import actor, page_auth
from app.auth.models import Enterprise
from app.common import clock
from app.errors import Conflict, Forbidden, ValidationFailed
from app.extensions import db

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


@bp.get("/fee-notices/<int:notice_id>")
@page_auth()
def fee_notice(notice_id: int):
    """The printable notice: bureau, document number, unit, lines, amount and deadline."""
    notice = services.get_notice(user=actor(), notice_id=notice_id)
    enterprise = db.session.get(Enterprise, notice.enterprise_id)
    return render_template("allocation/fee_notice.html", notice=notice, enterprise=enterprise,
                           now=clock.now(), may_confirm=_may_confirm(notice))


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
        flash(exc.message, "warning")
    return redirect(url_for("allocation.fee_notice", notice_id=notice_id))
