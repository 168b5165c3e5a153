"""API routes: auth."""
from app.api import bp  # noqa: F401
