"""Submission links: issue (emailed, the secret never stored), find by secret, revoke; and the
reminders a link brings when a period is due and still missing.

Reminders are exactly-once per contact, pilot and period: a `LinkReminder` row per period is
claimed (inserted; the unique rule lets one run win) before the email goes out and marked sent
after, as the weekly digest does. A failed send is taken again by a later run, as is a claim left
by a worker that died; the one email that can repeat is the one whose sender died between the mail
server's acceptance and the mark.
"""

import datetime
import logging

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from config.mail import SERVER_DOWN
from config.models import token_hash
from config.tokens import note_use
from pilots.lifecycle import RECORDABLE
from pilots.models import Measurement, Pilot
from pilots.notifications import STALE_CLAIM
from pilots.periods import describe_period, missing_periods
from pilots.rules import target_text

from .models import LinkReminder, SubmissionLink

logger = logging.getLogger(__name__)

MAX_LIFETIME = datetime.timedelta(days=400)
# A link lasts past the decision date by default, so the last period's figures can still come in.
AFTER_DECISION = datetime.timedelta(days=14)
MAX_REMINDER_ATTEMPTS = 20


def link_url(secret: str) -> str:
    return f"{settings.SITE_URL}{reverse('portal:enter', args=[secret])}"


def default_expiry(pilot: Pilot) -> datetime.date:
    return pilot.ends_on + AFTER_DECISION


def metric_lines(pilot: Pilot) -> list[dict]:
    return [
        {
            "name": metric.name,
            "unit": metric.unit,
            "target": target_text(target=metric.target, direction=metric.direction, unit=metric.unit)
            if metric.target is not None
            else "no target",
            "cadence": metric.get_cadence_display().lower(),
        }
        for metric in pilot.metrics.order_by("-critical", "name")
    ]


@transaction.atomic
def link_issue(*, pilot: Pilot, contact, by, expires_on: datetime.date | None = None) -> tuple[SubmissionLink, str]:
    """A new link for this contact to this pilot, emailed to them; a live one they had is revoked.
    Nothing is issued when the email cannot be sent."""
    pilot = Pilot.objects.select_for_update(of=("self",)).select_related("provider", "owner").get(pk=pilot.pk)
    if pilot.status not in RECORDABLE:
        raise ValidationError(
            f"'{pilot}' is {pilot.get_status_display().lower()}: links are issued while it is under way."
        )
    if contact.provider_id != pilot.provider_id:
        raise ValidationError({"contact": f"{contact.name} is not a contact of {pilot.provider.name}."})
    if not contact.email:
        raise ValidationError({"contact": f"{contact.name} has no email address; add one on the provider's page."})
    today = timezone.localdate()
    expires_on = expires_on or default_expiry(pilot)
    if expires_on <= today:
        raise ValidationError({"expires_on": "Choose a day after today."})
    if expires_on > today + MAX_LIFETIME:
        raise ValidationError({"expires_on": f"A link lasts at most {MAX_LIFETIME.days} days."})
    for old in SubmissionLink.objects.select_for_update().filter(pilot=pilot, contact=contact, revoked_at__isnull=True):
        _revoke(old, by=by, reason="Replaced by a new link")
    secret = SubmissionLink.new_secret()
    link = SubmissionLink(
        pilot=pilot,
        contact=contact,
        sent_to=contact.email,
        key_hash=token_hash(secret),
        issued_by=by,
        # The whole of the last day: a link "until 30 Nov" works on 30 Nov.
        expires_at=timezone.make_aware(
            datetime.datetime.combine(expires_on + datetime.timedelta(days=1), datetime.time())
        ),
    )
    link._history_user = by
    link._change_reason = f"Issued to {contact.name} <{contact.email}>"
    link.full_clean(validate_constraints=False)
    link.save()
    try:
        link_message(link, secret).send()
    except Exception as error:  # the transaction rolls back: no link exists that nobody received
        logger.warning("Link email to contact %s failed: %s", contact.pk, error.__class__.__name__)
        raise ValidationError(
            f"The email to {contact.email} could not be sent ({error.__class__.__name__}); no link was issued."
        ) from None
    return link, secret


def link_message(link: SubmissionLink, secret: str) -> EmailMultiAlternatives:
    return contact_email(
        link,
        subject=f"Report your figures for the pilot {link.pilot.name}",
        template="link",
        metrics=metric_lines(link.pilot),
        url=link_url(secret),
        expires_on=timezone.localdate(link.expires_at) - datetime.timedelta(days=1),
    )


def contact_email(link: SubmissionLink, *, subject: str, template: str, **context) -> EmailMultiAlternatives:
    """An email to the link's contact from `portal/email/<template>.txt|.html`; replies reach the owner."""
    pilot = link.pilot
    context = {"link": link, "pilot": pilot, "contact": link.contact, "owner": pilot.owner, **context}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"portal/email/{template}.txt", context),
        to=[link.sent_to],
        reply_to=[pilot.owner.email] if pilot.owner and pilot.owner.email else None,
    )
    message.attach_alternative(render_to_string(f"portal/email/{template}.html", context), "text/html")
    return message


