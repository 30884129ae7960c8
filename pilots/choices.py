from django.db import models


class PilotStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    IN_REVIEW = "in_review", "In review"
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    EXPANDED = "expanded", "Expanded"
    CLOSED = "closed", "Closed"


class MeasurementSource(models.TextChoices):
    MANUAL = "manual", "Manual"
    IMPORT = "import", "Import"
    API = "api", "API"
    PROVIDER = "provider", "Provider"


class DisputeSide(models.TextChoices):
    """Who raised a dispute: the buying team, or the provider through its submission link."""

    BUYER = "buyer", "Buyer"
    PROVIDER = "provider", "Provider"


class DisputeStatus(models.TextChoices):
    OPEN = "open", "Open"
    CORRECTED = "corrected", "Resolved by a correction"
    WITHDRAWN = "withdrawn", "Withdrawn"


class FlagKind(models.TextChoices):
    TARGET_MISSED = "target_missed", "Target missed"
    NEAR_MISS = "near_miss", "At risk"
    MISSING_DATA = "missing_data", "Missing data"
    INSUFFICIENT_EVIDENCE = "insufficient_evidence", "Insufficient evidence"
    DECISION_OVERDUE = "decision_overdue", "Decision overdue"
    CERTIFICATION_LAPSED = "certification_lapsed", "Certification lapsed"


class Severity(models.TextChoices):
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


class DecisionOutcome(models.TextChoices):
    EXPAND = "expand", "Expand"
    EXTEND = "extend", "Extend"
    STOP = "stop", "Stop"
