"""API test helpers: the inbox fixtures (staff, deployed diagrams) for /api/v1 tests."""
from tests.inbox.conftest import deployed, monday, staff, start_allocation  # noqa: F401
