"""Allocation page tests reuse the inbox fixtures (deployed diagrams, county staff, the clock)."""
from tests.inbox.conftest import deployed, monday, staff  # noqa: F401
