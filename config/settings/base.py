"""Settings shared by every environment; each value comes from the environment with a safe default.

The defaults make a bare machine work: SQLite (WAL) and a filesystem Celery broker, both in the
git-ignored `var/` folder. `DATABASE_URL` and `CELERY_BROKER_URL` switch to PostgreSQL and Redis.
"""

import re
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_countries",
    "django_tables2",
    "django_filters",
    "django_htmx",
    "simple_history",
    "axes",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "config",
    "vendors",
    "scope",
    "pilots",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.AnonymousNotFoundMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Data -------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'pilotgate.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the web server, the worker and beat read while one of them writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "transaction_mode": "IMMEDIATE"}
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
# A lockout holds one username from one address: a stranger failing on purpose cannot lock a
# colleague out from elsewhere, and failing again during a lockout does not extend it.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Behind a proxy the client's address comes from the header it sets (e.g. HTTP_X_FORWARDED_FOR),
# the right-most address the configured number of trusted proxies added.
CLIENT_IP_HEADER = env.str("CLIENT_IP_HEADER", default="")
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)


def client_ip(request) -> str | None:
    """The address a lockout is tied to: REMOTE_ADDR, or the trusted proxy's header when set."""
    if CLIENT_IP_HEADER:
        forwarded = [part.strip() for part in request.META.get(CLIENT_IP_HEADER, "").split(",") if part.strip()]
        if len(forwarded) >= TRUSTED_PROXY_COUNT:
            return forwarded[-TRUSTED_PROXY_COUNT]
    return request.META.get("REMOTE_ADDR")


AXES_CLIENT_IP_CALLABLE = client_ip

# Only the app's own scripts, styles, images and fonts; nothing may frame it. Style attributes
# are allowed (the emails previewed in a frame and some layout use them); style elements and
# every script must come from the app.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "config.api.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["config.api.ModelPermissions"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "config.api.StablePagination",
    "DEFAULT_THROTTLE_CLASSES": ["config.api.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": env.str("API_RATE", default="1200/minute")},
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.api.JSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Pilotgate API",
    "DESCRIPTION": "Providers, work items, rankings, pilots, measurements and flags. Authenticate with a personal "
    "API token (`Authorization: Bearer <token>`, created under API tokens) or a signed-in browser session.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Filters read "Any" where nothing is chosen (not "---------"), and "Not set" for an empty value.
FILTERS_EMPTY_CHOICE_LABEL = "Any"
FILTERS_NULL_LABEL = "Not set"

# `seed_demo` creates logins whose passwords are published; production refuses it.
DEMO_DATA_ALLOWED = True

# --- Locale -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
FORMAT_MODULE_PATH = ["config.formats"]  # one date and number style everywhere (config/formats/en)
CURRENCY = env.str("CURRENCY", default="GBP")  # ISO 4217 code budgets and costs are shown in
if not re.fullmatch(r"[A-Z]{3}", CURRENCY):
    raise ImproperlyConfigured(f"CURRENCY must be an ISO 4217 code such as GBP, EUR or USD, not {CURRENCY!r}.")
TIME_ZONE = env.str("TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))  # filled by collectstatic
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploads (certification evidence, import files) are never given a public URL: they are served only
# through permission-checked views, so MEDIA_URL is deliberately absent from the URL configuration.
# They live in this machine's MEDIA_ROOT by default; with FILES_BUCKET set, in an S3-compatible
# bucket that every web server and worker shares (private objects; AWS_* credentials, or the
# machine's role when they are unset).
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
EVIDENCE_URL = "/evidence/"
FILES_BUCKET = env.str("FILES_BUCKET", default="")
FILES_BUCKET_OPTIONS = {
    "bucket_name": FILES_BUCKET,
    "endpoint_url": env.str("FILES_ENDPOINT_URL", default="") or None,  # another S3-compatible service
    "region_name": env.str("FILES_REGION", default="") or None,
    "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
    "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
    "default_acl": None,  # the bucket's own policy: private
    "querystring_auth": True,
    "file_overwrite": False,
}


def file_stores(media_root: Path) -> dict:
    def store(folder: str, **local) -> dict:
        if FILES_BUCKET:
            options = {**FILES_BUCKET_OPTIONS, "location": folder}
            return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}
        options = {"location": media_root / folder, **local}
        return {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": options}

    # Evidence and imported spreadsheets each in their own place; a stored evidence file's own URL
    # is the permission-checked view's.
    return {
        "default": store("files"),
        "evidence": store("evidence", base_url=EVIDENCE_URL),
        "imports": store("imports"),
    }


STORAGES = {
    **file_stores(MEDIA_ROOT),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
EVIDENCE_MAX_BYTES = env.int("EVIDENCE_MAX_BYTES", default=10 * 1024 * 1024)
# Spreadsheet imports: the largest file and the most rows in one sheet.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=50_000)
# A provider's upload through its link holds one pilot's periods: far smaller.
PORTAL_UPLOAD_MAX_BYTES = env.int("PORTAL_UPLOAD_MAX_BYTES", default=1024 * 1024)
PORTAL_UPLOAD_MAX_ROWS = env.int("PORTAL_UPLOAD_MAX_ROWS", default=2_000)
PORTAL_RATE_UPLOAD = env.str("PORTAL_RATE_UPLOAD", default="30/h")
# A whole request body: one evidence file and the form around it; larger ones are refused (413)
# from their Content-Length before they are read.
MAX_REQUEST_BYTES = env.int("MAX_REQUEST_BYTES", default=EVIDENCE_MAX_BYTES + 1024 * 1024)

# --- Email ------------------------------------------------------------------------------------


def email_config(url: str) -> dict:
    config = env.email_url_config(url)
    if url.startswith("filemail:///"):
        # django-environ drops the leading slash of an absolute mailbox folder.
        config["EMAIL_FILE_PATH"] = "/" + url.removeprefix("filemail:///")
    return config


vars().update(email_config(env.str("EMAIL_URL", default=f"filemail://{VAR_DIR / 'mail'}")))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Pilotgate <pilotgate@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Domain -----------------------------------------------------------------------------------
# The organisation's own country: delivery centres there are onshore, those in
# NEARSHORE_COUNTRIES nearshore, every other one offshore.
HOME_COUNTRY = env.str("HOME_COUNTRY", default="GB")
NEARSHORE_COUNTRIES = env.list("NEARSHORE_COUNTRIES", default=["IE", "PL", "PT", "ES", "RO", "NL", "DE", "FR"])
CERT_EXPIRY_WARNING_DAYS = env.int("CERT_EXPIRY_WARNING_DAYS", default=60)
MISSING_DATA_GRACE_DAYS = env.int("MISSING_DATA_GRACE_DAYS", default=3)
# Requests through provider links, per client address and per link (django-ratelimit's "n/period").
PORTAL_RATE_ADDRESS = env.str("PORTAL_RATE_ADDRESS", default="60/m")
# Password-reset emails asked for, per client address and per email address.
PASSWORD_RESET_RATE_ADDRESS = env.str("PASSWORD_RESET_RATE_ADDRESS", default="20/h")
PASSWORD_RESET_RATE_EMAIL = env.str("PASSWORD_RESET_RATE_EMAIL", default="5/h")
PASSWORD_CHANGE_RATE = env.str("PASSWORD_CHANGE_RATE", default="10/h")  # wrong current passwords per person
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3 * 24 * 3600)  # seconds a reset link works
PORTAL_RATE_LINK = env.str("PORTAL_RATE_LINK", default="120/m")
# The counters of those limits and of the API's throttle: give several web processes a shared
# cache (CACHE_URL=redis://127.0.0.1:6379/2); in one process memory does.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# --- Celery -----------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
BROKER_SOCKET_TIMEOUT = env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=1.0)
# Every task's hard time limit; the visibility timeout is just above it, so a task whose worker
# was killed is redelivered within minutes and a task still running is never handed out twice.
TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=240)
BROKER_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=TASK_TIME_LIMIT + 60)
# Email outboxes (owner alerts, digests): a claim older than this is a dead sender's.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
OUTBOX_STALE_CLAIM_SECONDS = env.int("OUTBOX_STALE_CLAIM_SECONDS", default=4 * EMAIL_TIMEOUT)


