import datetime
import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from .fields import OneLineFormField
from .models import ApiToken
from .tokens import token_create, token_revoke

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


# --- Personal API tokens ----------------------------------------------------------------------


class TokenForm(forms.Form):
    name = OneLineFormField(max_length=100, help_text="What will use it, e.g. 'BI dashboard'.")
    expires_in_days = forms.IntegerField(
        required=False, min_value=1, max_value=3650, label="Expires after (days)", help_text="Blank: never expires."
    )


@login_required
def api_tokens(request):
    """A person's own API tokens: create one (its secret shown this once), see when each was last
    used, revoke any."""
    form = TokenForm(request.POST if request.method == "POST" else None)
    secret = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            days = form.cleaned_data.get("expires_in_days")
            expires_at = timezone.now() + datetime.timedelta(days=days) if days else None
            _token, secret = token_create(user=request.user, name=form.cleaned_data["name"], expires_at=expires_at)
            form = TokenForm()
        else:
            status = 400
    context = {"form": form, "secret": secret, "tokens": request.user.api_tokens.all()}
    response = render(request, "config/api_tokens.html", context, status=status)
    response["Cache-Control"] = "no-store"  # the page may hold a secret
    return response


@login_required
@require_POST
def api_token_revoke(request, pk: int):
    """Revoke one of your tokens (administrators revoke anyone's in the admin)."""
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    if token_revoke(token=token, by=request.user):
        messages.success(request, f"{token} is revoked; it no longer works.")
    return redirect("api-tokens")
