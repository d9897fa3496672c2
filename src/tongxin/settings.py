"""Tongxin settings: everything comes from environment variables with safe defaults.

See docs/operations.md for the full list. The embedded default is SQLite (WAL) under ``var/``;
production sets ``TONGXIN_DATABASE_URL=postgres://...``.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def env(name: str, default: str = "") -> str:
    """Read a TONGXIN_* setting from the environment."""
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean setting (1/true/yes/on)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DATA_DIR = Path(env("TONGXIN_DATA_DIR", str(Path.cwd() / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_file(name: str, factory) -> str:
    """Return the secret stored in ``var/NAME``, creating it on first run (mode 0600)."""
    path = DATA_DIR / name
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(factory())
    for _attempt in range(50):
        value = path.read_text().strip()
        if value:
            return value
        import time

        time.sleep(0.05)
    raise RuntimeError(f"{path} is empty")


SECRET_KEY = env("TONGXIN_SECRET_KEY") or _secret_file("secret_key", lambda: secrets.token_urlsafe(64))
# Key for personal data at rest (ID numbers, phones): the AES-GCM key and the keyed-hash key are derived from it.
DATA_KEY = env("TONGXIN_DATA_KEY") or _secret_file("data_key", lambda: secrets.token_urlsafe(48))

DEBUG = env_bool("TONGXIN_DEBUG", False)
ALLOWED_HOSTS = [h.strip() for h in env("TONGXIN_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env("TONGXIN_CSRF_TRUSTED_ORIGINS").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # serves the API docs page (Swagger UI) from its vendored static files, not a CDN (CSP)
    "django_filters",
    "django_tasks",
    "django_tasks_db",
    "tongxin.core",
    "tongxin.org",
    "tongxin.registry",
    "tongxin.cases",
    "tongxin.care",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "tongxin.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tongxin.core.locale_middleware.ChineseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tongxin.core.middleware.AuditContextMiddleware",
]

ROOT_URLCONF = "tongxin.urls"
WSGI_APPLICATION = "tongxin.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tongxin.core.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("TONGXIN_DATABASE_URL", f"sqlite:///{DATA_DIR / 'tongxin.sqlite3'}"),
        conn_max_age=int(env("TONGXIN_DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,  # a kept connection the server dropped is replaced, not an error page
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the worker write while pages read; IMMEDIATE avoids lock upgrades failing under load.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Lock an account (per user name) after this many failures within the window, for the window.
LOGIN_MAX_FAILURES = int(env("TONGXIN_LOGIN_MAX_FAILURES", "5"))
LOGIN_LOCKOUT_MINUTES = int(env("TONGXIN_LOGIN_LOCKOUT_MINUTES", "15"))
# Lookups of personal data (search by ID number or phone, core.throttle): per user and per address in a window.
PERSONAL_LOOKUP_LIMIT = int(env("TONGXIN_LOOKUP_LIMIT", "30"))
PERSONAL_LOOKUP_IP_LIMIT = int(env("TONGXIN_LOOKUP_IP_LIMIT", "100"))
PERSONAL_LOOKUP_WINDOW_MINUTES = int(env("TONGXIN_LOOKUP_WINDOW_MINUTES", "10"))
# Refuse every login from a client address after this many failures (whatever the user names) within its window.
LOGIN_MAX_FAILURES_PER_IP = int(env("TONGXIN_LOGIN_MAX_FAILURES_PER_IP", "20"))
LOGIN_IP_LOCKOUT_MINUTES = int(env("TONGXIN_LOGIN_IP_LOCKOUT_MINUTES", "15"))

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TONGXIN_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("TONGXIN_MEDIA_ROOT", str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed names need `tongxin collectstatic` first (make run and production set TONGXIN_STATIC_MANIFEST=1).
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("TONGXIN_STATIC_MANIFEST")
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_MANIFEST_STRICT = False
WHITENOISE_USE_FINDERS = True
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# Sessions, cookies and headers. TONGXIN_HTTPS=1 behind TLS turns on every secure-transport setting.
HTTPS = env_bool("TONGXIN_HTTPS", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(env("TONGXIN_SESSION_HOURS", "12")) * 3600
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # HTMX reads the token from the page, not the cookie; keep default behaviour
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("TONGXIN_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(env("TONGXIN_HSTS_SECONDS", "31536000")) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
BEHIND_PROXY = env_bool("TONGXIN_BEHIND_PROXY")  # also: the client address is the proxy's X-Forwarded-For entry
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy of every response (tongxin.core.middleware): only the site's own, vendored scripts and
# styles; TONGXIN_CSP replaces it (empty: no header), TONGXIN_CSP_REPORT_ONLY=1 only reports violations.
CSP = os.environ.get(
    "TONGXIN_CSP",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; object-src 'none'; "
    "base-uri 'self'; frame-ancestors 'none'; form-action 'self'",
)
CSP_REPORT_ONLY = env_bool("TONGXIN_CSP_REPORT_ONLY", False)
# The Django admin at /admin/ (no scoping; for deployment administrators). On by default except behind HTTPS,
# i.e. in production (docs/operations.md), where TONGXIN_ADMIN_ENABLED=1 turns it on.
ADMIN_ENABLED = env_bool("TONGXIN_ADMIN_ENABLED", not HTTPS)

TASKS = {
    "default": {
        "BACKEND": env("TONGXIN_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if env("TONGXIN_REDIS_URL"):
    CACHES["default"] = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env("TONGXIN_REDIS_URL")}

# Office hours used by deadlines (working hours), e.g. "09:00-12:00,14:30-18:00".
OFFICE_HOURS = env("TONGXIN_OFFICE_HOURS", "09:00-12:00,14:30-18:00")

# Pagination
# Cases: roles that see confidential cases (besides the case's reporter and assignee); notification channels
# beyond the in-app inbox (dotted paths of tongxin.core.notify backends, e.g. tongxin.core.notify.EmailBackend);
# the reminder before a case is due, and the escalation to the street after it is overdue, in working hours;
_confidential = env("TONGXIN_CONFIDENTIAL_ROLES", "administrator,director,official")
CONFIDENTIAL_ROLES = [r.strip() for r in _confidential.split(",") if r.strip()]
NOTIFY_BACKENDS = [b.strip() for b in env("TONGXIN_NOTIFY_BACKENDS").split(",") if b.strip()]
# Side effects after commit (tongxin.core.outbox): how often a failing channel is tried before the message is
# marked failed, and how long delivered messages are kept.
OUTBOX_MAX_ATTEMPTS = int(env("TONGXIN_OUTBOX_MAX_ATTEMPTS", "8"))
OUTBOX_RETENTION_DAYS = int(env("TONGXIN_OUTBOX_RETENTION_DAYS", "7"))
CASE_REMIND_HOURS = float(env("TONGXIN_CASE_REMIND_HOURS", "2"))
CASE_STREET_ESCALATION_HOURS = float(env("TONGXIN_CASE_STREET_ESCALATION_HOURS", "6.5"))
# the largest photo or file per upload, in MB (core.files); TONGXIN_CASE_UPLOAD_MAX_MB is its former name
UPLOAD_MAX_MB = int(env("TONGXIN_UPLOAD_MAX_MB", env("TONGXIN_CASE_UPLOAD_MAX_MB", "10")))

PAGE_SIZE = int(env("TONGXIN_PAGE_SIZE", "50"))
MAX_PAGE_SIZE = 1000
# Uploaded import files and their problem rows (raw cells: ID numbers, phones) are purged after this many days;
# the job, its counts and its change-log batch stay.
IMPORT_RETENTION_DAYS = int(env("TONGXIN_IMPORT_RETENTION_DAYS", "30"))
# An export of more rows than this runs in the worker (a progress bar, then a download link on the job's page); its
# file is kept under media/exports/ for EXPORT_RETENTION_DAYS days, for its owner only.
EXPORT_BACKGROUND_ROWS = int(env("TONGXIN_EXPORT_BACKGROUND_ROWS", "5000"))
EXPORT_RETENTION_DAYS = int(env("TONGXIN_EXPORT_RETENTION_DAYS", "7"))
# What an import file may expand to (tongxin.core.importfile), checked from a workbook's zip directory before it is
# read (a zip bomb is refused at once): all members uncompressed, each part read whole (the shared strings), each
# member's compression ratio; and while it is read: rows, characters in one cell (Excel's own limit).
IMPORT_MAX_UNCOMPRESSED_MB = int(env("TONGXIN_IMPORT_MAX_UNCOMPRESSED_MB", "2048"))
IMPORT_MAX_SHARED_STRINGS_MB = int(env("TONGXIN_IMPORT_MAX_SHARED_STRINGS_MB", "256"))
IMPORT_MAX_COMPRESSION_RATIO = int(env("TONGXIN_IMPORT_MAX_COMPRESSION_RATIO", "100"))
IMPORT_MAX_ROWS = int(env("TONGXIN_IMPORT_MAX_ROWS", "2000000"))
IMPORT_MAX_CELL_CHARS = int(env("TONGXIN_IMPORT_MAX_CELL_CHARS", "32767"))
# A running import whose worker has not been heard of for this many seconds is marked failed by the worker's sweep
# (its worker refreshes the job's heartbeat four times in that period; see tongxin.core.heartbeat).
IMPORT_STALE_SECONDS = int(env("TONGXIN_IMPORT_STALE_SECONDS", "60"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("TONGXIN_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

EMAIL_BACKEND = env("TONGXIN_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# the SMTP server of the e-mail notification channel (tongxin.core.notify.EmailBackend)
EMAIL_HOST = env("TONGXIN_EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("TONGXIN_EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("TONGXIN_EMAIL_USER")
EMAIL_HOST_PASSWORD = env("TONGXIN_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("TONGXIN_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = env("TONGXIN_EMAIL_FROM", "tongxin@localhost")
# the address of the site as users reach it, for links in e-mails and SMS (e.g. https://tongxin.example.gov.cn)
SITE_URL = env("TONGXIN_SITE_URL").rstrip("/")

TONGXIN_SITE_NAME = _("同心 · 社区治理与居民服务平台")
