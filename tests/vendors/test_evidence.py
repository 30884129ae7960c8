"""Uploaded evidence: checked by its bytes, always a download, refused early when too large, and a
replaced file does not linger in storage."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.conftest import logged_in_client
from tests.factories import UserFactory
from vendors.models import Provider, ProviderCertification, evidence_storage

from .test_views import editor_client, provider_post  # noqa: F401

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.mark.parametrize(
    ("name", "content"),
    [("iso.pdf", b"<html><script>alert(1)</script></html>"), ("scan.png", b"GIF89a" + b"\x00" * 40), ("x.jpg", b"MZ")],
)
def test_evidence_whose_bytes_are_not_a_pdf_png_or_jpeg_is_refused(editor_client, name, content):  # noqa: F811
    data = provider_post()
    data["certifications-0-evidence"] = SimpleUploadedFile(name, content, content_type="application/pdf")
    response = editor_client.post(reverse("vendors:provider-add"), data)
    assert response.status_code == 200
    assert "The file is not a PDF, PNG or JPEG" in response.content.decode()
    assert not Provider.objects.exists()


def test_a_real_png_is_accepted_and_served_as_a_download(editor_client):  # noqa: F811
    data = provider_post()
    data["certifications-0-evidence"] = SimpleUploadedFile("scan.png", PNG, content_type="image/png")
    assert editor_client.post(reverse("vendors:provider-add"), data).status_code == 302
    cert = ProviderCertification.objects.get()
    response = logged_in_client(UserFactory(groups=["viewer"])).get(cert.evidence_url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_replaced_evidence_file_is_deleted_from_storage(editor_client, django_capture_on_commit_callbacks):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(reverse("vendors:provider-add"), provider_post())
    provider = Provider.objects.get()
    cert = provider.certifications.get()
    old = cert.evidence.name
    assert evidence_storage().exists(old)
    data = provider_post(name=provider.name)
    for prefix in ("centres", "certifications", "experience", "contacts"):
        data[f"{prefix}-INITIAL_FORMS"] = "0"
    data.update(
        {
            "certifications-TOTAL_FORMS": "1",
            "certifications-INITIAL_FORMS": "1",
            "certifications-0-id": str(cert.pk),
            "certifications-0-evidence": SimpleUploadedFile("new.png", PNG, content_type="image/png"),
            "centres-TOTAL_FORMS": "0",
            "experience-TOTAL_FORMS": "0",
            "contacts-TOTAL_FORMS": "0",
        }
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(reverse("vendors:provider-edit", args=[provider.pk]), data)
    assert response.status_code == 302, response.context and response.context["formsets"]
    cert.refresh_from_db()
    assert cert.evidence.name != old and evidence_storage().exists(cert.evidence.name)
    assert not evidence_storage().exists(old)


def test_an_oversized_upload_is_refused_before_its_body_is_read(editor_client, settings):  # noqa: F811
    settings.MAX_REQUEST_BYTES = 1024
    response = editor_client.post(reverse("vendors:provider-add"), {"name": "x"}, CONTENT_LENGTH=str(300 * 1024 * 1024))
    assert response.status_code == 413
    assert "Upload too large" in response.content.decode() and "300.0 MB" in response.content.decode()
    assert not Provider.objects.exists()


@pytest.mark.parametrize("name", ["provider-1/iso\x00.pdf", "provider-1/\u202eevil.pdf", "../../etc/passwd"])
def test_crafted_evidence_paths_are_not_found(name):
    client = logged_in_client(UserFactory(groups=["viewer"]))
    assert client.get(reverse("vendors:certification-evidence", args=[name])).status_code == 404