def broker_transport_options(url: str) -> dict:
    """The filesystem broker's folders, or, for Redis, timeouts: a web request that queues a task
    must not hang on a broker that is down or frozen (see pilots.tasks.queue_pilot_evaluation)."""
    if url.startswith("filesystem://"):
        folder = VAR_DIR / "broker"
        for name in ("messages", "processed", "control"):
            (folder / name).mkdir(parents=True, exist_ok=True)
        # One folder is both the in-box and the out-box, so every process sees every message.
        return {
            "data_folder_in": str(folder / "messages"),
            "data_folder_out": str(folder / "messages"),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),  # not the working directory
            "store_processed": False,
        }
    return {
        "socket_timeout": BROKER_SOCKET_TIMEOUT,
        "socket_connect_timeout": BROKER_SOCKET_TIMEOUT,
        # A task taken by a worker that died is delivered again after this; no task runs longer.
        "visibility_timeout": BROKER_VISIBILITY_TIMEOUT,
        # Workers look for such tasks every few seconds (a cheap index scan) rather than every
        # hundred, so redelivery follows the visibility timeout closely.
        "unacked_restore_interval": max(1, min(30, BROKER_VISIBILITY_TIMEOUT // 4)),
        "unacked_restore_throttle": 1,
    }


CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(CELERY_BROKER_URL)
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_SOCKET_TIMEOUT
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = TASK_TIME_LIMIT
CELERY_TASK_SOFT_TIME_LIMIT = TASK_TIME_LIMIT - 15
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
EVALUATION_CHUNK_SIZE = env.int("EVALUATION_CHUNK_SIZE", default=500)


def cron(expression: str) -> crontab:
    """A crontab from five fields: minute hour day-of-month month day-of-week."""
    minute, hour, day_of_month, month_of_year, day_of_week = expression.split()
    return crontab(
        minute=minute, hour=hour, day_of_month=day_of_month, month_of_year=month_of_year, day_of_week=day_of_week
    )


CELERY_BEAT_SCHEDULE = {
    "evaluate-pilots": {
        "task": "pilots.tasks.evaluate_all_pilots",
        "schedule": cron(env.str("EVALUATION_SCHEDULE", default="0 * * * *")),
    },
    "weekly-digest": {
        "task": "pilots.tasks.send_weekly_digests",
        "schedule": cron(env.str("DIGEST_SCHEDULE", default="0 7 * * 1")),
    },
    "owner-alerts": {"task": "pilots.tasks.send_owner_alerts", "schedule": cron("* * * * *")},
    "resume-digests": {"task": "pilots.tasks.resume_weekly_digests", "schedule": cron("*/5 * * * *")},
    "link-reminders": {
        "task": "portal.tasks.send_link_reminders",
        "schedule": cron(env.str("REMINDER_SCHEDULE", default="0 8 * * *")),
    },
}

# --- Logging ----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "forbidden_one_line": {"()": "config.logging.ForbiddenOnOneLine"},
        "no_link_secrets": {"()": "config.logging.NoLinkSecrets"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["forbidden_one_line", "no_link_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own loggers write through these handlers too, never through its default console
        # handler (which would print a link's secret in a development server's "Not Found" lines).
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
        # The development server's request lines pass the same filters (no link secrets).
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
