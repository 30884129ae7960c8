import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.conftest import logged_in_client
from tests.factories import (
    CertificationTypeFactory,
    DeliveryCenterFactory,
    IndustryExperienceFactory,
    IndustryFactory,
    ProviderCertificationFactory,
    ProviderFactory,
    ServiceLineFactory,
    UserFactory,
)
from tests.support.exports import export_text
from vendors.models import Provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client():
    return logged_in_client(UserFactory(username="erin", groups=["editor"]))


def formset_data(prefix: str, rows: list[dict]) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0"}
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{key}": value for key, value in row.items()})
    return data


def provider_post(**overrides):
    iso = CertificationTypeFactory(code="ISO27001")
    data = {
        "name": "Acme Offshore",
        "website": "acme.example",
        "headquarters_country": "IN",
        "status": "prospect",
        "description": "",
        "blocked_reason": "",
        **formset_data("centres", [{"country": "IN", "city": "Pune", "headcount": "400", "time_zone": "Asia/Kolkata"}]),
        **formset_data(
            "certifications",
            [
                {
                    "certification_type": iso.pk,
                    "certificate_id": "ISO-1",
                    "issued_on": "2025-01-01",
                    "expires_on": "2028-01-01",
                    "verified": "on",
                    "evidence": SimpleUploadedFile("iso.pdf", b"%PDF-1.4 ok", content_type="application/pdf"),
                }
            ],
        ),
        **formset_data("experience", [{"industry": IndustryFactory().pk, "years": "7", "reference_clients": "2"}]),
        **formset_data("contacts", [{"name": "Priya Shah", "role": "Account director", "email": "priya@acme.example"}]),
    }
    data.update(overrides)
    return data


def test_editor_creates_a_provider_with_centres_certifications_experience_and_contacts(editor_client):
    response = editor_client.post(reverse("vendors:provider-add"), provider_post())
    assert response.status_code == 302
    provider = Provider.objects.get(name="Acme Offshore")
    assert response["Location"] == provider.get_absolute_url()
    assert provider.website == "https://acme.example"
    cert = provider.certifications.get()
    assert cert.verified_by.username == "erin" and cert.verified_at is not None
    assert cert.evidence.name.startswith(f"provider-{provider.pk}/")
    page = editor_client.get(provider.get_absolute_url()).content.decode()
    for text in ["Pune", "ISO27001", "Valid", "Priya Shah", "Offshore", cert.evidence_url]:
        assert text in page


def test_the_status_is_not_typed_in_but_changed_by_actions_and_blocking_needs_a_reason(editor_client):
    response = editor_client.post(reverse("vendors:provider-add"), provider_post(status="blocked"))
    assert response.status_code == 302
    provider = Provider.objects.get()
    assert provider.status == "prospect"  # a status in the form is ignored

    block = reverse("vendors:provider-action", args=[provider.pk, "block"])
    response = editor_client.post(block, {"reason": "  "})
    assert response.status_code == 400
    assert "Say why the provider is blocked." in response.content.decode()
    provider.refresh_from_db()
    assert provider.status == "prospect"

    assert editor_client.post(block, {"reason": "Data breach under investigation"}).status_code == 302
    provider.refresh_from_db()
    assert (provider.status, provider.blocked_reason) == ("blocked", "Data breach under investigation")
    record = provider.history.first()
    assert (record.history_change_reason, record.history_user.username) == (
        "Blocked: Data breach under investigation",
        "erin",
    )
    page = editor_client.get(provider.get_absolute_url()).content.decode()
    assert reverse("vendors:provider-action", args=[provider.pk, "unblock"]) in page
    assert editor_client.post(reverse("vendors:provider-action", args=[provider.pk, "offboard"])).status_code == 400


def test_evidence_of_the_wrong_type_is_refused(editor_client):
    data = provider_post()
    data["certifications-0-evidence"] = SimpleUploadedFile("cert.exe", b"MZ", content_type="application/octet-stream")
    response = editor_client.post(reverse("vendors:provider-add"), data)
    assert response.status_code == 200
    assert "File extension “exe” is not allowed" in response.content.decode()
    assert not Provider.objects.exists()


def test_evidence_is_served_only_to_signed_in_users_with_permission():
    cert = ProviderCertificationFactory()
    cert.evidence.save("iso.pdf", io.BytesIO(b"%PDF-1.4 evidence"), save=True)
    viewer = logged_in_client(UserFactory(groups=["viewer"]))
    response = viewer.get(cert.evidence_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 evidence"
    assert response["Cache-Control"] == "private, no-store"
    nobody = logged_in_client(UserFactory())
    assert nobody.get(cert.evidence_url).status_code == 403


@pytest.fixture
def portfolio():
    iso, pci = CertificationTypeFactory(code="ISO27001"), CertificationTypeFactory(code="PCI-DSS")
    health = IndustryFactory(name="Healthcare", slug="healthcare")
    knowledge = ServiceLineFactory(name="Market research", kind="knowledge")
    onshore = ProviderFactory(name="Leeds Ops", headquarters_country="GB")
    DeliveryCenterFactory(provider=onshore, country="GB", time_zone="Europe/London")
    ProviderCertificationFactory(provider=onshore, certification_type=iso)
    nearshore = ProviderFactory(name="Krakow Ops", headquarters_country="PL")
    DeliveryCenterFactory(provider=nearshore, country="PL", time_zone="Europe/Warsaw")
    ProviderCertificationFactory(provider=nearshore, certification_type=iso, verified_at=None, verified_by=None)
    IndustryExperienceFactory(provider=nearshore, industry=health)
    offshore = ProviderFactory(name="Pune Research", headquarters_country="IN", description="equity research desk")
    DeliveryCenterFactory(provider=offshore, country="IN")
    offshore.service_lines.add(knowledge)
    ProviderCertificationFactory(provider=offshore, certification_type=pci)
    return {"iso": iso, "pci": pci, "health": health, "knowledge": knowledge}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("location_class=onshore", ["Leeds Ops"]),
        ("location_class=nearshore", ["Krakow Ops"]),
        ("location_class=offshore", ["Pune Research"]),
        ("country=PL", ["Krakow Ops"]),
        ("valid_certification={iso}", ["Leeds Ops"]),  # Krakow's ISO 27001 is not verified
        ("industry={health}", ["Krakow Ops"]),
        ("kind=knowledge", ["Pune Research"]),
        ("service_line={knowledge}", ["Pune Research"]),
        ("q=equity", ["Pune Research"]),
        ("status=prospect&sort=-name", ["Pune Research", "Leeds Ops", "Krakow Ops"]),
    ],
)
def test_provider_filters(portfolio, query, expected):
    client = logged_in_client(UserFactory(groups=["viewer"]))
    query = query.format(**{key: obj.pk for key, obj in portfolio.items()})
    response = client.get(reverse("vendors:provider-list") + "?" + query + "&_export=csv")
    rows = list(csv.DictReader(io.StringIO(export_text(response))))
    assert [row["Name"] for row in rows] == expected


def test_csv_export_has_the_table_columns(portfolio):
    client = logged_in_client(UserFactory(groups=["viewer"]))
    response = client.get(reverse("vendors:provider-list") + "?_export=csv")
    assert response["Content-Type"].startswith("text/csv")
    header = export_text(response).splitlines()[0]
    assert header == "Name,Status,HQ,Delivery,Service kinds,Industries,Certification health,Open pilots"
