"""Admin page forms (Flask-WTF, CSRF on). Shape only: the services check the rules and their
field errors are put back on the form with `add_errors`, so the page re-renders with the input kept.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from app.auth.models import Enterprise, Region
from app.common.regions import WATER_SYSTEMS
from app.errors import DomainError
from app.extensions import db

ROLE_LABELS = [
    ("handler", _l("Handler")),
    ("reviewer", _l("Reviewer")),
    ("approver", _l("Approver")),
    ("enterprise", _l("Enterprise user")),
    ("admin", _l("System administrator")),
]
PERMIT_LABELS = [
    ("key", _l("Key management")),
    ("simplified", _l("Simplified management")),
    ("registered", _l("Registration")),
    ("none", _l("No permit")),
]


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    display_name = StringField(_l("Full name"), validators=[Optional(), Length(max=100)])
    email = EmailField(_l("Email"), validators=[Optional(), Length(max=200)])
    password = PasswordField(
        _l("Password"),
        validators=[Optional()],
        render_kw={"autocomplete": "new-password"},
    )
    roles = CheckboxListField(_l("Roles"), choices=_choices(ROLE_LABELS), validate_choice=False)
    # Rendered by the grouped_select macro from `region_groups`, so no choices here.
    region_code = SelectField(_l("Region of the bureau"), choices=[], validate_choice=False)
    enterprise_id = SelectField(_l("Emission unit"), validate_choice=False)
    active = BooleanField(_l("Account enabled"), default=True)

    def fill_choices(self) -> None:
        self.region_groups = region_choices(counties_only=False)
        none = [SelectChoice("", _l("— none —"))]
        rows = db.session.execute(
            select(Enterprise.id, Enterprise.name, Enterprise.credit_code).order_by(Enterprise.name)
        )
        self.enterprise_id.choices = none + [
            SelectChoice(str(i), _("%(name)s（%(code)s）", name=n, code=c)) for i, n, c in rows
        ]

    def service_data(self) -> dict:
        return {
            "display_name": self.display_name.data or "",
            "email": self.email.data or None,
            "roles": list(self.roles.data or []),
            "region_code": self.region_code.data or None,
            "enterprise_id": int(self.enterprise_id.data) if self.enterprise_id.data else None,
            "active": bool(self.active.data),
        }


class EnterpriseForm(FlaskForm):
    name = StringField(_l("Name of the unit"), validators=[DataRequired(), Length(max=200)])
    credit_code = StringField(
        _l("Unified social credit code"),
        validators=[DataRequired()],
        render_kw={"maxlength": 18, "autocapitalize": "characters", "spellcheck": "false"},
    )
    region_code = SelectField(_l("County (city, district)"), choices=[], validate_choice=False)
    source_type = SelectField(
        _l("Source type"),
        choices=_choices([("industrial", _l("Industrial")), ("agricultural", _l("Agricultural"))]),
        validate_choice=False,
    )
    industry = StringField(_l("Industry"), validators=[Optional(), Length(max=50)])
    permit_class = SelectField(
        _l("Permit class"),
        choices=_choices(PERMIT_LABELS),
        validate_choice=False,
    )
    permit_no = StringField(_l("Permit number"), validators=[Optional(), Length(max=50)])
    auto_monitoring = BooleanField(_l("Automatic monitoring installed"))
    grade = SelectField(
        _l("Environmental performance grade"),
        choices=[SelectChoice(g) for g in ("A", "B", "C", "D")],
        default="C",
        validate_choice=False,
    )
    capacity_mw = StringField(
        _l("Installed capacity (MW)"),
        validators=[Optional()],
        render_kw={"inputmode": "decimal"},
        description=_l("Coal power units only."),
    )
    water_system = SelectField(
        _l("Water system"),
        validate_choice=False,
        description=_l("Leave empty to use the county's default (Zhejiang only)."),
    )

    def fill_choices(self) -> None:
        self.region_groups = region_choices(counties_only=True)
        self.water_system.choices = [SelectChoice("", _l("— county default —"))] + [
            SelectChoice(w) for w in WATER_SYSTEMS
        ]

    def service_data(self) -> dict:
        return {
            "name": self.name.data,
            "credit_code": (self.credit_code.data or "").strip().upper(),
            "region_code": self.region_code.data,
            "source_type": self.source_type.data,
            "industry": self.industry.data or "",
            "permit_class": self.permit_class.data,
            "permit_no": self.permit_no.data or None,
            "auto_monitoring": bool(self.auto_monitoring.data),
            "grade": self.grade.data,
            "capacity_mw": (self.capacity_mw.data or "").strip() or None,
            "water_system": self.water_system.data or None,
        }


def region_choices(*, counties_only: bool) -> dict:
    """Options grouped for a <select>: each province, then each city's counties (R7)."""
    regions = list(db.session.scalars(select(Region).order_by(Region.path)))
    names = {r.code: r.name for r in regions}
    groups: dict[str, list[tuple[str, str]]] = {}
    for r in regions:
        if r.level == "county":
            group = names[r.parent_code] if not r.extra else _(
                "%(name)s（省直管）", name=names[r.parent_code])
            if r.parent_code and r.province_code != r.parent_code:
                group = f"{names[r.province_code]} {group}"
        elif counties_only:
            continue
        else:
            group = names[r.province_code]
        groups.setdefault(group, []).append((r.code, _("%(name)s（%(code)s）", name=r.name,
                                                         code=r.code)))
    return groups


def add_errors(form: FlaskForm, exc: DomainError) -> None:
    """Put a service's field errors on the form; other messages become form-level errors."""
    fields = exc.localized_fields() or {}
    for name, messages in fields.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors or []) + list(messages)
        else:
            form.form_errors.append(f"{name}: {' '.join(messages)}")
    if not fields:
        form.form_errors.append(exc.localized())
