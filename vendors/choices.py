from django.db import models


class WorkKind(models.TextChoices):
    """BPO is routine process work, KPO expert knowledge work; each is judged by its own metrics."""

    PROCESS = "process", "Process (BPO)"
    KNOWLEDGE = "knowledge", "Knowledge (KPO)"


class CertificationCategory(models.TextChoices):
    SECURITY = "security", "Security"
    QUALITY = "quality", "Quality"
    PRIVACY = "privacy", "Privacy"


class PricingBasis(models.TextChoices):
    PER_TRANSACTION = "per_transaction", "Per transaction"
    PER_FTE = "per_fte", "Per FTE"
    PER_OUTCOME = "per_outcome", "Per outcome"
    FIXED_FEE = "fixed_fee", "Fixed fee"


class ProviderStatus(models.TextChoices):
    PROSPECT = "prospect", "Prospect"
    SHORTLISTED = "shortlisted", "Shortlisted"
    PILOTING = "piloting", "Piloting"
    APPROVED = "approved", "Approved"
    ACTIVE = "active", "Active"
    OFFBOARDED = "offboarded", "Offboarded"
    BLOCKED = "blocked", "Blocked"


class LocationClass(models.TextChoices):
    ONSHORE = "onshore", "Onshore"
    NEARSHORE = "nearshore", "Nearshore"
    OFFSHORE = "offshore", "Offshore"


class CertificationStatus(models.TextChoices):
    VALID = "valid", "Valid"
    EXPIRING = "expiring", "Expiring"
    EXPIRED = "expired", "Expired"
    UNVERIFIED = "unverified", "Unverified"
