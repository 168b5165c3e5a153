"""/api/v1: the JSON API of API.md. Each module adds its routes to `bp`; schemas live in
app/api/schemas/."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from app.api import (  # noqa: E402,F401
    admin,
    admin_processes,
    allocation,
    auth,
    calendar,
    incidents,
    leasing,
    ledger,
    openapi,
    processes,
    public,
    reserve,
    tasks,
    test_clock,
    trading,
)
