"""The administration index page: a list of sections other page groups extend."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import lazy_gettext as _l

from app.auth.access import page_auth


@dataclass(frozen=True)
class Section:
    endpoint: str  # e.g. "admin.users"
    title: object  # a lazy_gettext string
    description: object = ""


# Add a line here for each new admin page group (calendar, attainment, diagrams, incidents, …).
# A section whose endpoint is not registered (yet) is simply not shown.
SECTIONS: list[Section] = [
    Section("admin.users", _l("Users"), _l("Accounts, roles and jurisdictions")),
    Section(
        "admin.enterprises",
        _l("Emission units"),
        _l("Enterprises, credit codes, permits and performance grades"),
    ),
]


@page_auth("admin")
def index():
    sections = [s for s in SECTIONS if s.endpoint in current_app.view_functions]
    return render_template("admin/index.html", sections=sections)
