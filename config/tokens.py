"""Personal API tokens: issue (the secret shown once), find by secret, revoke."""

import datetime

from django.db import transaction
from django.utils import timezone

from .models import ApiToken, token_hash

LAST_USE_PRECISION = datetime.timedelta(minutes=1)


@transaction.atomic
def token_create(*, user, name: str, expires_at: datetime.datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for `user` and its secret, which is never stored and cannot be shown again."""
    secret = ApiToken.new_secret()
    token = ApiToken(user=user, name=name, expires_at=expires_at, prefix=secret[:12], key_hash=token_hash(secret))
    token._history_user = user
    token._change_reason = "Created"
    token.full_clean()
    token.save()
    return token, secret


def token_find(secret: str) -> ApiToken | None:
    """The usable token with this secret (not revoked, not expired, its user active), else None."""
    if not secret or len(secret) > 200:
        return None
    token = ApiToken.objects.usable().select_related("user").filter(key_hash=token_hash(secret)).first()
    if token is not None:
        note_use(token)
    return token


def note_use(keyed) -> None:
    """Record that a secret-keyed row (a token, a provider link) was used now: one write a minute at
    most, however often it is used."""
    now = timezone.now()
    if keyed.last_used_at is None or now - keyed.last_used_at > LAST_USE_PRECISION:
        type(keyed).objects.filter(pk=keyed.pk).update(last_used_at=now)
        keyed.last_used_at = now


def tokens_revoke_for_new_password(user) -> int:
    """A changed password ends the user's tokens as it ends their other sessions: whoever learnt the
    old one may have made a token with it. Returns how many were revoked."""
    revoked = 0
    for token in ApiToken.objects.filter(user=user, revoked_at__isnull=True):
        revoked += token_revoke(token=token, by=user, reason="Revoked: the password changed")
    return revoked


@transaction.atomic
def token_revoke(*, token: ApiToken, by, reason: str = "Revoked") -> bool:
    """Revoke a token (its owner or an administrator); False when it was revoked already."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return False
    token.revoked_at = timezone.now()
    token.revoked_by = by
    token._history_user = by
    token._change_reason = reason
    token.save(update_fields=["revoked_at", "revoked_by"])
    return True
