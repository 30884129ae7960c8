"""The email a pilot's owner gets when critical flags open, through an outbox.

The evaluation records one pending `OwnerAlert` per owner in the transaction that opens the flags
(`record_owner_alerts`), so the email exists as soon as the flags do. A sweep sends what is
pending (`send_pending_owner_alerts`): each alert is claimed by a conditional UPDATE before it is
sent and marked sent after, so two sweeps never send it twice; a claim left by a worker that died
is taken again after `STALE_CLAIM`. The one message that can repeat is the one whose
sender died between the mail server's acceptance and the mark.
"""

import datetime
import logging

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from config.mail import SERVER_DOWN

from .models import Flag, OwnerAlert

logger = logging.getLogger(__name__)

# Shared by both outboxes (these alerts and the weekly digest): a claim older than this belongs to
# a sender that died (one send takes at most EMAIL_TIMEOUT). A run stops at the first SERVER_DOWN error.
STALE_CLAIM = datetime.timedelta(seconds=settings.OUTBOX_STALE_CLAIM_SECONDS)
MAX_ATTEMPTS = 2000  # a sweep a minute: more than a day of mail-server outage before it is given up


def record_owner_alerts(*, flag_ids: list[int]) -> list[int]:
    """One pending alert per owner of the pilots of these newly opened critical flags; call it in
    the transaction that opened them. Pilots without an owner have no one to tell."""
    by_owner: dict[int, list[int]] = {}
    for flag_id, owner_id in Flag.objects.filter(pk__in=flag_ids, pilot__owner__isnull=False).values_list(
        "pk", "pilot__owner_id"
    ):
        by_owner.setdefault(owner_id, []).append(flag_id)
    if not by_owner:
        return []
    alerts = OwnerAlert.objects.bulk_create([OwnerAlert(owner_id=owner_id) for owner_id in by_owner])
    for alert in alerts:
        Flag.objects.filter(pk__in=by_owner[alert.owner_id]).update(owner_alert=alert)
    return [alert.pk for alert in alerts]


def queue_owner_alerts_on_commit() -> None:
    """Ask a worker to send the pending alerts once this transaction commits; when the broker
    cannot take it, the scheduled sweep sends them within a minute."""

    def queue():
        from .tasks import send_owner_alerts  # tasks import this module

        try:
            send_owner_alerts.delay()
        except Exception as error:  # the alerts are committed; the sweep will find them
            logger.warning("Could not queue the owner alerts (%s); the sweep will send them", error.__class__.__name__)

    transaction.on_commit(queue)


def sendable_alerts(now: datetime.datetime | None = None):
    """Pending alerts nobody holds: never claimed, or claimed by a sender that did not finish."""
    now = now or timezone.now()
    return OwnerAlert.objects.filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - STALE_CLAIM),
        status=OwnerAlert.Status.PENDING,
        attempts__lt=MAX_ATTEMPTS,
    )


def send_pending_owner_alerts(*, limit: int = 500) -> dict[str, int]:
    """Send every sendable alert (oldest first, at most `limit`); returns counts."""
    ids = list(sendable_alerts().order_by("created_at").values_list("pk", flat=True)[:limit])
    counts = {"sent": 0, "dropped": 0, "failed": 0, "taken": 0, "unreachable": 0}
    connection = get_connection()
    for alert_id in ids:
        outcome = send_owner_alert(alert_id=alert_id, connection=connection)
        counts[outcome] += 1
        if outcome == "unreachable":
            break  # the next sweep, a minute on, tries again
    return counts


def send_owner_alert(*, alert_id: int, connection=None) -> str:
    """Claim one alert, send it, mark it: 'sent', 'dropped' (nobody or nothing to tell), 'failed'
    (this message refused; given back for the next sweep), 'unreachable' (the mail server; given
    back too) or 'taken' (another sender holds it)."""
    now = timezone.now()
    if not sendable_alerts(now).filter(pk=alert_id).update(claimed_at=now, attempts=F("attempts") + 1):
        return "taken"
    mine = OwnerAlert.objects.filter(pk=alert_id, claimed_at=now)  # marks only while the claim is ours
    alert = OwnerAlert.objects.select_related("owner").get(pk=alert_id)
    owner = alert.owner
    flags = list(
        alert.flags.select_related("pilot__provider", "metric")
        .filter(resolved_at__isnull=True)
        .order_by("pilot__name", "pk")
    )
    if not flags or not owner.email or not owner.is_active:
        mine.update(status=OwnerAlert.Status.DROPPED)
        return "dropped"
    try:
        message = alert_message(owner, flags)
        message.connection = connection
        message.send()
    except SoftTimeLimitExceeded:
        raise  # the task's time is up: the claim goes stale and the next sweep takes it
    except Exception as error:  # a mail server problem: give the claim back for the next sweep
        logger.warning("Owner alert %s failed: %s", alert_id, error.__class__.__name__)
        mine.update(claimed_at=None, last_error=f"{error.__class__.__name__}: {error}"[:500])
        return "unreachable" if isinstance(error, SERVER_DOWN) else "failed"
    sent_at = timezone.now()
    with transaction.atomic():
        if mine.update(status=OwnerAlert.Status.SENT, sent_at=sent_at, last_error=""):
            Flag.objects.filter(pk__in=[f.pk for f in flags]).update(owner_notified_at=sent_at)
    return "sent"


def alert_message(owner, flags: list[Flag]) -> EmailMultiAlternatives:
    """One email listing every newly opened critical flag of the owner's pilots."""
    pilots = {}
    for flag in flags:
        pilots.setdefault(flag.pilot, []).append(flag)
    context = {
        "owner": owner,
        "flags": flags,
        "pilots": [
            {"pilot": pilot, "flags": pilot_flags, "url": f"{settings.SITE_URL}{pilot.get_absolute_url()}"}
            for pilot, pilot_flags in pilots.items()
        ],
    }
    if len(flags) == 1:
        subject = f"Critical flag on {flags[0].pilot.name}: {flags[0].get_kind_display()}"
    else:
        subject = f"{len(flags)} critical flags opened on {len(pilots)} of your pilot{'s' if len(pilots) != 1 else ''}"
    message = EmailMultiAlternatives(
        subject=subject, body=render_to_string("pilots/email/flag_opened.txt", context), to=[owner.email]
    )
    message.attach_alternative(render_to_string("pilots/email/flag_opened.html", context), "text/html")
    return message
