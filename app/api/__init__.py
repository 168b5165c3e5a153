"""/api/v1: the JSON API of API.md. Each module adds its routes to `bp`; schemas live in schemas.py."""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from app.api import admin, auth, calendar, ledger, processes, tasks, test_clock  # noqa: E402,F401
