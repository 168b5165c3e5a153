"""Admin test helpers: the inbox fixtures (staff, deployed diagrams, a started allocation)."""
from tests.inbox.conftest import deployed, monday, staff, start_allocation  # noqa: F401
