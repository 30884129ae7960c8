"""Celery application: reads every `CELERY_*` Django setting, finds tasks in the installed apps."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("pilotgate")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
