"""Admin pages: fee standards (R15), benchmark prices (R21) and pilot pollutants (R2), each change
audited with who and when (the audit is listed on the page). Calendar and attainment pages are in
app/admin/calendar.py.

Registers its rules on `app.admin.views.bp` when imported (the last lines of views.py).
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.admin import home, policy_services
from app.admin.versions import _names
from app.admin.views import bp
from app.auth.access import actor, page_auth
from app.auth.models import Region
from app.errors import DomainError
from app.extensions import db
from app.ledger.models import (
    PILOT_POLLUTANTS,
    POLLUTANTS,
    BenchmarkPrice,
    FeeStandard,
    PilotPollutant,
)

PAGES = {
    "fees": ("fee_standard", _l("Fee standards (yuan per tonne-year)"), FeeStandard,
             "yuan_per_tonne_year", policy_services.set_fee_standard),
    "benchmarks": ("benchmark_price", _l("Benchmark prices (yuan per tonne)"), BenchmarkPrice,
                   "yuan_per_tonne", policy_services.set_benchmark_price),
}


def _provinces() -> list[Region]:
    return list(db.session.scalars(select(Region).where(Region.level == "province")
                                   .order_by(Region.code)))


def _render(kind: str, *, form: dict | None = None, errors: dict | None = None, status=200):
    table, title, model, column, _setter = PAGES[kind]
    rows = list(db.session.scalars(select(model).order_by(model.province_code, model.pollutant)))
    audit = policy_services.policy_audit(table)
    return render_template(
        "admin/policy_table.html", kind=kind, title=title, rows=rows, column=column,
        provinces=_provinces(), pollutants=POLLUTANTS + PILOT_POLLUTANTS, audit=audit,
        names=_names(a.actor_id for a in audit), form=form or {}, errors=errors or {},
    ), status


@page_auth("admin")
def table_page(kind: str):
    return _render(kind)


@page_auth("admin")
def table_save(kind: str):
    setter = PAGES[kind][4]
    form = {k: request.form.get(k, "").strip() for k in ("province_code", "pollutant", "value")}
    try:
        setter(province_code=form["province_code"], pollutant=form["pollutant"],
               value=form["value"], actor_id=actor().id)
    except DomainError as exc:
        db.session.rollback()
        errors = exc.localized_fields() or {"value": [exc.localized()]}
        return _render(kind, form=form, errors=errors, status=422)
    db.session.commit()
    flash(_("Saved: %(pollutant)s %(value)s yuan.", pollutant=form["pollutant"],
            value=form["value"]), "success")
    return redirect(url_for(f"admin.policy_{kind}"))


@page_auth("admin")
def pilots_page():
    return _pilots()


def _pilots(*, form: dict | None = None, errors: dict | None = None, status: int = 200):
    rows = list(db.session.scalars(select(PilotPollutant).order_by(PilotPollutant.region_code)))
    names = {r.code: r.name for r in db.session.scalars(
        select(Region).where(Region.code.in_([p.region_code for p in rows])))} if rows else {}
    audit = policy_services.policy_audit("pilot_pollutant")
    return render_template(
        "admin/policy_pilots.html", rows=rows, region_names=names, pilots=PILOT_POLLUTANTS,
        audit=audit, names=_names(a.actor_id for a in audit), form=form or {},
        errors=errors or {},
    ), status


@page_auth("admin")
def pilots_save():
    form = {"region_code": request.form.get("region_code", "").strip(),
            "pollutant": request.form.get("pollutant", ""),
            "enabled": request.form.get("enabled") == "1"}
    try:
        policy_services.set_pilot(region_code=form["region_code"], pollutant=form["pollutant"],
                                  enabled=form["enabled"], actor_id=actor().id)
    except DomainError as exc:
        db.session.rollback()
        return _pilots(form=form,
                       errors=exc.localized_fields() or {"region_code": [exc.localized()]},
                       status=422)
    db.session.commit()
    flash(_("Pilot pollutant setting saved."), "success")
    return redirect(url_for("admin.policy_pilots"))


for _kind in PAGES:
    bp.add_url_rule(f"/policy/{_kind}", f"policy_{_kind}", table_page, defaults={"kind": _kind})
    bp.add_url_rule(f"/policy/{_kind}", f"policy_{_kind}_save", table_save,
                    defaults={"kind": _kind}, methods=["POST"])
bp.add_url_rule("/policy/pilots", "policy_pilots", pilots_page)
bp.add_url_rule("/policy/pilots", "policy_pilots_save", pilots_save, methods=["POST"])

home.SECTIONS.extend([
    home.Section("admin.policy_fees", _l("Fee standards"),
                 _l("Paid-use fee per pollutant and province (R15), audited")),
    home.Section("admin.policy_benchmarks", _l("Benchmark prices"),
                 _l("Trading price floor per pollutant and province (R21), audited")),
    home.Section("admin.policy_pilots", _l("Pilot pollutants"),
                 _l("VOCs and total phosphorus switched on per region (R2), audited")),
])
