"""Enterprise portal tests reuse the inbox fixtures (deployed diagrams, county staff, task rows)."""
from tests.inbox.conftest import (  # noqa: F401
    COUNTY_A,
    COUNTY_B,
    deployed,
    make_task,
    monday,
    staff,
    start_allocation,
)
