"""Celery tasks of the app's own accounts: thin wrappers that take JSON values and call a service."""

from celery import shared_task
from django.conf import settings

from .accounts import send_reset_email
from .mail import SERVER_DOWN

LIMITS = {"soft_time_limit": settings.TASK_TIME_LIMIT - 15, "time_limit": settings.TASK_TIME_LIMIT}


# The address, never a token: the worker makes the link, so no secret sits in the broker. A worker
# killed mid-send sends it again (a second valid link, harmless); an unreachable mail server is
# tried again for about an hour, after which the user can ask again.
@shared_task(acks_late=True, autoretry_for=SERVER_DOWN, max_retries=12, default_retry_delay=300, **LIMITS)
def send_password_reset(email: str) -> dict:
    return {"sent": send_reset_email(email)}


def queue_password_reset(email: str) -> None:
    """Raises kombu's OperationalError when the broker cannot take it (within the broker timeouts)."""
    send_password_reset.delay(email)
