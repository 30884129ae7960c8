"""Celery application: reads every `CELERY_*` Django setting, finds tasks in the installed apps."""

import os

from celery import Celery

# A server process is production unless told otherwise; manage.py defaults to development.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("pilotgate")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
