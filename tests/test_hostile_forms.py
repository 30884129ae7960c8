"""Crafted form posts that used to reach the database: each is now a message on the form, and
nothing of a refused save stays behind (rows or files)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pilots.choices import PilotStatus
from scope.models import EvaluationCriterion
from tests.conftest import logged_in_client
from tests.factories import (
    ContactFactory,
    PilotFactory,
    PilotMetricFactory,
    ProviderFactory,
    UserFactory,
    WorkItemFactory,
)
from tests.support.exports import export_text
from tests.support.forms import form_data
from vendors.models import Contact, ProviderCertification, evidence_storage

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client():
    return logged_in_client(UserFactory(username="hostile-editor", groups=["editor"]))


def test_a_repeated_contact_email_is_a_message_and_the_evidence_of_the_refused_save_is_gone(editor_client):
    contact = ContactFactory(email="ines@example.com")
    provider = contact.provider
    url = reverse("vendors:provider-edit", args=[provider.pk])
    data = form_data(editor_client.get(url))
    data.update({"contacts-1-name": "Other", "contacts-1-email": "ines@example.com"})
    cert_type = data.get("certifications-0-certification_type")
    from tests.factories import CertificationTypeFactory

    data.update(
        {
            "certifications-0-certification_type": cert_type or CertificationTypeFactory().pk,
            "certifications-0-certificate_id": "ORPHAN-1",
            "certifications-0-evidence": SimpleUploadedFile("orphan.pdf", b"%PDF-1.4 orphan"),
        }
    )
    response = editor_client.post(url, data)
    assert response.status_code == 200
    assert "Two contacts cannot have the same email per provider" in response.content.decode()
    assert Contact.objects.filter(provider=provider).count() == 1
    assert not ProviderCertification.objects.exists()
    folder = f"provider-{provider.pk}"
    assert not evidence_storage().exists(folder) or evidence_storage().listdir(folder)[1] == []


def test_rows_that_differ_only_by_an_invisible_character_are_one_row(editor_client):
    provider = ProviderFactory()
    url = reverse("vendors:provider-edit", args=[provider.pk])
    data = form_data(editor_client.get(url))
    rows = {"country": "IN", "headcount": "10", "time_zone": "Asia/Kolkata"}
    data.update({f"centres-0-{k}": v for k, v in {**rows, "city": "Pune"}.items()})
    data.update({f"centres-1-{k}": v for k, v in {**rows, "city": "Pune\u202e"}.items()})
    data["centres-TOTAL_FORMS"] = "2"
    response = editor_client.post(url, data)
    assert response.status_code == 200 and "Please correct the duplicate data" in response.content.decode()
    assert not provider.delivery_centers.exists()


def test_criteria_saved_as_a_whole_or_not_at_all(editor_client):
    item = WorkItemFactory()
    EvaluationCriterion.objects.filter(work_item=item).delete()
    for name in ("Cost", "Quality"):
        EvaluationCriterion.objects.create(work_item=item, name=name, weight=50)
    before = sorted(EvaluationCriterion.objects.filter(work_item=item).values_list("name", "weight"))
    url = reverse("scope:workitem-criteria", args=[item.pk])
    data = form_data(editor_client.get(url))
    n = int(data["criteria-TOTAL_FORMS"])
    data.update({"criteria-0-weight": str(int(data["criteria-0-weight"]) - 10), "criteria-TOTAL_FORMS": str(n + 1)})
    for i, name in ((n - 1, "Speed"), (n, "Speed\u202e")):
        data.update({f"criteria-{i}-name": name, f"criteria-{i}-weight": "5", f"criteria-{i}-basis": "manual"})
    response = editor_client.post(url, data)
    assert response.status_code == 400
    assert sorted(EvaluationCriterion.objects.filter(work_item=item).values_list("name", "weight")) == before


def test_a_tampered_initial_form_count_is_not_a_server_error(editor_client):
    pilot = PilotFactory(status=PilotStatus.PLANNED)
    PilotMetricFactory(pilot=pilot, name="Accuracy")
    url = reverse("pilots:pilot-edit", args=[pilot.pk])
    data = {**form_data(editor_client.get(url)), "metrics-INITIAL_FORMS": "0"}
    response = editor_client.post(url, data)
    assert response.status_code in (200, 302)
    assert pilot.metrics.filter(name="Accuracy").count() == 1


def test_ids_no_row_can_have_are_invalid_choices(editor_client):
    provider = ProviderFactory()
    url = reverse("vendors:provider-edit", args=[provider.pk])
    data = {**form_data(editor_client.get(url)), "service_lines": ["99999999999999999999", "-99999999999999999999"]}
    response = editor_client.post(url, data)
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()


def test_the_export_keeps_typed_text_as_typed(editor_client):
    ProviderFactory(name="a<b & c>d")
    text = export_text(editor_client.get(reverse("vendors:provider-list") + "?_export=csv"))
    assert "a<b & c>d" in text


def test_evidence_whose_name_does_not_match_its_content_is_refused(editor_client):
    provider = ProviderFactory()
    url = reverse("vendors:provider-edit", args=[provider.pk])
    data = form_data(editor_client.get(url))
    from tests.factories import CertificationTypeFactory

    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    data.update(
        {
            "certifications-0-certification_type": CertificationTypeFactory().pk,
            "certifications-0-certificate_id": "X-1",
            "certifications-0-evidence": SimpleUploadedFile("scan.pdf", png),
        }
    )
    response = editor_client.post(url, data)
    assert response.status_code == 200 and "content is PNG but its name ends in .pdf" in response.content.decode()


def test_related_id_fields_of_the_model_forms_check_their_range():
    from config.fields import IdChoiceField, IdsChoiceField
    from pilots.forms import PilotCreateForm
    from scope.forms import WorkItemForm
    from vendors.forms import ProviderForm

    for form in (ProviderForm(), WorkItemForm(), PilotCreateForm()):
        for name, field in form.fields.items():
            if hasattr(field, "queryset"):
                assert isinstance(field, IdChoiceField | IdsChoiceField), (type(form).__name__, name)
    form = ProviderForm(data={"name": "X", "headquarters_country": "GB", "languages": ["99999999999999999999"]})
    assert not form.is_valid() and "languages" in form.errors


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Bos\u034fton", "Boston"),
        ("Atlas\u00a0Insight  Partners", "Atlas Insight Partners"),
        ("Bogota\u0301", "Bogotá"),
        ("Cost\ufe0f", "Cost"),
        ("\u3164Acme\u2800", "Acme"),
        ("Line\u2028break", "Line break"),
    ],
)
def test_names_that_would_look_the_same_are_stored_the_same(typed, stored):
    from config.fields import one_line

    assert one_line(typed) == stored


def test_a_pilot_started_while_its_edit_form_was_open_is_a_conflict(editor_client):
    import datetime

    from django.utils import timezone

    pilot = PilotFactory(status=PilotStatus.PLANNED, ends_on=timezone.localdate() + datetime.timedelta(weeks=8))
    PilotMetricFactory(pilot=pilot, name="Accuracy")
    url = reverse("pilots:pilot-edit", args=[pilot.pk])
    opened = form_data(editor_client.get(url))
    pilot.status = PilotStatus.RUNNING  # started by someone else meanwhile
    type(pilot).objects.filter(pk=pilot.pk).update(status=PilotStatus.RUNNING)
    response = editor_client.post(url, {**opened, "volume_share": "30"})
    assert response.status_code == 409 and "it is now running" in response.content.decode()
