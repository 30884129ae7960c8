"""Production: PostgreSQL, Redis, HTTPS. Refuses to start without a real SECRET_KEY."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env

DEBUG = False
DEMO_DATA_ALLOWED = False
SECRET_KEY = env.str("SECRET_KEY", default="")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith(("dev-", "test-", "django-insecure")):
    raise ImproperlyConfigured("SECRET_KEY must be set to a random value of at least 50 characters in production.")

# The embedded defaults are for one machine and a demo; a deployment that really wants them
# says so with ALLOW_EMBEDDED_SERVICES=true.
if not env.bool("ALLOW_EMBEDDED_SERVICES", default=False):
    embedded = [
        name
        for name, used in (
            ("DATABASE_URL (SQLite)", DATABASES["default"]["ENGINE"].endswith("sqlite3")),  # noqa: F405
            (
                "CELERY_BROKER_URL (filesystem or in-memory broker)",
                CELERY_BROKER_URL.startswith(("filesystem", "memory")),  # noqa: F405
            ),
            ("EMAIL_URL (mail written to files or memory)", not EMAIL_BACKEND.endswith("smtp.EmailBackend")),  # noqa: F405
            (
                "CACHE_URL (rate limits counted in one process's memory)",
                CACHES["default"]["BACKEND"].endswith("LocMemCache"),  # noqa: F405
            ),
            ("FILES_BUCKET (uploads on one machine's disk)", not FILES_BUCKET),  # noqa: F405
        )
        if used
    ]
    if embedded:
        raise ImproperlyConfigured(
            f"Production needs real services; set {', '.join(embedded)} (or ALLOW_EMBEDDED_SERVICES=true)."
        )

DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)  # noqa: F405
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # noqa: F405

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
