"""The provider fills in the pilot's template and uploads it through its link: the editors' preview
and confirm, recorded as the provider's; the team's own figures are disputed, never replaced.
And a note per value, by form or by file."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from pilots.choices import MeasurementSource
from pilots.models import Measurement, MeasurementImport
from portal.services import link_issue
from tests.conftest import logged_in_client
from tests.factories import ContactFactory, UserFactory
from tests.pilots.helpers import measure_weeks
from tests.support.spreadsheets import csv_bytes, read_xlsx, upload, xlsx_bytes

from .helpers import provider_client, week

pytestmark = pytest.mark.django_db


def label(day) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def filled_template(client, fill: dict) -> bytes:
    """The template downloaded through the link, with `fill` ({period label: (value, note)}) typed in."""
    response = client.get("/provider/template/?format=xlsx")
    assert response.status_code == 200
    rows = read_xlsx(response.content)
    header = rows[1]
    for row in rows[2:]:
        if row[0] in fill:
            row[1], row[header.index("Note")] = fill[row[0]]
    return xlsx_bytes({"Measurements": rows})


def send(client, name: str, content: bytes):
    """Upload through the link; the preview page (following the redirect) and its address."""
    response = client.post("/provider/uploads/", {"file": upload(name, content)})
    if response.status_code != 302:
        return response, None
    return client.get(response.url), response.url


def fingerprint(page) -> str:
    return page.context["plan"].fingerprint


def test_the_provider_uploads_the_filled_template_previews_it_and_confirms(pilot_and_contact):
    pilot, accuracy, contact = pilot_and_contact
    _, secret = link_issue(pilot=pilot, contact=contact, by=pilot.owner)
    client = provider_client(secret)
    assert 'href="/provider/uploads/"' in client.get("/provider/").content.decode()

    content = filled_template(client, {label(week(1)): (98.6, "QA sample of 400 refunds")})
    preview, url = send(client, "week.xlsx", content)
    page = preview.content.decode()
    assert preview.status_code == 200 and "1 new" in page and "Refund accuracy" in page and "98.6" in page
    assert not Measurement.objects.exists()  # nothing until confirmed
    assert preview["X-Robots-Tag"] == "noindex, nofollow" and preview["Cache-Control"] == "no-store"

    done = client.post(url, {"confirm": "1", "fingerprint": fingerprint(preview)})
    assert done.status_code == 302 and done.url == "/provider/#evidence"
    stored = Measurement.objects.get()
    assert (stored.metric, stored.period_start, stored.value) == (accuracy, week(1), Decimal("98.6"))
    assert stored.source == MeasurementSource.PROVIDER and stored.submitted_by == contact
    assert stored.recorded_by is None and stored.note == "QA sample of 400 refunds"
    assert "by Priya Provider (provider link)" in stored.history.get().history_change_reason
    record = MeasurementImport.objects.get()
    assert record.status == MeasurementImport.Status.APPLIED and record.submitted_by == contact

    # The owner sees the figure with its source and note, and the upload among the pilot's imports.
    owner_page = logged_in_client(pilot.owner).get(pilot.get_absolute_url()).content.decode()
    assert "Provider: Priya Provider" in owner_page and "QA sample of 400 refunds" in owner_page
    assert "Priya Provider (provider)" in owner_page and "week.xlsx" in owner_page
    # Sending the same file again changes nothing.
    again, _ = send(client, "week.xlsx", content)
    assert "1 unchanged" in again.content.decode() and "Confirm and apply" not in again.content.decode()


def test_an_upload_cannot_replace_the_teams_figures_but_may_send_them_back_unchanged(pilot_and_contact):
    pilot, accuracy, contact = pilot_and_contact
    teams = measure_weeks(accuracy, today=week(0), values=[90, 99])
    _, secret = link_issue(pilot=pilot, contact=contact, by=pilot.owner)
    client = provider_client(secret)

    unchanged = filled_template(client, {label(week(3)): (98.7, "")})  # the team's 90 and 99 stay as they were
    preview, url = send(client, "unchanged.xlsx", unchanged)
    assert "1 new" in preview.content.decode() and "2 unchanged" in preview.content.decode()

    changed = filled_template(client, {label(teams[0].period_start): (97, "")})
    preview, url = send(client, "changed.xlsx", changed)
    page = preview.content.decode()
    assert "1 error" in page and "the buying team recorded 90 for this period; dispute it" in page
    assert "Confirm and apply" not in page
    refused = client.post(url, {"confirm": "1", "fingerprint": fingerprint(preview)})
    assert refused.status_code == 400 and "Nothing was applied" in refused.content.decode()
    teams[0].refresh_from_db()
    assert teams[0].value == Decimal("90") and teams[0].source == MeasurementSource.MANUAL


def test_a_providers_preview_is_that_contacts_alone(pilot_and_contact):
    pilot, _accuracy, contact = pilot_and_contact
    _, secret = link_issue(pilot=pilot, contact=contact, by=pilot.owner)
    colleague = ContactFactory(provider=pilot.provider, email="sam@provider.example")
    _, other_secret = link_issue(pilot=pilot, contact=colleague, by=pilot.owner)
    client = provider_client(secret)
    preview, url = send(client, "week.csv", csv_bytes([["Period", "Refund accuracy"], [label(week(1)), "98.5"]]))
    record = MeasurementImport.objects.get()
    editor_preview = reverse("pilots:pilot-import-preview", args=[pilot.pk, record.pk])
    editor_file = reverse("pilots:pilot-import-file", args=[pilot.pk, record.pk])

    for stranger in (provider_client(other_secret), Client()):
        assert stranger.get(url).status_code == 404
        assert stranger.post(url, {"confirm": "1", "fingerprint": fingerprint(preview)}).status_code == 404
    editor = logged_in_client(UserFactory(groups=["editor"]))
    assert editor.get(editor_preview).status_code == 404 and editor.get(editor_file).status_code == 404
    assert editor.post(editor_preview, {"discard": "1"}).status_code == 404
    assert MeasurementImport.objects.filter(status=MeasurementImport.Status.PREVIEWED).count() == 1

    assert client.post(url, {"discard": "1"}).status_code == 302
    assert not MeasurementImport.objects.exists() and not Measurement.objects.exists()


def test_uploads_through_a_link_are_size_limited_and_checked_like_the_editors(pilot_and_contact, settings):
    pilot, _accuracy, contact = pilot_and_contact
    settings.PORTAL_UPLOAD_MAX_BYTES = 4096
    _, secret = link_issue(pilot=pilot, contact=contact, by=pilot.owner)
    client = provider_client(secret)
    big = csv_bytes([["Period", "Refund accuracy", "Note"]] + [[label(week(1)), "98", "x" * 100]] * 60)
    response, _ = send(client, "big.csv", big)
    assert response.status_code == 400 and "larger than 4 KB" in response.content.decode()
    response, _ = send(client, "notes.txt", b"Period,Refund accuracy\n")
    assert response.status_code == 400
    preview, _ = send(client, "bad.csv", csv_bytes([["Period", "Refund accuracy"], ["next year", "lots"]]))
    page = preview.content.decode()
    assert "2 errors" not in page and "1 error" in page and "Confirm and apply" not in page
    assert not MeasurementImport.objects.filter(status=MeasurementImport.Status.APPLIED).exists()


def test_each_value_carries_its_own_note(pilot_and_contact):
    pilot, accuracy, contact = pilot_and_contact
    from tests.pilots.helpers import metric

    handle = metric(pilot, name="Handle time", unit="minutes", target=Decimal("6"), direction="lower_is_better")
    _, secret = link_issue(pilot=pilot, contact=contact, by=pilot.owner)
    client = provider_client(secret)
    period = week(1).isoformat()
    response = client.post(
        "/provider/",
        {
            "period": period,
            f"value_{accuracy.pk}": "98.5",
            f"note_{accuracy.pk}": "Recounted after the audit",
            f"value_{handle.pk}": "5.2",
            f"note_{handle.pk}": "",
        },
    )
    assert response.status_code == 302
    notes = dict(Measurement.objects.values_list("metric__name", "note"))
    assert notes == {"Refund accuracy": "Recounted after the audit", "Handle time": ""}

    # A note needs the value it explains; a correction left without a note keeps the recorded one.
    response = client.post(
        "/provider/", {"period": period, f"note_{handle.pk}": "Why?", f"value_{accuracy.pk}": "98.5"}
    )
    assert response.status_code == 400 and "A note goes with a value" in response.content.decode()
    editor = logged_in_client(pilot.owner)
    url = reverse("pilots:pilot-measurements", args=[pilot.pk])
    assert (
        editor.post(url, {"period": period, f"value_{handle.pk}": "5.2", f"note_{handle.pk}": "Checked"}).status_code
        == 302
    )
    assert dict(Measurement.objects.values_list("metric__name", "note"))["Handle time"] == "Checked"


# --- Found by the attack review ---------------------------------------------------------------


def test_the_team_replacing_a_figure_it_disputed_ends_its_dispute_and_the_link_cannot_overwrite_it(
    pilot_and_contact,
):
    from pilots.choices import DisputeStatus
    from pilots.models import Dispute

    pilot, accuracy, contact = pilot_and_contact
    _, secret = link_issue(pilot=pilot, contact=contact, by=pilot.owner)
    client = provider_client(secret)
    assert client.post("/provider/", {"period": week(1).isoformat(), f"value_{accuracy.pk}": "99"}).status_code == 302
    sent = Measurement.objects.get()
    owner = logged_in_client(pilot.owner)
    owner.post(reverse("pilots:measurement-dispute", args=[sent.pk]), {"reason": "Our sample says 97"})
    dispute = Dispute.objects.get()
    url = reverse("pilots:pilot-measurements", args=[pilot.pk])
    asked = owner.post(url, {"period": week(1).isoformat(), f"value_{accuracy.pk}": "97"})
    confirm = asked.context["corrections"][0].token
    owner.post(url, {"period": week(1).isoformat(), f"value_{accuracy.pk}": "97", "confirm": confirm})
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.CORRECTED  # the team replaced the figure it disputed

    client.post(reverse("portal:dispute-action", kwargs={"pk": dispute.pk, "action": "correct"}), {"value": "10"})
    sent.refresh_from_db()
    assert sent.value == Decimal("97") and sent.source == MeasurementSource.MANUAL


def test_what_an_upload_costs_is_bounded_and_formulas_are_refused_in_every_cell(pilot_and_contact):
    pilot, _accuracy, contact = pilot_and_contact
    _, secret = link_issue(pilot=pilot, contact=contact, by=pilot.owner)
    client = provider_client(secret)
    wide = ",".join(["Period", *map(str, range(5000))]).encode()
    response, _ = send(client, "wide.csv", wide + b"\n2026-W40,1\n")
    assert response.status_code == 400 and "more than 500 columns" in response.content.decode()
    padded = b"Period,Refund accuracy\n" + (b" ," * 400 + b"\n") * 1000  # under 1 MB, mostly blank cells
    response, _ = send(client, "padded.csv", padded)
    assert response.status_code == 400 and "blank ones included" in response.content.decode()
    for cell in ('"+HYPERLINK(""http://evil.example"",""open"")"', "@SUM(1+1)", "=1+1", "-cmd|' /C calc'!A0"):
        content = f"Period,Refund accuracy,Note\n{label(week(1))},98.5,ok,{cell}\n".encode()
        response, _ = send(client, "formula.csv", content)
        assert response.status_code == 400 and "like a formula" in response.content.decode(), cell
    assert not MeasurementImport.objects.exists()
    response, _ = send(client, "signed.csv", f"Period,Refund accuracy,Note\n{label(week(1))},98.5,-\n".encode())
    assert response.status_code == 200  # a sign before figures, or alone, is data


def test_an_upload_checks_sample_sizes_and_notes_as_the_form_does(pilot_and_contact):
    pilot, _accuracy, contact = pilot_and_contact
    _, secret = link_issue(pilot=pilot, contact=contact, by=pilot.owner)
    client = provider_client(secret)
    rows = [
        ["Period", "Refund accuracy", "Refund accuracy sample size", "Note"],
        [label(week(1)), "98.5", "2100000000", ""],
        [label(week(2)), "98.5", "1e3", ""],
        [label(week(3)), "", "", "Explains nothing"],
    ]
    preview, _ = send(client, "checks.csv", csv_bytes(rows))
    page = preview.content.decode()
    assert "3 errors" in page and "a note goes with a value" in page and "Confirm and apply" not in page


def test_a_new_upload_replaces_the_contacts_unconfirmed_preview_and_uploads_are_rate_limited(
    pilot_and_contact, settings
):
    pilot, _accuracy, contact = pilot_and_contact
    settings.PORTAL_RATE_UPLOAD = "2/h"
    _, secret = link_issue(pilot=pilot, contact=contact, by=pilot.owner)
    client = provider_client(secret)
    content = csv_bytes([["Period", "Refund accuracy"], [label(week(1)), "98.5"]])
    _, first = send(client, "one.csv", content)
    _, second = send(client, "two.csv", content)
    assert list(MeasurementImport.objects.values_list("file_name", flat=True)) == ["two.csv"]
    assert client.get(first).status_code == 404 and client.get(second).status_code == 200
    response = client.post("/provider/uploads/", {"file": upload("three.csv", content)})
    assert response.status_code == 429
