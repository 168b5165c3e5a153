"""Admin pages: a process's versions (who, when, why, instances on each), the visual difference
between two versions, roll back, and migration of running instances to the latest version.

Registers its rules on `app.admin.views.bp` when imported (the last lines of views.py).
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app import engine
from app.admin.views import bp
from app.auth.access import actor, page_auth
from app.auth.models import User
from app.errors import ValidationFailed
from app.extensions import db


def _names(ids) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = db.session.execute(select(User.id, User.display_name, User.username)
                              .where(User.id.in_(wanted)))
    return {r.id: r.display_name or r.username for r in rows}


@page_auth("admin")
def versions(key: str):
    rows = engine.version_list(key)
    return render_template(
        "admin/versions.html",
        key=key,
        name=rows[0].name,
        versions=rows,
        authors=_names(v.deployed_by for v in rows),
        candidates=engine.migration_candidates(key),
        latest=rows[0].version,
    )


@page_auth("admin")
def diff():
    key = request.args.get("key", "")
    base, other = request.args.get("base", type=int), request.args.get("other", type=int)
    if not key or base is None or other is None:
        raise ValidationFailed(_("Choose two versions to compare."))
    result = engine.diff_versions(key, base, other)
    return render_template("admin/version_diff.html", key=key, diff=result,
                           name=engine.version_list(key)[0].name)


@page_auth("admin")
def rollback(key: str, number: int):
    info = engine.rollback(key, number, actor_id=actor().id,
                           comment=request.form.get("comment", ""))
    db.session.commit()
    flash(_("Version %(old)s deployed anew as version %(new)s.", old=number, new=info.version),
          "success")
    return redirect(url_for("admin.versions", key=key))


@page_auth("admin")
def migrate(instance_id: int):
    key = request.form.get("key", "")
    check = engine.migrate_instance(instance_id, actor_id=actor().id)
    db.session.commit()
    flash(_("Instance %(id)s moved from version %(old)s to version %(new)s.", id=instance_id,
            old=check.from_version, new=check.to_version), "success")
    return redirect(url_for("admin.versions", key=key) if key else url_for("admin.processes"))


bp.add_url_rule("/processes/<key>/versions", "versions", versions)
bp.add_url_rule("/processes/diff", "version_diff", diff)
bp.add_url_rule("/processes/<key>/versions/<int:number>/rollback", "version_rollback", rollback,
                methods=["POST"])
bp.add_url_rule("/instances/<int:instance_id>/migrate", "instance_migrate", migrate,
                methods=["POST"])
