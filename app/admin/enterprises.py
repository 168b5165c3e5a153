"""Admin pages: emission units (list, create, edit) (R8)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.admin.forms import PERMIT_LABELS, EnterpriseForm, add_errors
from app.auth import enterprises as service
from app.auth.access import actor, page_auth
from app.errors import Conflict, ValidationFailed
from app.extensions import db

PER_PAGE = 50


@page_auth("admin")
def index():
    q = request.args.get("q", "").strip()
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows, total = service.list_enterprises(user=actor(), q=q, page=page, per_page=PER_PAGE)
    return render_template(
        "admin/enterprises.html",
        enterprises=rows,
        total=total,
        page=page,
        per_page=PER_PAGE,
        q=q,
        permit_labels=dict(PERMIT_LABELS),
    )


@page_auth("admin")
def new():
    form = EnterpriseForm()
    form.fill_choices()
    if form.validate_on_submit():
        try:
            service.create_enterprise(**form.service_data())
        except (ValidationFailed, Conflict) as exc:
            db.session.rollback()
            add_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Emission unit %(name)s registered.", name=form.name.data), "success")
            return redirect(url_for("admin.enterprises"))
    return _render(form, enterprise=None)


@page_auth("admin")
def edit(enterprise_id: int):
    enterprise = service.get_enterprise(enterprise_id)
    form = EnterpriseForm(obj=None if request.method == "POST" else enterprise)
    form.fill_choices()
    if request.method == "GET":
        capacity = enterprise.capacity_mw
        form.capacity_mw.data = "" if capacity is None else str(capacity)
        form.water_system.data = enterprise.water_system or ""
    if form.validate_on_submit():
        try:
            service.update_enterprise(enterprise=enterprise, **form.service_data())
        except (ValidationFailed, Conflict) as exc:
            db.session.rollback()
            add_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Emission unit %(name)s saved.", name=enterprise.name), "success")
            return redirect(url_for("admin.enterprises"))
    return _render(form, enterprise=enterprise)


def _render(form: EnterpriseForm, *, enterprise):
    status = 422 if request.method == "POST" else 200
    return render_template("admin/enterprise_form.html", form=form, enterprise=enterprise), status
