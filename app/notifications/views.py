"""Notification pages: the list, mark one / all read; the bell's unread count for base.html."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.access import page_auth
from app.extensions import db
from app.notifications import services

bp = Blueprint("notifications", __name__, template_folder="templates")


@bp.record_once
def _install(_state) -> None:
    services.install()  # notifications for opened tasks and decisions
    services.install_periodic()  # the worker's deadline sweep and mail


@bp.app_context_processor
def _bell() -> dict:
    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        return services.unread_count(current_user.id)

    return {"unread_notifications": unread_notifications}


@bp.get("/notifications")
@page_auth()
def index():
    items = services.recent(current_user.id)
    return render_template("notifications/index.html", items=items,
                           titles=services.titles(items))


@bp.post("/notifications/<int:notification_id>/read")
@page_auth()
def read(notification_id: int):
    note = services.mark_read(user_id=current_user.id, notification_id=notification_id)
    db.session.commit()
    if request.form.get("go") and note.link and note.link.startswith("/"):
        return redirect(note.link)
    return redirect(url_for("notifications.index"))


@bp.post("/notifications/read-all")
@page_auth()
def read_all():
    services.mark_all_read(user_id=current_user.id)
    db.session.commit()
    return redirect(url_for("notifications.index"))
