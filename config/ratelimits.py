"""Request rate limits (django-ratelimit's counters in the cache), for the provider links and the
password forms alike."""

from django.conf import settings
from django_ratelimit import ALL
from django_ratelimit.core import get_usage


def limited(request, group: str, key: str, rate: str, *, count: bool = True) -> bool:
    """Whether `key` has used up `rate` ("n/period") in `group`. With `count` this request is added
    to the tally first (and limited past the rate); without it, the tally is only read, so a caller
    can count only what succeeded."""
    usage = get_usage(request, group=group, key=lambda group, request: key, rate=rate, method=ALL, increment=count)
    if usage is None:
        return False
    return usage["should_limit"] if count else usage["count"] >= usage["limit"]


def client_address(request) -> str:
    """The address limits and sign-in lockouts are tied to (behind a proxy, its trusted header)."""
    return settings.AXES_CLIENT_IP_CALLABLE(request) or ""
