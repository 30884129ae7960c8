"""Tests: real PostgreSQL and real Redis (`make test` makes sure both are reachable)."""

from pathlib import Path

from .base import *  # noqa: F403
from .base import broker_transport_options, email_config, env, file_stores

DEBUG = False
SECRET_KEY = "test-only-secret-key"  # noqa: S105
DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/pilotgate")}
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/15")
CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(CELERY_BROKER_URL)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# In-memory mail, unless a test hands a worker process a mailbox of its own.
if env.str("TEST_EMAIL_URL", default=""):
    vars().update(email_config(env.str("TEST_EMAIL_URL")))
else:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="pilotgate-test")
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "test-media")))  # noqa: F405
STORAGES = {
    **file_stores(MEDIA_ROOT),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_ENABLED = False
SITE_URL = "http://testserver"
