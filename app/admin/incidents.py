"""Admin pages: instances stopped by a failing step (incidents), their error, and retry.

Registers its rules on `app.admin.views.bp` when imported (the last lines of views.py).
"""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import engine
from app.admin import home
from app.admin.views import bp
from app.auth.access import actor, page_auth
from app.errors import NotFound
from app.extensions import db


@page_auth("admin")
def index():
    return render_template("admin/incidents.html", incidents=engine.incidents())


@page_auth("admin")
def detail(instance_id: int):
    found = engine.incidents(instance_id=instance_id)
    if not found:
        raise NotFound(_("This instance has no open incident."))
    return render_template("admin/incident.html", incident=found[0])


@page_auth("admin")
def retry(instance_id: int):
    info = engine.retry(instance_id, actor_id=actor().id)
    db.session.commit()
    if info.status == "incident":
        flash(_("The step failed again: %(message)s", message=info.incident_message), "error")
        return redirect(url_for("admin.incident", instance_id=instance_id))
    flash(_("The step ran again; the instance continues."), "success")
    return redirect(url_for("admin.incidents"))


bp.add_url_rule("/incidents", "incidents", index)
bp.add_url_rule("/incidents/<int:instance_id>", "incident", detail)
bp.add_url_rule("/incidents/<int:instance_id>/retry", "incident_retry", retry, methods=["POST"])
home.SECTIONS.append(
    home.Section("admin.incidents", _l("Incidents"), _l("Instances stopped by a failing step"))
)