def _revoke(link: SubmissionLink, *, by, reason: str) -> None:
    link.revoked_at = timezone.now()
    link.revoked_by = by
    link._history_user = by
    link._change_reason = reason
    link.save(update_fields=["revoked_at", "revoked_by"])


@transaction.atomic
def link_revoke(*, link: SubmissionLink, by) -> bool:
    """Revoke a link; False when it was revoked already."""
    link = SubmissionLink.objects.select_for_update().get(pk=link.pk)
    if link.revoked_at is not None:
        return False
    _revoke(link, by=by, reason="Revoked")
    return True


def link_find(secret: str) -> SubmissionLink | None:
    """The usable link with this secret (not revoked, not expired, its pilot under way), else None."""
    if not secret or len(secret) > 200 or not secret.isascii():
        return None
    link = (
        SubmissionLink.objects.opening()
        .filter(key_hash=token_hash(secret))
        .select_related("pilot__provider", "pilot__owner", "contact__provider")
        .first()
    )
    if link is not None:
        note_use(link)
    return link


# --- Reminders --------------------------------------------------------------------------------


def due_and_missing(pilot: Pilot, today: datetime.date) -> dict[tuple[datetime.date, str], dict]:
    """Each due period still missing a value (the `missing_data` flag's rule), with the metrics it lacks."""
    metrics = list(pilot.metrics.all())
    measured: dict[int, set[datetime.date]] = {}
    for metric_id, start in Measurement.objects.filter(metric__in=metrics).values_list("metric_id", "period_start"):
        measured.setdefault(metric_id, set()).add(start)
    missing: dict[tuple[datetime.date, str], dict] = {}
    for metric in metrics:
        for start in missing_periods(
            measured.get(metric.pk, set()),
            today=today,
            cadence=metric.cadence,
            starts_on=pilot.starts_on,
            ends_on=pilot.ends_on,
        ):
            entry = missing.setdefault(
                (start, metric.cadence), {"label": describe_period(start, metric.cadence), "metrics": []}
            )
            entry["metrics"].append(metric.name)
    return dict(sorted(missing.items()))


def _claim(link: SubmissionLink, period: tuple[datetime.date, str], now: datetime.datetime) -> bool:
    start, cadence = period
    try:
        with transaction.atomic():
            LinkReminder.objects.create(
                pilot=link.pilot, contact=link.contact, link=link, period_start=start, cadence=cadence, claimed_at=now
            )
            return True
    except IntegrityError:
        pass
    # A failed send, or a claim left by a worker that died mid-send, may be taken again.
    return bool(
        LinkReminder.objects.filter(
            Q(status=LinkReminder.Status.FAILED)
            | Q(status=LinkReminder.Status.CLAIMED, claimed_at__lt=now - STALE_CLAIM),
            pilot=link.pilot,
            contact=link.contact,
            period_start=start,
            cadence=cadence,
            attempts__lt=MAX_REMINDER_ATTEMPTS,
        ).update(status=LinkReminder.Status.CLAIMED, claimed_at=now, link=link, attempts=F("attempts") + 1)
    )


def send_link_reminders(*, today: datetime.date | None = None) -> dict[str, int]:
    """Email each live link's contact about the due periods still missing that nobody reminded
    them of yet: one email per contact and pilot listing them."""
    today = today or timezone.localdate()
    counts = {"sent": 0, "failed": 0, "periods": 0}
    connection = get_connection()
    links = SubmissionLink.objects.opening().select_related("pilot__owner", "pilot__provider", "contact").order_by("pk")
    for link in links:
        missing = due_and_missing(link.pilot, today)
        now = timezone.now()
        with transaction.atomic():
            # One run claims a link's periods at a time (another run skips the link), so the periods
            # due go out in one email rather than split between two runs' emails.
            held = SubmissionLink.objects.select_for_update(skip_locked=True).filter(pk=link.pk)
            if not list(held.values_list("pk", flat=True)):
                continue
            claimed = [period for period in missing if _claim(link, period, now)]
        if not claimed:
            continue
        mine = LinkReminder.objects.filter(
            pilot=link.pilot, contact=link.contact, period_start__in=[start for start, _ in claimed], claimed_at=now
        )
        try:
            message = reminder_message(link, {period: missing[period] for period in claimed})
            message.connection = connection
            message.send()
        except SoftTimeLimitExceeded:
            raise  # the claims go stale and the next run takes them
        except Exception as error:
            logger.warning("Reminder for link %s failed: %s", link.pk, error.__class__.__name__)
            mine.update(status=LinkReminder.Status.FAILED, last_error=f"{error.__class__.__name__}: {error}"[:500])
            counts["failed"] += 1
            if isinstance(error, SERVER_DOWN):
                break
            continue
        mine.update(status=LinkReminder.Status.SENT, sent_at=timezone.now(), last_error="")
        counts["sent"] += 1
        counts["periods"] += len(claimed)
    logger.info("Link reminders: %s", counts)
    return counts


def reminder_message(link: SubmissionLink, missing: dict[tuple[datetime.date, str], dict]) -> EmailMultiAlternatives:
    return contact_email(
        link,
        subject=f"Figures due for the pilot {link.pilot.name}",
        template="reminder",
        missing=list(missing.values()),
        issued_on=timezone.localdate(link.issued_at),
    )
