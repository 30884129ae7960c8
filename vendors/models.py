import datetime
import functools
import zoneinfo

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from config.fields import TextLine, validate_sensible_date
from config.imports import ImportRecord

from .choices import (
    CertificationCategory,
    CertificationStatus,
    LocationClass,
    PricingBasis,
    ProviderStatus,
    WorkKind,
)
from .lifecycle import PILOTABLE

# --- Derived rules ----------------------------------------------------------------------------
# Each derived value has one Python function (for a single object) and one SQL expression (for
# filtering and sorting lists); tests check that both give the same answer.


def location_class_for(country_code: str) -> str:
    """Onshore is the organisation's own country, nearshore the listed neighbours, the rest offshore."""
    code = str(country_code or "")
    if code == settings.HOME_COUNTRY:
        return LocationClass.ONSHORE
    if code in settings.NEARSHORE_COUNTRIES:
        return LocationClass.NEARSHORE
    return LocationClass.OFFSHORE


def location_class_expression(country_field: str = "country") -> Case:
    return Case(
        When(**{country_field: settings.HOME_COUNTRY}, then=Value(LocationClass.ONSHORE.value)),
        When(**{f"{country_field}__in": settings.NEARSHORE_COUNTRIES}, then=Value(LocationClass.NEARSHORE.value)),
        default=Value(LocationClass.OFFSHORE.value),
        output_field=models.CharField(max_length=10),
    )


def countries_in_location_class(location_class: str) -> tuple[list[str], bool]:
    """The country codes of a class, and whether the class is everything *except* those codes.

    Offshore is open-ended (any country that is neither home nor nearshore), so it is expressed
    as an exclusion; callers turn the pair into `country__in` or `~Q(country__in=...)`.
    """
    if location_class == LocationClass.ONSHORE:
        return [settings.HOME_COUNTRY], False
    if location_class == LocationClass.NEARSHORE:
        return [c for c in settings.NEARSHORE_COUNTRIES if c != settings.HOME_COUNTRY], False
    return [settings.HOME_COUNTRY, *settings.NEARSHORE_COUNTRIES], True


def certification_status_for(
    *, expires_on: datetime.date | None, verified_at: datetime.datetime | None, today: datetime.date | None = None
) -> str:
    """Expired wins over everything (an expired certificate proves nothing), then unverified, then
    expiring within the warning window; a certificate with no expiry date never expires."""
    today = today or timezone.localdate()
    if expires_on is not None and expires_on < today:
        return CertificationStatus.EXPIRED
    if verified_at is None:
        return CertificationStatus.UNVERIFIED
    if expires_on is not None and expires_on <= today + datetime.timedelta(days=settings.CERT_EXPIRY_WARNING_DAYS):
        return CertificationStatus.EXPIRING
    return CertificationStatus.VALID


def certification_status_expression(prefix: str = "", today: datetime.date | None = None) -> Case:
    today = today or timezone.localdate()
    warn_until = today + datetime.timedelta(days=settings.CERT_EXPIRY_WARNING_DAYS)
    return Case(
        When(**{f"{prefix}expires_on__lt": today}, then=Value(CertificationStatus.EXPIRED.value)),
        When(**{f"{prefix}verified_at__isnull": True}, then=Value(CertificationStatus.UNVERIFIED.value)),
        When(**{f"{prefix}expires_on__lte": warn_until}, then=Value(CertificationStatus.EXPIRING.value)),
        default=Value(CertificationStatus.VALID.value),
        output_field=models.CharField(max_length=10),
    )


@functools.cache
def time_zone_names() -> frozenset[str]:
    # Listing them walks the time zone database on disk (tens of milliseconds): once per process,
    # not once per delivery centre of a spreadsheet.
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in time_zone_names():
        raise ValidationError("'%(value)s' is not a known time zone, e.g. Asia/Kolkata.", params={"value": value})


# --- Reference data ---------------------------------------------------------------------------


class Industry(models.Model):
    """An industry a provider can know; familiarity with the client's industry makes a provider adapt
    faster, so fit scoring rewards it."""

    name = TextLine(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "industries"

    def __str__(self):
        return self.name


class CertificationType(models.Model):
    """A kind of certificate (ISO 27001, SOC 2 Type II, ...) a work item may require as a hard gate."""

    code = TextLine(max_length=20, unique=True)
    name = TextLine(max_length=150)
    category = models.CharField(max_length=10, choices=CertificationCategory.choices)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=CertificationCategory.values), name="certtype_category_valid"
            ),
        ]

    def __str__(self):
        return self.code


class ServiceLine(models.Model):
    """A line of outsourced service; its kind says whether it is process (BPO) or knowledge (KPO) work."""

    name = TextLine(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=WorkKind.choices)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [models.CheckConstraint(condition=Q(kind__in=WorkKind.values), name="serviceline_kind_valid")]

    def __str__(self):
        return self.name


