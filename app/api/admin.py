"""API routes: admin."""
from app.api import bp  # noqa: F401
