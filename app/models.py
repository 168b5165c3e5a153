"""Imports every domain's models so that metadata (and Alembic) sees all tables."""
from app.allocation.models import *  # noqa: F401,F403
from app.auth.models import *  # noqa: F401,F403
from app.common.models import *  # noqa: F401,F403
from app.engine.definitions import *  # noqa: F401,F403
from app.engine.models import *  # noqa: F401,F403
from app.ledger.models import *  # noqa: F401,F403
from app.notifications.models import *  # noqa: F401,F403
from app.ops.models import *  # noqa: F401,F403
from app.trading.models import *  # noqa: F401,F403
