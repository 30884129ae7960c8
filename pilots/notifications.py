"""The email a pilot's owner gets when a critical flag opens: once per flag, never twice."""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from .models import Flag

logger = logging.getLogger(__name__)


def email_owner_about_flag(*, flag_id: int) -> bool:
    """Claim the flag's notification, then send it; returns whether an email went out.

    The claim is a conditional UPDATE, so a retried or duplicated task finds it taken and sends
    nothing. A failed send gives the claim back so a retry can try again.
    """
    with transaction.atomic():
        claimed = Flag.objects.filter(pk=flag_id, owner_notified_at__isnull=True, resolved_at__isnull=True).update(
            owner_notified_at=timezone.now()
        )
    if not claimed:
        return False
    flag = Flag.objects.select_related("pilot__owner", "pilot__provider", "metric").get(pk=flag_id)
    owner = flag.pilot.owner
    if owner is None or not owner.email or not owner.is_active:
        logger.info("Flag %s: pilot %s has no owner to email", flag_id, flag.pilot_id)
        return False
    context = {
        "flag": flag,
        "pilot": flag.pilot,
        "owner": owner,
        "pilot_url": f"{settings.SITE_URL}{flag.pilot.get_absolute_url()}",
    }
    message = EmailMultiAlternatives(
        subject=f"Critical flag on {flag.pilot.name}: {flag.get_kind_display()}",
        body=render_to_string("pilots/email/flag_opened.txt", context),
        to=[owner.email],
    )
    message.attach_alternative(render_to_string("pilots/email/flag_opened.html", context), "text/html")
    try:
        message.send()
    except Exception:
        Flag.objects.filter(pk=flag_id).update(owner_notified_at=None)
        raise
    return True
