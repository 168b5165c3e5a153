from tests.auth.conftest import app, client  # noqa: F401  (see tests/auth/conftest.py)
