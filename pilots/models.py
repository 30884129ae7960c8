from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from config import formatting
from config.fields import TextLine, validate_sensible_date
from config.imports import ImportRecord
from scope.choices import Cadence, Direction
from scope.models import Candidate, WorkItem
from vendors.choices import ProviderStatus
from vendors.models import Contact, Provider

from . import lifecycle
from .choices import DecisionOutcome, DisputeSide, DisputeStatus, FlagKind, MeasurementSource, PilotStatus, Severity
from .rules import margin_problem

MAX_WORK_ITEMS_PER_PILOT = 2
# Pilot dates outside these are typing errors, and date arithmetic near the calendar's ends overflows.
MAX_PROOF_PERIODS = 260  # five years of weeks


validate_pilot_date = validate_sensible_date  # the name an early migration refers to


class PilotQuerySet(models.QuerySet):
    def open(self):
        """Not finished: planned or under way (other apps ask through the reverse relation)."""
        return self.filter(status__in=lifecycle.OPEN)

    def under_way(self):
        return self.filter(status__in=lifecycle.UNDER_WAY)


class Pilot(models.Model):
    """A small, time-boxed trial of a provider on one or two work items, judged against targets agreed
    up front; a later stage is a new pilot whose `parent` is the stage it grew from."""

    name = TextLine(max_length=200, unique=True)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="pilots")
    work_items = models.ManyToManyField(WorkItem, related_name="pilots")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_pilots"
    )
    starts_on = models.DateField(validators=[validate_sensible_date])
    ends_on = models.DateField(help_text="The decision date.", validators=[validate_sensible_date])
    volume_share = models.DecimalField(
        "share of volume (%)",
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
    )
    budget = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    stage = models.PositiveSmallIntegerField(default=1)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_stages",
        help_text="The stage this pilot grew from.",
    )
    decision_rule = models.TextField(blank=True, help_text="What result means expand, agreed before the start.")
    status = models.CharField(max_length=10, choices=PilotStatus.choices, default=PilotStatus.PLANNED)
    candidate = models.ForeignKey(
        Candidate,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pilots",
        help_text="The selected candidate the pilot was planned from.",
    )
    sourcing_note = models.TextField(
        blank=True, help_text="Why this provider, when it is not the work item's selected candidate."
    )
    provider_status_before = models.CharField(
        max_length=12,
        choices=ProviderStatus.choices,
        blank=True,
        help_text="The provider's status when the pilot started; a stop returns it there.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = PilotQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "name"]
        indexes = [
            models.Index(fields=["status", "ends_on"], name="pilot_status_ends_idx"),
            models.Index(fields=["provider", "status"], name="pilot_provider_status_idx"),
            models.Index(fields=["owner", "status"], name="pilot_owner_status_idx"),
            models.Index(fields=["-starts_on", "name"], name="pilot_starts_idx"),
            models.Index(fields=["ends_on"], name="pilot_ends_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gt=F("starts_on")),
                name="pilot_ends_after_start",
                violation_error_message="The decision date must be after the start date.",
            ),
            models.CheckConstraint(
                condition=Q(volume_share__gt=0) & Q(volume_share__lte=100),
                name="pilot_volume_share_range",
                violation_error_message="The share of volume must be more than 0% and at most 100%.",
            ),
            models.CheckConstraint(condition=Q(stage__gte=1), name="pilot_stage_positive"),
            models.CheckConstraint(
                condition=Q(parent__isnull=True, stage=1) | Q(parent__isnull=False, stage__gt=1),
                name="pilot_stage_matches_parent",
                violation_error_message="Stage 1 has no parent; a later stage grows from a parent pilot.",
            ),
            models.CheckConstraint(condition=Q(status__in=PilotStatus.values), name="pilot_status_valid"),
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(budget__gte=0), name="pilot_budget_not_negative"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("pilots:pilot-detail", args=[self.pk])

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on <= self.starts_on:
            raise ValidationError({"ends_on": "The decision date must be after the start date."})

    @property
    def is_past_decision_date(self) -> bool:
        return timezone.localdate() > self.ends_on


class PilotMetric(models.Model):
    """A target the pilot is judged on, copied from the work items' success metrics at creation;
    editable while the pilot is planned, frozen once it runs."""

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="metrics")
    name = TextLine(max_length=100)
    unit = TextLine(max_length=30, blank=True)
    direction = models.CharField(max_length=16, choices=Direction.choices)
    target = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    warning_margin = models.DecimalField(
        max_digits=14,
        decimal_places=4,
        default=Decimal("0"),
        help_text="Met, but by less than this (in the metric's unit), counts as at risk.",
    )
    critical = models.BooleanField(default=False)
    cadence = models.CharField(max_length=7, choices=Cadence.choices, default=Cadence.WEEKLY)
    min_samples = models.PositiveSmallIntegerField(
        "minimum samples for proof",
        default=4,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PROOF_PERIODS)],
        help_text="Periods with a measurement needed before the metric counts as proven.",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["pilot", "-critical", "name"]
        constraints = [
            models.UniqueConstraint(fields=["pilot", "name"], name="pilotmetric_unique_name"),
            models.CheckConstraint(condition=Q(warning_margin__gte=0), name="pilotmetric_margin_not_negative"),
            models.CheckConstraint(condition=Q(min_samples__gte=1), name="pilotmetric_min_samples_positive"),
            models.CheckConstraint(condition=Q(direction__in=Direction.values), name="pilotmetric_direction_valid"),
            models.CheckConstraint(condition=Q(cadence__in=Cadence.values), name="pilotmetric_cadence_valid"),
        ]

    def __str__(self):
        return f"{self.name} ({self.pilot})"

    def clean(self):
        if self.target is not None and self.warning_margin is not None:
            problem = margin_problem(
                target=self.target, margin=self.warning_margin, direction=self.direction, unit=self.unit
            )
            if problem:
                raise ValidationError({"warning_margin": problem})


