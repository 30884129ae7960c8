import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from pilots.lifecycle import RECORDABLE
from pilots.models import Pilot
from scope.choices import Cadence
from vendors.models import Contact

LINK_PREFIX = "pgl_"


class SubmissionLinkQuerySet(models.QuerySet):
    def usable(self, now=None):
        """Links not revoked and not expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())

    def opening(self, now=None):
        """Links that still open their pilot: usable, the pilot under way, and the contact still the
        provider's at the address the link was sent to (a contact who moved or whose email changed
        no longer speaks through it)."""
        return self.usable(now).filter(
            pilot__status__in=RECORDABLE, contact__provider=F("pilot__provider"), contact__email=F("sent_to")
        )


class SubmissionLink(models.Model):
    """A provider contact's way into one pilot, without an account: the secret is in the emailed
    address only; what is kept is its hash. One live link per contact and pilot: issuing another
    revokes the first."""

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="submission_links")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="submission_links")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    sent_to = models.EmailField(editable=False, help_text="The address the link was emailed to.")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    issued_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    history = HistoricalRecords(excluded_fields=["last_used_at"])

    objects = SubmissionLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["pilot", "contact"],
                condition=Q(revoked_at__isnull=True),
                name="submission_link_one_live_per_contact",
                violation_error_message="This contact has a link to this pilot already.",
            )
        ]

    def __str__(self):
        return f"Link to {self.pilot} for {self.contact.name}"

    @property
    def state(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        if self.contact.email != self.sent_to or self.contact.provider_id != self.pilot.provider_id:
            return "contact changed"
        return "active"

    @staticmethod
    def new_secret() -> str:
        return LINK_PREFIX + secrets.token_urlsafe(32)


class LinkReminder(models.Model):
    """The durable record that makes a missing-period reminder exactly-once per contact, pilot and
    period: claimed (inserted) before the email goes out, marked sent after."""

    class Status(models.TextChoices):
        CLAIMED = "claimed", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    link = models.ForeignKey(SubmissionLink, on_delete=models.CASCADE, related_name="reminders")
    period_start = models.DateField()
    # A week and a month may start on the same day: each is its own period.
    cadence = models.CharField(max_length=7, choices=Cadence.choices, default=Cadence.WEEKLY)
    status = models.CharField(max_length=7, choices=Status.choices, default=Status.CLAIMED)
    claimed_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=1)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["pilot", "contact", "period_start", "cadence"], name="link_reminder_once_per_period"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["claimed", "sent", "failed"]), name="link_reminder_status_valid"
            ),
        ]

    def __str__(self):
        return f"Reminder to {self.contact.name} for {self.period_start}"
