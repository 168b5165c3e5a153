"""Deployment configuration: files and environment, never policy (policy lives in the DB)."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).lower() in {"1", "true", "yes", "on"}


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{ROOT / 'instance' / 'erflow.sqlite3'}"
    )
    # pooled connections are pinged only after being idle (app/common/db_tuning.ping_when_idle)
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ["zh_CN", "en"]
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    ERFLOW_TEST_CLOCK = _bool("ERFLOW_TEST_CLOCK")
    ERFLOW_BPMN_DIR = os.environ.get("ERFLOW_BPMN_DIR", str(ROOT / "bpmn"))
    ERFLOW_FORMS_DIR = os.environ.get("ERFLOW_FORMS_DIR", str(ROOT / "forms"))
    ERFLOW_UPLOAD_DIR = os.environ.get("ERFLOW_UPLOAD_DIR", str(ROOT / "instance" / "uploads"))
    ERFLOW_UPLOAD_MAX_BYTES = int(os.environ.get("ERFLOW_UPLOAD_MAX_BYTES", 10 * 1024 * 1024))
    ERFLOW_INPROCESS_WORKER = _bool("ERFLOW_INPROCESS_WORKER")
    ERFLOW_WORKER_INTERVAL = float(os.environ.get("ERFLOW_WORKER_INTERVAL", "5"))
    ERFLOW_TOKEN_TTL_HOURS = int(os.environ.get("ERFLOW_TOKEN_TTL_HOURS", "12"))
    ERFLOW_LOGIN_MAX_FAILURES = int(os.environ.get("ERFLOW_LOGIN_MAX_FAILURES", "5"))
    ERFLOW_LOGIN_WINDOW_SECONDS = int(os.environ.get("ERFLOW_LOGIN_WINDOW_SECONDS", "300"))
    # operations (app/ops): JSON logs, readiness, TLS behind a proxy
    ERFLOW_LOG_JSON = _bool("ERFLOW_LOG_JSON")
    ERFLOW_LOG_LEVEL = os.environ.get("ERFLOW_LOG_LEVEL", "INFO")
    ERFLOW_WORKER_STALE_SECONDS = float(os.environ.get("ERFLOW_WORKER_STALE_SECONDS", "60"))
    ERFLOW_READY_REQUIRE_WORKER = _bool("ERFLOW_READY_REQUIRE_WORKER")
    ERFLOW_READY_REQUIRE_MIGRATIONS = _bool("ERFLOW_READY_REQUIRE_MIGRATIONS", True)
    ERFLOW_PROXY_FIX = int(os.environ.get("ERFLOW_PROXY_FIX", "0"))  # trusted proxies in front
    ERFLOW_HSTS_SECONDS = 0
    # notifications mail (app/notifications): off unless a host is set
    ERFLOW_SMTP_HOST = os.environ.get("ERFLOW_SMTP_HOST", "")
    ERFLOW_SMTP_PORT = int(os.environ.get("ERFLOW_SMTP_PORT", "25"))
    ERFLOW_SMTP_FROM = os.environ.get("ERFLOW_SMTP_FROM", "erflow@localhost")
    ERFLOW_SMTP_STARTTLS = _bool("ERFLOW_SMTP_STARTTLS")
    ERFLOW_SMTP_USER = os.environ.get("ERFLOW_SMTP_USER", "")
    ERFLOW_SMTP_PASSWORD = os.environ.get("ERFLOW_SMTP_PASSWORD", "")
    ERFLOW_NOTIFY_INTERVAL = float(os.environ.get("ERFLOW_NOTIFY_INTERVAL", "300"))
    # each mail is claimed by one worker and sent at most once (docs/operations.md, "Mail")
    ERFLOW_MAIL_BATCH = int(os.environ.get("ERFLOW_MAIL_BATCH", "200"))
    ERFLOW_MAIL_MAX_ATTEMPTS = int(os.environ.get("ERFLOW_MAIL_MAX_ATTEMPTS", "5"))
    ERFLOW_BASE_URL = os.environ.get("ERFLOW_BASE_URL", "")  # links in mail


class Development(Config):
    DEBUG = False


class Testing(Config):
    TESTING = True
    WTF_CSRF_ENABLED = True
    ERFLOW_TEST_CLOCK = True


class Production(Config):
    SESSION_COOKIE_SECURE = _bool("ERFLOW_SECURE_COOKIES", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PREFERRED_URL_SCHEME = "https"
    ERFLOW_LOG_JSON = _bool("ERFLOW_LOG_JSON", True)
    ERFLOW_HSTS_SECONDS = int(os.environ.get("ERFLOW_HSTS_SECONDS", str(365 * 24 * 3600)))
    ERFLOW_REQUIRE_SECRET_KEY = True  # create_app refuses the development key
    ERFLOW_TEST_CLOCK = False


CONFIGS = {"development": Development, "testing": Testing, "production": Production}