class Measurement(models.Model):
    """One period's value of a pilot metric; a correction edits it (kept in history), never adds a twin."""

    metric = models.ForeignKey(PilotMetric, on_delete=models.CASCADE, related_name="measurements")
    period_start = models.DateField(validators=[validate_sensible_date])
    value = models.DecimalField(max_digits=14, decimal_places=4)
    sample_size = models.PositiveIntegerField(null=True, blank=True)
    note = models.TextField(blank=True)
    source = models.CharField(max_length=8, choices=MeasurementSource.choices, default=MeasurementSource.MANUAL)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A value the provider submitted through its link names the contact who sent it.
    submitted_by = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["metric", "-period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "period_start"],
                name="measurement_one_per_period",
                violation_error_message="This metric already has a measurement for that period; edit it instead.",
            ),
            models.CheckConstraint(condition=Q(source__in=MeasurementSource.values), name="measurement_source_valid"),
        ]

    def __str__(self):
        return f"{self.metric.name} {self.period_start}: {self.value}"


class FlagQuerySet(models.QuerySet):
    def open(self):
        return self.filter(resolved_at__isnull=True)


class Flag(models.Model):
    """Something about a pilot that needs attention, raised and resolved by the evaluation job.

    At most one open flag per (pilot, metric, kind): the database enforces it with two partial
    unique constraints, one for metric flags and one for pilot-wide flags (NULL metric).
    """

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="flags")
    metric = models.ForeignKey(PilotMetric, null=True, blank=True, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(max_length=24, choices=FlagKind.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    message = models.TextField()
    opened_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement_note = models.CharField(
        max_length=500, blank=True, help_text="What the person who acknowledged it said (what is being done)."
    )
    owner_notified_at = models.DateTimeField(
        null=True, blank=True, help_text="When the pilot's owner was emailed about this critical flag."
    )
    owner_alert = models.ForeignKey(
        "OwnerAlert", null=True, blank=True, on_delete=models.SET_NULL, related_name="flags", editable=False
    )
    history = HistoricalRecords(excluded_fields=["owner_alert"])

    objects = FlagQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at"]
        indexes = [
            models.Index(fields=["pilot", "resolved_at"], name="flag_pilot_resolved_idx"),
            models.Index(fields=["kind", "severity"], name="flag_kind_severity_idx"),
            models.Index(fields=["-opened_at"], name="flag_opened_idx"),
            models.Index(fields=["resolved_at"], name="flag_resolved_idx"),
            models.Index(
                fields=["severity", "-opened_at"], condition=Q(resolved_at__isnull=True), name="flag_open_severity_idx"
            ),
            # Open flags per pilot and severity: the lists' flag counts and the gate read this.
            models.Index(
                fields=["pilot", "severity"], condition=Q(resolved_at__isnull=True), name="flag_open_pilot_sev_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["pilot", "metric", "kind"],
                condition=Q(resolved_at__isnull=True, metric__isnull=False),
                name="flag_one_open_per_metric_kind",
            ),
            models.UniqueConstraint(
                fields=["pilot", "kind"],
                condition=Q(resolved_at__isnull=True, metric__isnull=True),
                name="flag_one_open_per_pilot_kind",
            ),
            models.CheckConstraint(condition=Q(kind__in=FlagKind.values), name="flag_kind_valid"),
            models.CheckConstraint(condition=Q(severity__in=Severity.values), name="flag_severity_valid"),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=F("opened_at")),
                name="flag_resolved_after_opened",
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True) | Q(acknowledged_by__isnull=False),
                name="flag_acknowledged_has_user",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.pilot}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class DisputeQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=DisputeStatus.OPEN)


