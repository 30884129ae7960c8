from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from config.fields import TextLine
from vendors.choices import WorkKind
from vendors.models import CertificationType, Industry, Language, Provider, ServiceLine

from .choices import (
    Cadence,
    CandidateStatus,
    Complexity,
    CriterionBasis,
    DataSensitivity,
    Direction,
    PreferredDelivery,
    WorkItemStatus,
)


class WorkItem(models.Model):
    """A specific, measurable piece of work the organisation considers outsourcing; it goes to
    sourcing only once the readiness check finds nothing vague or unmeasured."""

    title = TextLine(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=10, choices=WorkKind.choices)
    service_line = models.ForeignKey(
        ServiceLine, null=True, blank=True, on_delete=models.PROTECT, related_name="work_items"
    )
    service_line_required = models.BooleanField(
        "only providers offering this service line",
        default=False,
        help_text="Otherwise providers without the service line are still eligible, ranked below those with it.",
    )
    industry = models.ForeignKey(Industry, null=True, blank=True, on_delete=models.PROTECT, related_name="work_items")
    business_unit = TextLine(max_length=100, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_work_items"
    )
    monthly_volume = models.PositiveIntegerField(null=True, blank=True)
    volume_unit = TextLine(max_length=50, blank=True, help_text="What is counted, e.g. invoices, tickets.")
    complexity = models.CharField(max_length=6, choices=Complexity.choices, default=Complexity.MEDIUM)
    data_sensitivity = models.CharField(max_length=12, choices=DataSensitivity.choices, blank=True)
    required_certifications = models.ManyToManyField(CertificationType, blank=True, related_name="required_by")
    preferred_delivery = models.CharField(
        max_length=10, choices=PreferredDelivery.choices, default=PreferredDelivery.ANY
    )
    required_languages = models.ManyToManyField(Language, blank=True, related_name="required_by")
    status = models.CharField(max_length=10, choices=WorkItemStatus.choices, default=WorkItemStatus.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["title"]
        indexes = [
            models.Index(fields=["status", "title"], name="workitem_status_title_idx"),
            models.Index(fields=["kind", "status"], name="workitem_kind_status_idx"),
            models.Index(fields=["title"], name="workitem_title_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=WorkKind.values), name="workitem_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=WorkItemStatus.values), name="workitem_status_valid"),
            models.CheckConstraint(
                condition=Q(data_sensitivity="") | Q(data_sensitivity__in=DataSensitivity.values),
                name="workitem_sensitivity_valid",
            ),
            models.CheckConstraint(
                condition=Q(monthly_volume__isnull=True) | Q(monthly_volume__gt=0),
                name="workitem_volume_positive",
                violation_error_message="The monthly volume must be more than zero.",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("scope:workitem-detail", args=[self.pk])

    def clean(self):
        errors = {}
        if self.service_line_id and self.kind and self.service_line.kind != self.kind:
            errors["service_line"] = (
                f"{self.service_line} is {self.service_line.get_kind_display()} work; "
                f"pick a service line of the work item's kind ({self.get_kind_display()})."
            )
        if self.service_line_required and not self.service_line_id:
            errors["service_line_required"] = "Choose the service line that providers must offer."
        if self.monthly_volume and not self.volume_unit.strip():
            errors["volume_unit"] = "Say what the volume counts, e.g. invoices or tickets."
        if errors:
            raise ValidationError(errors)


class SuccessMetric(models.Model):
    """A target agreed before any pilot; pilots of this work item inherit it as a pilot metric."""

    work_item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="success_metrics")
    name = TextLine(max_length=100)
    unit = TextLine(max_length=30, blank=True)
    direction = models.CharField(max_length=16, choices=Direction.choices)
    target = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    critical = models.BooleanField(default=False, help_text="Missing a critical target closes the gate to expand.")
    cadence = models.CharField(max_length=7, choices=Cadence.choices, default=Cadence.WEEKLY)
    history = HistoricalRecords()

    class Meta:
        ordering = ["work_item", "-critical", "name"]
        constraints = [
            models.UniqueConstraint(fields=["work_item", "name"], name="successmetric_unique_name"),
            models.CheckConstraint(condition=Q(direction__in=Direction.values), name="successmetric_direction_valid"),
            models.CheckConstraint(condition=Q(cadence__in=Cadence.values), name="successmetric_cadence_valid"),
        ]

    def __str__(self):
        return f"{self.name} ({self.work_item})"


class Candidate(models.Model):
    """A provider considered for a work item; its fit is computed from the data and the evaluators'
    scores, never typed in."""

    work_item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="candidates")
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="candidacies")
    status = models.CharField(max_length=12, choices=CandidateStatus.choices, default=CandidateStatus.LONG_LIST)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["work_item", "provider__name"]
        indexes = [models.Index(fields=["provider", "status"], name="candidate_provider_status_idx")]
        constraints = [
            models.UniqueConstraint(fields=["work_item", "provider"], name="candidate_unique_per_item"),
            models.UniqueConstraint(
                fields=["work_item"],
                condition=Q(status=CandidateStatus.SELECTED),
                name="candidate_one_selected_per_item",
                violation_error_message="Another provider is already selected for this work item.",
            ),
            models.CheckConstraint(condition=Q(status__in=CandidateStatus.values), name="candidate_status_valid"),
        ]

    def __str__(self):
        return f"{self.provider} for {self.work_item}"


class EvaluationCriterion(models.Model):
    """A weighted criterion for comparing candidates; a work item's weights total 100."""

    work_item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="criteria")
    name = TextLine(max_length=100)
    weight = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(100)])
    basis = models.CharField(max_length=14, choices=CriterionBasis.choices, default=CriterionBasis.MANUAL)
    history = HistoricalRecords()

    class Meta:
        ordering = ["work_item", "-weight", "name"]
        verbose_name_plural = "evaluation criteria"
        constraints = [
            models.UniqueConstraint(fields=["work_item", "name"], name="criterion_unique_name"),
            models.CheckConstraint(
                condition=Q(weight__gte=1) & Q(weight__lte=100),
                name="criterion_weight_range",
                violation_error_message="A weight is between 1 and 100.",
            ),
            models.CheckConstraint(condition=Q(basis__in=CriterionBasis.values), name="criterion_basis_valid"),
        ]

    def __str__(self):
        return f"{self.name} ({self.weight})"


class Score(models.Model):
    """One evaluator's 1–5 score of a candidate on a manual criterion; several evaluators are averaged."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(EvaluationCriterion, on_delete=models.CASCADE, related_name="scores")
    evaluator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="scores")
    value = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(blank=True)
    scored_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["candidate", "criterion", "evaluator"]
        constraints = [
            models.UniqueConstraint(fields=["candidate", "criterion", "evaluator"], name="score_one_per_evaluator"),
            models.CheckConstraint(
                condition=Q(value__gte=1) & Q(value__lte=5),
                name="score_value_range",
                violation_error_message="A score is from 1 to 5.",
            ),
        ]

    def __str__(self):
        return f"{self.criterion.name}: {self.value} by {self.evaluator}"

    def clean(self):
        if self.candidate_id and self.criterion_id and self.candidate.work_item_id != self.criterion.work_item_id:
            raise ValidationError({"criterion": "Pick a criterion of the candidate's own work item."})
