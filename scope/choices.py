from django.db import models


class Complexity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class DataSensitivity(models.TextChoices):
    PUBLIC = "public", "Public"
    INTERNAL = "internal", "Internal"
    CONFIDENTIAL = "confidential", "Confidential"
    REGULATED = "regulated", "Regulated"


class PreferredDelivery(models.TextChoices):
    ONSHORE = "onshore", "Onshore"
    NEARSHORE = "nearshore", "Nearshore"
    OFFSHORE = "offshore", "Offshore"
    ANY = "any", "Any"


class WorkItemStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    READY = "ready", "Ready"
    SOURCING = "sourcing", "Sourcing"
    PILOTING = "piloting", "Piloting"
    SCALED = "scaled", "Scaled"
    RETIRED = "retired", "Retired"


class Direction(models.TextChoices):
    HIGHER_IS_BETTER = "higher_is_better", "Higher is better"
    LOWER_IS_BETTER = "lower_is_better", "Lower is better"


class Cadence(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"


class CandidateStatus(models.TextChoices):
    LONG_LIST = "long_list", "Long list"
    SHORTLISTED = "shortlisted", "Shortlisted"
    REJECTED = "rejected", "Rejected"
    SELECTED = "selected", "Selected"


class CriterionBasis(models.TextChoices):
    """Criteria with a computable basis are scored from data; `manual` ones by evaluators."""

    INDUSTRY = "industry", "Industry familiarity (computed)"
    CERTIFICATIONS = "certifications", "Certification coverage (computed)"
    DELIVERY = "delivery", "Delivery match (computed)"
    MANUAL = "manual", "Scored by evaluators"


# What judges each kind of work: offered to a new work item, the user sets the targets.
SUGGESTED_METRICS = {
    "process": [
        ("Turnaround time", "hours", Direction.LOWER_IS_BETTER),
        ("Accuracy", "%", Direction.HIGHER_IS_BETTER),
        ("Cost per transaction", "GBP", Direction.LOWER_IS_BETTER),
        ("SLA adherence", "%", Direction.HIGHER_IS_BETTER),
    ],
    "knowledge": [
        ("Reviewer quality score", "score 1–5", Direction.HIGHER_IS_BETTER),
        ("Rework rate", "%", Direction.LOWER_IS_BETTER),
        ("On-time delivery of reports", "%", Direction.HIGHER_IS_BETTER),
        ("Cost per deliverable", "GBP", Direction.LOWER_IS_BETTER),
    ],
}
