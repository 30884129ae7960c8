"""Celery tasks: thin wrappers that call a service and return JSON."""

from celery import shared_task

from pilots.tasks import LIMITS

from . import services


@shared_task(acks_late=True, **LIMITS)
def send_link_reminders() -> dict:
    return services.send_link_reminders()
