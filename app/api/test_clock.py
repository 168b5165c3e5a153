"""API routes: test_clock."""
from app.api import bp  # noqa: F401
