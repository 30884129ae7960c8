import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means unhealthy, whatever its type
        return False
    return True


def _broker_ok() -> bool:
    """Connect to the broker and ask it something, within the broker timeouts (a second or two)."""
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            # Opening the channel asks the broker (Redis answers a PING) within the socket timeout.
            conn.ensure_connection(max_retries=1, timeout=settings.BROKER_SOCKET_TIMEOUT)
            conn.default_channel  # noqa: B018
    except Exception as error:  # any broker failure means unhealthy
        logger.warning("Health check: broker unreachable (%s)", error.__class__.__name__)
        return False
    return True


@require_GET
@never_cache
def health(request):
    """For load balancers and monitors: answers without login; 503 when the database or the
    broker does not answer, naming which."""
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    healthy = all(checks.values())
    body = {
        "status": "ok" if healthy else "error",
        **{name: "ok" if ok else "unreachable" for name, ok in checks.items()},
    }
    return JsonResponse(body, status=200 if healthy else 503)
