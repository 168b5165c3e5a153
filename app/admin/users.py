"""Admin pages: user accounts (list, create, edit)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.admin.forms import ROLE_LABELS, UserForm, add_errors
from app.auth import services
from app.auth.access import page_auth
from app.errors import Conflict, ValidationFailed
from app.extensions import db

PER_PAGE = 50


@page_auth("admin")
def index():
    q = request.args.get("q", "").strip()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    users, total = services.list_users(q=q, page=page, per_page=PER_PAGE)
    return render_template(
        "admin/users.html",
        users=users,
        total=total,
        page=page,
        per_page=PER_PAGE,
        q=q,
        role_labels=dict(ROLE_LABELS),
    )


@page_auth("admin")
def new():
    form = UserForm()
    form.fill_choices()
    if form.validate_on_submit():
        try:
            services.create_user(
                username=form.username.data, password=form.password.data, **form.service_data()
            )
        except (ValidationFailed, Conflict) as exc:
            db.session.rollback()
            add_errors(form, exc)
        else:
            db.session.commit()
            flash(_("User %(name)s created.", name=form.username.data), "success")
            return redirect(url_for("admin.users"))
    return _render(form, user=None)


@page_auth("admin")
def edit(user_id: int):
    user = services.get_user(user_id)
    form = UserForm(obj=None if request.method == "POST" else user)
    form.fill_choices()
    if request.method == "GET":
        form.enterprise_id.data = str(user.enterprise_id or "")
        form.region_code.data = user.region_code or ""
    form.username.data = user.username  # not editable
    if form.validate_on_submit():
        try:
            services.update_user(
                user=user, password=form.password.data or None, **form.service_data()
            )
        except ValidationFailed as exc:
            db.session.rollback()
            add_errors(form, exc)
        else:
            db.session.commit()
            flash(_("User %(name)s saved.", name=user.username), "success")
            return redirect(url_for("admin.users"))
    return _render(form, user=user)


def _render(form: UserForm, *, user):
    status = 422 if request.method == "POST" else 200
    return render_template("admin/user_form.html", form=form, user=user), status
