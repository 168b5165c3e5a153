"""Pages of the admin area: the URL map only. Each page group lives in its own module
(home, users, enterprises, …); to add a group, write its module and add its rules below, then
add a link to `app.admin.home.SECTIONS`.
"""

from flask import Blueprint

from app.admin import enterprises, home, users

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

bp.add_url_rule("/", "index", home.index)

bp.add_url_rule("/users", "users", users.index)
bp.add_url_rule("/users/new", "user_new", users.new, methods=["GET", "POST"])
bp.add_url_rule("/users/<int:user_id>/edit", "user_edit", users.edit, methods=["GET", "POST"])

bp.add_url_rule("/enterprises", "enterprises", enterprises.index)
bp.add_url_rule("/enterprises/new", "enterprise_new", enterprises.new, methods=["GET", "POST"])
bp.add_url_rule(
    "/enterprises/<int:enterprise_id>/edit",
    "enterprise_edit",
    enterprises.edit,
    methods=["GET", "POST"],
)
from app.admin import (  # noqa: E402  (each page group registers its rules on bp)
    calendar,  # noqa: F401  (calendar and attainment pages, R4, R27)
    decisions,  # noqa: F401  (DMN editor)
    forms_editor,  # noqa: F401  (form editor with live preview)
    incidents,  # noqa: F401  (failed steps and retry)
    modeler,  # noqa: F401  (diagram editor, issue 5)
    policy_pages,  # noqa: F401  (fee standards, benchmarks, pilots)
    versions,  # noqa: F401  (versions, diff, rollback, migration)
)
