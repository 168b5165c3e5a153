"""Pages of the auth area (URL map and thin views): log in and log out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from app.auth import services
from app.auth.forms import LoginForm
from app.errors import TooManyRequests
from app.extensions import db, login_manager

bp = Blueprint("auth", __name__, template_folder="templates")


@bp.record_once
def _configure_login(state) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"


def _safe_next(target: str | None) -> str | None:
    """Only same-site relative paths, so a crafted link cannot send a user elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    error, status = None, 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(
                username=form.username.data,
                password=form.password.data,
                remote_addr=request.remote_addr,
            )
        except TooManyRequests as exc:
            user, error, status = None, exc.localized(), 429
        db.session.commit()  # keeps a failed attempt for throttling
        if user is not None:
            lang = session.get("lang")
            session.clear()  # a fresh session on every login
            if lang:
                session["lang"] = lang
            login_user(user)
            return redirect(_safe_next(form.next.data) or url_for("inbox.index"))
        if error is None:
            error, status = services.BAD_CREDENTIALS, 401
    elif request.method == "POST":
        status = 400
    form.password.data = ""
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        logout_user()
    session.clear()
    return redirect(url_for("auth.login"))
