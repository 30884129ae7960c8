"""State changes of providers."""

from django.db import transaction

from .choices import ProviderStatus
from .models import Provider

# A provider in one of these statuses moves to `piloting` when a pilot with it starts.
PRE_PILOT_STATUSES = {ProviderStatus.PROSPECT, ProviderStatus.SHORTLISTED}


@transaction.atomic
def provider_mark_piloting(*, provider: Provider) -> Provider:
    if provider.status in PRE_PILOT_STATUSES:
        provider.status = ProviderStatus.PILOTING
        provider._change_reason = "Pilot started"
        provider.full_clean()
        provider.save()
    return provider
