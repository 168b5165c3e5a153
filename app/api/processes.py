"""API routes: processes."""
from app.api import bp  # noqa: F401
