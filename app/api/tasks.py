"""API routes: tasks."""
from app.api import bp  # noqa: F401
