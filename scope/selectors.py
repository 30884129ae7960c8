"""Reads about work items and the providers that could do them."""

import datetime

from vendors.choices import LocationClass
from vendors.models import Provider

from .choices import PreferredDelivery
from .models import WorkItem


def hard_gate_problems(*, provider: Provider, work_item: WorkItem, valid_through: datetime.date) -> list[str]:
    """Why `provider` may not do `work_item` (empty when every hard gate passes).

    Hard gates: not blocked; every required certification type held, verified and in force through
    `valid_through` (the planned pilot end); a delivery centre in the preferred location class.
    Reads `provider.certifications`, `provider.delivery_centers` and the item's required
    certifications, so callers checking many providers should prefetch them.
    """
    problems = []
    if provider.is_blocked:
        problems.append(f"{provider} is blocked: {provider.blocked_reason}")
    by_type: dict[int, list] = {}
    for cert in provider.certifications.all():
        by_type.setdefault(cert.certification_type_id, []).append(cert)
    for required in work_item.required_certifications.all():
        certs = by_type.get(required.pk, [])
        verified = [c for c in certs if c.verified_at is not None]
        if any(c.is_valid_through(valid_through) for c in verified):
            continue
        if not certs:
            problems.append(f"{provider} does not hold {required.code}, which '{work_item}' requires.")
        elif not verified:
            problems.append(f"{provider}'s {required.code} certificate is not verified yet.")
        else:
            latest = max(verified, key=lambda c: c.expires_on)
            problems.append(
                f"{provider}'s {required.code} certificate expires on {latest.expires_on:%d %b %Y}, "
                f"before {valid_through:%d %b %Y}."
            )
    preferred = work_item.preferred_delivery
    if preferred != PreferredDelivery.ANY and preferred not in provider.delivery_options:
        problems.append(
            f"{provider} has no {LocationClass(preferred).label.lower()} delivery centre, which '{work_item}' prefers."
        )
    return problems