class Dispute(models.Model):
    """One side says a recorded value is wrong. It stays open until the value is corrected or the
    side that raised it withdraws it; while it is open on a critical metric's proof period the
    gate to expand is closed. At most one open dispute per value."""

    measurement = models.ForeignKey(Measurement, on_delete=models.CASCADE, related_name="disputes")
    side = models.CharField(max_length=8, choices=DisputeSide.choices)
    reason = models.TextField()
    disputed_value = models.DecimalField(max_digits=14, decimal_places=4)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    raised_by_contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    raised_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=9, choices=DisputeStatus.choices, default=DisputeStatus.OPEN)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_by_contact = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resolution_note = models.TextField(blank=True)
    history = HistoricalRecords()

    objects = DisputeQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["measurement"],
                condition=Q(status="open"),
                name="dispute_one_open_per_measurement",
                violation_error_message="This value is disputed already.",
            ),
            models.CheckConstraint(condition=Q(side__in=DisputeSide.values), name="dispute_side_valid"),
            models.CheckConstraint(condition=Q(status__in=DisputeStatus.values), name="dispute_status_valid"),
            models.CheckConstraint(
                condition=Q(status="open", resolved_at__isnull=True)
                | (~Q(status="open") & Q(resolved_at__isnull=False)),
                name="dispute_resolved_when_closed",
            ),
        ]

    def __str__(self):
        return f"Dispute of {self.measurement} ({self.get_status_display().lower()})"

    @property
    def raised_by_name(self) -> str:
        person = self.raised_by_contact or self.raised_by
        return person_name(person)

    @property
    def resolved_by_name(self) -> str:
        return person_name(self.resolved_by_contact or self.resolved_by)


def person_name(person) -> str:
    """A user's or a provider contact's name as people read it."""
    if isinstance(person, Contact):
        return f"{person.name} ({person.provider.name})"
    return formatting.person_name(person)


class Decision(models.Model):
    """The recorded outcome of a pilot review: expand, extend or stop, with the reasoning."""

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="decisions")
    outcome = models.CharField(max_length=6, choices=DecisionOutcome.choices)
    rationale = models.TextField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-decided_at"]
        indexes = [models.Index(fields=["pilot", "-decided_at"], name="decision_pilot_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(outcome__in=DecisionOutcome.values), name="decision_outcome_valid"),
            models.CheckConstraint(condition=~Q(rationale=""), name="decision_has_rationale"),
        ]

    def __str__(self):
        return f"{self.get_outcome_display()} — {self.pilot}"


class DigestPreference(models.Model):
    """A person's choice about the weekly digest; without a row the digest is on and always sent."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_preference")
    weekly_digest = models.BooleanField("send me the weekly digest", default=True)
    skip_when_all_clear = models.BooleanField(
        "skip the email when there is nothing to report",
        default=False,
        help_text="Otherwise a short all-clear email is sent.",
    )
    history = HistoricalRecords()

    def __str__(self):
        return f"Digest preference of {self.user}"


class OwnerAlert(models.Model):
    """The outbox of the email a pilot owner gets when critical flags open: written in the same
    transaction that opens the flags (one per owner and evaluation, listing them all) and swept
    until sent, so a worker that dies at any moment loses none."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        DROPPED = "dropped", "Nothing to send"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="owner_alerts")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_at"], condition=Q(status="pending"), name="owner_alert_pending_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sent", "dropped"]), name="owner_alert_status_valid"
            ),
        ]

    def __str__(self):
        return f"Critical-flag email to {self.owner} ({self.get_status_display().lower()})"


class DigestDelivery(models.Model):
    """The durable record that makes the weekly digest exactly-once per person and week: claimed
    before sending, marked sent after; a failed send is recorded and retried."""

    class Status(models.TextChoices):
        CLAIMED = "claimed", "Being sent"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Nothing to report"
        FAILED = "failed", "Failed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_deliveries")
    week_start = models.DateField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.CLAIMED)
    claimed_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=1)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-week_start", "user"]
        verbose_name_plural = "digest deliveries"
        indexes = [models.Index(fields=["week_start", "status"], name="digest_week_status_idx")]
        constraints = [
            models.UniqueConstraint(fields=["user", "week_start"], name="digest_once_per_user_week"),
            models.CheckConstraint(
                condition=Q(status__in=["claimed", "sent", "skipped", "failed"]), name="digest_status_valid"
            ),
        ]

    def __str__(self):
        return f"Digest for {self.user} — week of {self.week_start}"


class MeasurementImport(ImportRecord):
    """A spreadsheet of a pilot's measurements, previewed and then applied (or discarded)."""

    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="imports")
    # Uploaded through the provider's submission link: its contact (and no user).
    submitted_by = models.ForeignKey(Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta(ImportRecord.Meta):
        indexes = [models.Index(fields=["pilot", "-uploaded_at"], name="measurement_import_pilot_idx")]

    @property
    def uploader_name(self) -> str:
        if self.submitted_by_id:
            return f"{self.submitted_by.name} (provider)"
        return super().uploader_name

    def file_url(self) -> str:
        return reverse("pilots:pilot-import-file", args=[self.pilot_id, self.pk])
