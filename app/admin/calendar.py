"""Admin pages: the working-day calendar (R4) and regions' air/water attainment (R27).

Registers its rules on `app.admin.views.bp` when imported (the last line of views.py).
"""
from __future__ import annotations

import json
from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.admin import home
from app.admin.views import bp
from app.auth.access import actor, page_auth
from app.auth.models import Region
from app.common import calendar as calendar_service
from app.common import clock
from app.errors import DomainError, NotFound, ValidationFailed
from app.extensions import db
from app.ledger import policy


def _year_arg(default: int) -> int:
    year = request.args.get("year", default, type=int) or default
    return year if 1900 <= year <= 9999 else default


def _render_calendar(year: int, *, pasted: str = "", errors: dict | None = None, status: int = 200):
    return (
        render_template(
            "admin/calendar.html",
            year=year,
            months=calendar_service.month_grid(year=year),
            summary=calendar_service.year_summary(year=year),
            loaded=calendar_service.loaded_year(year),
            alerts=calendar_service.open_alerts(),
            pasted=pasted,
            errors=errors or {},
        ),
        status,
    )


@page_auth("admin")
def calendar_page():
    return _render_calendar(_year_arg(clock.today().year))


def _parse_days(text: str) -> list[calendar_service.DaySpec]:
    """The pasted or uploaded JSON: {"days":[{"date","workday","note"}]} or the bare list."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValidationFailed(_("Not valid JSON"), fields={"days": [str(exc)]}) from exc
    days = data.get("days") if isinstance(data, dict) else data
    if not isinstance(days, list):
        expected = _('Expected {"days": [...]}')
        raise ValidationFailed(_("Not valid JSON"), fields={"days": [expected]})
    specs, errors = [], {}
    for i, item in enumerate(days):
        try:
            workday = item["workday"]
            if not isinstance(workday, bool):
                raise TypeError("workday")
            note = item.get("note")
            specs.append(calendar_service.DaySpec(
                date.fromisoformat(item["date"]), workday, str(note)[:100] if note else None
            ))
        except (KeyError, TypeError, ValueError, AttributeError):
            errors[f"days.{i}"] = [_("Each day needs a date (YYYY-MM-DD) and workday true/false")]
    if errors:
        raise ValidationFailed(_("The calendar has errors"), fields=errors)
    return specs


@page_auth("admin")
def calendar_load(year: int):
    if not 1900 <= year <= 9999:  # no such calendar (and no date arithmetic on it: 500 before)
        raise NotFound(_("No calendar for year %(year)s", year=year))
    upload = request.files.get("file")
    text = request.form.get("json", "")
    if upload is not None and upload.filename:
        text = upload.read().decode("utf-8", errors="replace")
    try:
        result = calendar_service.load_year(year=year, days=_parse_days(text), actor_id=actor().id)
    except ValidationFailed as exc:
        db.session.rollback()
        return _render_calendar(year, pasted=text, errors=exc.localized_fields() or {},
                                status=422)
    db.session.commit()
    flash(
        _("Calendar %(year)s loaded: %(days)s days; %(n)s provisional deadlines recomputed.",
          year=result.year, days=result.days, n=result.recomputed),
        "success",
    )
    return redirect(url_for("admin.calendar", year=year))


@page_auth("admin")
def attainment_page():
    year = _year_arg(clock.today().year - 1)
    return _render_attainment(year, form={"region_code": "", "air": True, "water": True})


def _render_attainment(year: int, *, form: dict, errors: dict | None = None, status: int = 200):
    rows = policy.attainment_rows(year=year)
    names = {r.code: r.name for r in db.session.query(Region).filter(
        Region.code.in_([row.region_code for row in rows])
    )} if rows else {}
    return (
        render_template("admin/calendar_attainment.html", year=year, rows=rows, names=names,
                        form=form, errors=errors or {}),
        status,
    )


@page_auth("admin")
def attainment_save():
    year = request.form.get("year", type=int) or clock.today().year - 1
    form = {
        "region_code": request.form.get("region_code", "").strip(),
        "air": request.form.get("air") == "1",
        "water": request.form.get("water") == "1",
    }
    try:
        policy.set_attainment(region_code=form["region_code"], year=year, air=form["air"],
                              water=form["water"], actor_id=actor().id)
    except DomainError as exc:
        db.session.rollback()
        errors = exc.localized_fields() or {"region_code": [exc.localized()]}
        return _render_attainment(year, form=form, errors=errors, status=422)
    db.session.commit()
    flash(_("Attainment of %(code)s in %(year)s saved.", code=form["region_code"], year=year),
          "success")
    return redirect(url_for("admin.attainment", year=year))


bp.add_url_rule("/calendar", "calendar", calendar_page)
bp.add_url_rule("/calendar/<int:year>", "calendar_load", calendar_load, methods=["POST"])
bp.add_url_rule("/attainment", "attainment", attainment_page)
bp.add_url_rule("/attainment", "attainment_save", attainment_save, methods=["POST"])

home.SECTIONS.extend([
    home.Section("admin.calendar", _l("Working-day calendar"),
                 _l("Holidays and make-up working days per year (R4)")),
    home.Section("admin.attainment", _l("Air and water attainment"),
                 _l("Whether each region met last year's quality targets (R27)")),
])