class Language(models.Model):
    """A working language (ISO 639-1 code) a provider offers or a work item requires."""

    code = TextLine(max_length=8, unique=True)
    name = TextLine(max_length=60)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class PricingModel(models.Model):
    """A commercial basis a provider offers; kept as rows so lists can filter on it in any database."""

    code = models.CharField(max_length=20, unique=True, choices=PricingBasis.choices)
    name = TextLine(max_length=60)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


# --- Providers --------------------------------------------------------------------------------


class ProviderQuerySet(models.QuerySet):
    def eligible_for_pilots(self):
        return self.filter(status__in=PILOTABLE)


class Provider(models.Model):
    """An outsourcing provider that could do the work; blocked providers cannot start new pilots."""

    name = TextLine(max_length=200, unique=True)
    website = models.URLField(blank=True)
    headquarters_country = CountryField()
    description = models.TextField(blank=True)
    service_lines = models.ManyToManyField(ServiceLine, blank=True, related_name="providers")
    languages = models.ManyToManyField(Language, blank=True, related_name="providers")
    pricing_models = models.ManyToManyField(PricingModel, blank=True, related_name="providers")
    status = models.CharField(max_length=12, choices=ProviderStatus.choices, default=ProviderStatus.PROSPECT)
    blocked_reason = models.TextField(blank=True, help_text="Required when the status is blocked.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_providers"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = ProviderQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["status", "name"], name="provider_status_name_idx"),
            models.Index(fields=["headquarters_country"], name="provider_hq_idx"),
            models.Index(fields=["-updated_at"], name="provider_updated_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ProviderStatus.values), name="provider_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=ProviderStatus.BLOCKED) | ~Q(blocked_reason=""),
                name="provider_blocked_has_reason",
                violation_error_message="A blocked provider needs a reason.",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("vendors:provider-detail", args=[self.pk])

    def clean(self):
        if self.status == ProviderStatus.BLOCKED and not self.blocked_reason.strip():
            raise ValidationError({"blocked_reason": "Say why the provider is blocked."})

    @property
    def is_blocked(self) -> bool:
        return self.status == ProviderStatus.BLOCKED

    @property
    def delivery_options(self) -> list[str]:
        """The location classes the provider can deliver from, in onshore → offshore order."""
        found = {centre.location_class for centre in self.delivery_centers.all()}
        return [value for value in LocationClass.values if value in found]


class DeliveryCenterQuerySet(models.QuerySet):
    def in_location_class(self, location_class: str):
        """Centres whose country falls in `location_class` (onshore, nearshore or offshore)."""
        codes, exclude = countries_in_location_class(location_class)
        return self.exclude(country__in=codes) if exclude else self.filter(country__in=codes)


class DeliveryCenter(models.Model):
    """A site the provider delivers from; its country decides whether the work is on-, near- or offshore."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="delivery_centers")
    country = CountryField()
    city = TextLine(max_length=100)
    headcount = models.PositiveIntegerField(default=0)
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    history = HistoricalRecords()

    objects = DeliveryCenterQuerySet.as_manager()

    class Meta:
        ordering = ["provider", "country", "city"]
        indexes = [models.Index(fields=["country", "provider"], name="centre_country_provider_idx")]
        constraints = [
            models.UniqueConstraint(fields=["provider", "country", "city"], name="centre_unique_per_city"),
        ]

    def __str__(self):
        return f"{self.city}, {self.country.name}"

    @property
    def location_class(self) -> str:
        return location_class_for(self.country.code)


class IndustryExperience(models.Model):
    """How long a provider has served an industry, and with how many clients willing to vouch for it."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="industry_experience")
    industry = models.ForeignKey(Industry, on_delete=models.PROTECT, related_name="provider_experience")
    years = models.PositiveSmallIntegerField()
    reference_clients = models.PositiveSmallIntegerField(default=0, help_text="Clients willing to give a reference.")
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["provider", "-years"]
        verbose_name_plural = "industry experience"
        indexes = [models.Index(fields=["industry", "provider"], name="experience_industry_idx")]
        constraints = [
            models.UniqueConstraint(fields=["provider", "industry"], name="experience_unique_per_industry"),
            models.CheckConstraint(condition=Q(years__lte=100), name="experience_years_plausible"),
        ]

    def __str__(self):
        return f"{self.provider} — {self.industry} ({self.years} y)"


def evidence_upload_to(instance: "ProviderCertification", filename: str) -> str:
    return f"provider-{instance.provider_id}/{filename}"


def evidence_storage():
    """Evidence lives in its own private storage whose URLs point at a permission-checked view."""
    return storages["evidence"]


EVIDENCE_EXTENSIONS = ["pdf", "png", "jpg", "jpeg"]


EVIDENCE_CONTENT_TYPES = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG"}


