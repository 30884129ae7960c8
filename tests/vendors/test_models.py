import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.factories import (
    ContactFactory,
    DeliveryCenterFactory,
    IndustryExperienceFactory,
    IndustryFactory,
    ProviderCertificationFactory,
    ProviderFactory,
)
from vendors.choices import CertificationStatus, LocationClass, ProviderStatus
from vendors.models import (
    DeliveryCenter,
    Provider,
    ProviderCertification,
    certification_status_for,
    location_class_expression,
    location_class_for,
)

pytestmark = pytest.mark.django_db


def integrity_error(factory, **kwargs):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**kwargs)


# --- Location class ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        ("GB", LocationClass.ONSHORE),
        ("IE", LocationClass.NEARSHORE),
        ("PL", LocationClass.NEARSHORE),
        ("IN", LocationClass.OFFSHORE),
        ("US", LocationClass.OFFSHORE),
    ],
)
def test_location_class_follows_home_and_nearshore_settings(country, expected):
    centre = DeliveryCenterFactory(country=country)
    assert centre.location_class == expected
    annotated = DeliveryCenter.objects.annotate(lc=location_class_expression()).get(pk=centre.pk)
    assert annotated.lc == expected


def test_location_class_moves_with_the_home_country(settings):
    settings.HOME_COUNTRY = "IN"
    settings.NEARSHORE_COUNTRIES = ["LK"]
    assert location_class_for("IN") == LocationClass.ONSHORE
    assert location_class_for("LK") == LocationClass.NEARSHORE
    assert location_class_for("GB") == LocationClass.OFFSHORE


def test_provider_delivery_options_are_the_set_over_its_centres():
    provider = ProviderFactory()
    DeliveryCenterFactory(provider=provider, country="IN")
    DeliveryCenterFactory(provider=provider, country="PH", time_zone="Asia/Manila")
    DeliveryCenterFactory(provider=provider, country="GB", time_zone="Europe/London")
    assert provider.delivery_options == [LocationClass.ONSHORE, LocationClass.OFFSHORE]


# --- Certification status ---------------------------------------------------------------------

TODAY = datetime.date(2026, 6, 1)
VERIFIED = timezone.now()


@pytest.mark.parametrize(
    ("expires_in", "verified", "expected"),
    [
        (None, True, CertificationStatus.VALID),
        (61, True, CertificationStatus.VALID),
        (60, True, CertificationStatus.EXPIRING),  # exactly at the warning window
        (1, True, CertificationStatus.EXPIRING),
        (0, True, CertificationStatus.EXPIRING),  # expires today: still in force today
        (-1, True, CertificationStatus.EXPIRED),
        (-1, False, CertificationStatus.EXPIRED),  # expired wins over unverified
        (300, False, CertificationStatus.UNVERIFIED),
        (None, False, CertificationStatus.UNVERIFIED),
    ],
)
def test_certification_status_at_its_boundaries(expires_in, verified, expected):
    expires_on = None if expires_in is None else TODAY + datetime.timedelta(days=expires_in)
    verified_at = VERIFIED if verified else None
    assert certification_status_for(expires_on=expires_on, verified_at=verified_at, today=TODAY) == expected

    cert = ProviderCertificationFactory(issued_on=None, expires_on=expires_on)
    if not verified:
        ProviderCertification.objects.filter(pk=cert.pk).update(verified_at=None, verified_by=None)
    annotated = ProviderCertification.objects.with_status(today=TODAY).get(pk=cert.pk)
    assert annotated.computed_status == expected


def test_warning_window_is_a_setting(settings):
    settings.CERT_EXPIRY_WARNING_DAYS = 10
    soon = TODAY + datetime.timedelta(days=30)
    assert certification_status_for(expires_on=soon, verified_at=VERIFIED, today=TODAY) == CertificationStatus.VALID


def test_valid_through_excludes_unverified_and_lapsing_certificates():
    day = timezone.localdate() + datetime.timedelta(days=100)
    keeps = ProviderCertificationFactory(expires_on=day)
    ProviderCertificationFactory(expires_on=day - datetime.timedelta(days=1))
    ProviderCertificationFactory(verified_at=None, verified_by=None)
    assert list(ProviderCertification.objects.valid_through(day)) == [keeps]
    assert keeps.is_valid_through(day)
    assert not keeps.is_valid_through(day + datetime.timedelta(days=1))


# --- Constraints ------------------------------------------------------------------------------


def test_provider_name_is_unique():
    ProviderFactory(name="Acme")
    integrity_error(ProviderFactory, name="Acme")


def test_blocked_provider_needs_a_reason_in_database_and_form():
    integrity_error(ProviderFactory, status=ProviderStatus.BLOCKED, blocked_reason="")
    provider = Provider(name="Blocked Ltd", headquarters_country="GB", status=ProviderStatus.BLOCKED)
    with pytest.raises(ValidationError) as exc:
        provider.full_clean()
    assert "blocked_reason" in exc.value.message_dict


def test_certificate_must_expire_after_issue():
    today = timezone.localdate()
    integrity_error(ProviderCertificationFactory, issued_on=today, expires_on=today)
    cert = ProviderCertificationFactory()
    cert.issued_on, cert.expires_on = today, today - datetime.timedelta(days=1)
    with pytest.raises(ValidationError, match="expire after it was issued"):
        cert.full_clean()


def test_verified_certificate_needs_a_verifier():
    integrity_error(ProviderCertificationFactory, verified_by=None, verified_at=timezone.now())


def test_one_industry_experience_row_per_industry():
    provider, industry = ProviderFactory(), IndustryFactory()
    IndustryExperienceFactory(provider=provider, industry=industry)
    integrity_error(IndustryExperienceFactory, provider=provider, industry=industry)


def test_contact_email_unique_per_provider_but_blank_allowed_twice():
    provider = ProviderFactory()
    ContactFactory(provider=provider, email="a@x.example")
    integrity_error(ContactFactory, provider=provider, email="a@x.example")
    ContactFactory(provider=provider, email="")
    ContactFactory(provider=provider, email="")


def test_delivery_centre_time_zone_is_validated():
    centre = DeliveryCenterFactory.build(provider=ProviderFactory(), time_zone="Mars/Olympus")
    with pytest.raises(ValidationError) as exc:
        centre.full_clean()
    assert "time_zone" in exc.value.message_dict


def test_evidence_upload_is_checked_for_type_and_size(settings):
    settings.EVIDENCE_MAX_BYTES = 1024
    cert = ProviderCertificationFactory()
    cert.evidence = SimpleUploadedFile("cert.exe", b"MZ" * 10)
    with pytest.raises(ValidationError) as exc:
        cert.full_clean()
    assert "evidence" in exc.value.message_dict
    cert.evidence = SimpleUploadedFile("cert.pdf", b"%PDF" + b"0" * 2048)
    with pytest.raises(ValidationError, match="the limit is"):
        cert.full_clean()
