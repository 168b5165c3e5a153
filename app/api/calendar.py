"""API routes: the working-day calendar (R4) — load a year's schedule, read a year."""
from __future__ import annotations

from datetime import date

from flask import jsonify
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.api import bp
from app.api.ledger import load_json
from app.api.schemas.calendar import (
    CalendarLoadResponseSchema,
    CalendarLoadSchema,
    CalendarYearSchema,
)
from app.auth.access import actor, api_auth
from app.common import calendar as calendar_service
from app.common import clock
from app.common.models import CalendarDay
from app.errors import NotFound
from app.extensions import db


@bp.put("/admin/calendar/<int:year>")
@api_auth("admin")
def load_calendar_year(year: int):
    """Load a year's working-day schedule (R4); recomputes provisional deadlines.
    ---
    put:
      tags: [calendar]
      parameters: [{name: year, in: path, required: true, schema: {type: integer}}]
      requestBody: {content: {application/json: {schema: CalendarLoadSchema}}}
      responses:
        200: {content: {application/json: {schema: CalendarLoadResponseSchema}}}
        422: {description: "a date outside the year, a duplicate, or a malformed day"}
    """
    body = load_json(CalendarLoadSchema())
    result = calendar_service.load_year(
        year=year,
        days=[
            calendar_service.DaySpec(d["date"], d["workday"], d.get("note")) for d in body["days"]
        ],
        actor_id=actor().id,
    )
    db.session.commit()
    return jsonify(CalendarLoadResponseSchema().dump(result.__dict__))


@bp.get("/admin/calendar/<int:year>")
@api_auth("admin")
def get_calendar_year(year: int):
    """A year's calendar: whether it is known, its working-day count and its override rows (R4).
    ---
    get:
      tags: [calendar]
      parameters: [{name: year, in: path, required: true, schema: {type: integer}}]
      responses:
        200: {content: {application/json: {schema: CalendarYearSchema}}}
    """
    if not 1900 <= year <= 9999:
        raise NotFound(_l("年份无效：%(year)s", year=year))
    summary = calendar_service.year_summary(year=year)
    loaded = calendar_service.loaded_year(year)
    rows = db.session.scalars(
        select(CalendarDay)
        .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
        .order_by(CalendarDay.day)
    )
    return jsonify(
        CalendarYearSchema().dump(
            {
                "year": year,
                "known": summary["known"],
                "workdays": summary["workdays"],
                "loaded_at": clock.local(loaded.loaded_at).isoformat() if loaded else None,
                "days": [{"date": r.day, "workday": r.workday, "note": r.note} for r in rows],
            }
        )
    )