def validate_evidence_content(file) -> None:
    """Evidence is what its bytes say it is, not what its name says: a PDF, PNG or JPEG."""
    if getattr(file, "_committed", False):
        return  # stored already, and checked when it was uploaded
    position = file.tell() if hasattr(file, "tell") else 0
    file.seek(0)
    head = file.read(8192)
    file.seek(position)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in EVIDENCE_CONTENT_TYPES:
        raise ValidationError(
            "The file is not a PDF, PNG or JPEG (its content says %(found)s).",
            params={"found": kind.mime if kind else "unknown data"},
        )
    extension = (file.name or "").rsplit(".", 1)[-1].lower()
    if {"jpeg": "jpg"}.get(extension, extension) != kind.extension:
        raise ValidationError(
            "The file's content is %(kind)s but its name ends in .%(extension)s; rename it to match.",
            params={"kind": EVIDENCE_CONTENT_TYPES[kind.mime], "extension": extension},
        )


def validate_evidence_size(file) -> None:
    if getattr(file, "_committed", False):
        return
    if file.size > settings.EVIDENCE_MAX_BYTES:
        raise ValidationError(
            "The evidence file is %(size)s MB; the limit is %(limit)s MB.",
            params={"size": round(file.size / 1_048_576, 1), "limit": settings.EVIDENCE_MAX_BYTES // 1_048_576},
        )


class ProviderCertificationQuerySet(models.QuerySet):
    def with_status(self, today: datetime.date | None = None):
        return self.annotate(computed_status=certification_status_expression(today=today))

    def valid_through(self, day: datetime.date):
        """Verified certificates that are still in force on `day` (no expiry date counts as in force)."""
        return self.filter(verified_at__isnull=False).filter(Q(expires_on__isnull=True) | Q(expires_on__gte=day))


class ProviderCertification(models.Model):
    """A certificate a provider holds, with its evidence; status (valid, expiring, expired, unverified)
    is derived from the dates and the verification, never typed in."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="certifications")
    certification_type = models.ForeignKey(CertificationType, on_delete=models.PROTECT, related_name="holdings")
    certificate_id = TextLine("certificate ID", max_length=100)
    issuer = TextLine(max_length=150, blank=True)
    issued_on = models.DateField(null=True, blank=True, validators=[validate_sensible_date])
    expires_on = models.DateField(null=True, blank=True, validators=[validate_sensible_date])
    scope_note = models.TextField(blank=True)
    evidence = models.FileField(
        upload_to=evidence_upload_to,
        storage=evidence_storage,
        blank=True,
        max_length=255,
        validators=[FileExtensionValidator(EVIDENCE_EXTENSIONS), validate_evidence_size, validate_evidence_content],
        help_text="PDF or image of the certificate, at most 10 MB.",
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    objects = ProviderCertificationQuerySet.as_manager()

    class Meta:
        ordering = ["provider", "certification_type"]
        indexes = [
            models.Index(fields=["certification_type", "expires_on"], name="cert_type_expiry_idx"),
            models.Index(fields=["expires_on"], name="cert_expiry_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "certification_type", "certificate_id"], name="cert_unique_per_provider"
            ),
            models.CheckConstraint(
                condition=Q(issued_on__isnull=True) | Q(expires_on__isnull=True) | Q(expires_on__gt=F("issued_on")),
                name="cert_expires_after_issue",
                violation_error_message="A certificate must expire after it was issued.",
            ),
            models.CheckConstraint(
                condition=Q(verified_at__isnull=True) | Q(verified_by__isnull=False),
                name="cert_verified_has_verifier",
                violation_error_message="A verified certificate needs the name of who verified it.",
            ),
        ]

    def __str__(self):
        return f"{self.certification_type.code} — {self.provider}"

    @property
    def evidence_url(self) -> str:
        """The permission-checked download, never the storage's own (public or signed) address."""
        return reverse("vendors:certification-evidence", args=[self.evidence.name]) if self.evidence else ""

    @property
    def status(self) -> str:
        return certification_status_for(expires_on=self.expires_on, verified_at=self.verified_at)

    def is_valid_through(self, day: datetime.date) -> bool:
        return self.verified_at is not None and (self.expires_on is None or self.expires_on >= day)


class Contact(models.Model):
    """A person at the provider the team deals with."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="contacts")
    name = TextLine(max_length=150)
    email = models.EmailField(blank=True)
    role = TextLine(max_length=100, blank=True)
    phone = TextLine(max_length=40, blank=True)

    class Meta:
        ordering = ["provider", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "email"], condition=~Q(email=""), name="contact_unique_email_per_provider"
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.provider})"


class ProviderImport(ImportRecord):
    """The team's vendor list from a spreadsheet, previewed and then applied (or discarded)."""

    class Meta(ImportRecord.Meta):
        indexes = [models.Index(fields=["-uploaded_at"], name="provider_import_uploaded_idx")]

    def file_url(self) -> str:
        return reverse("vendors:provider-import-file", args=[self.pk])
