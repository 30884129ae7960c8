"""The provider's side in Chromium: the owner emails a link from the pilot's page; the contact
opens it in a private window (no account), sends a week's figures; the owner sees them as the
provider's and disputes one; the provider corrects it through the link; the gate follows."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from pilots.choices import DisputeStatus, MeasurementSource
from pilots.models import Dispute, Measurement
from tests.factories import ContactFactory, UserFactory
from tests.pilots.helpers import measure_weeks, metric, monday, running_pilot

from .conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_provider_reports_through_its_link_and_corrects_a_disputed_figure(browser, page, live_server):
    today = timezone.localdate()
    owner = UserFactory(username="olive", groups=["editor"], email="olive@buyer.example", first_name="Olive")
    pilot = running_pilot(today=today, weeks_running=6, weeks_left=0, ends_on=today, owner=owner)
    accuracy = metric(pilot, name="Refund accuracy", unit="%", target=Decimal("98"), min_samples=4)
    measure_weeks(accuracy, today=today, values=[99, 99, 99], start_weeks_ago=2)
    ContactFactory(provider=pilot.provider, name="Priya Provider", email="priya@provider.example")

    sign_in(page, "olive")
    page.goto(f"{pilot.get_absolute_url()}#links")
    page.click("#links button[type=submit]:has-text('Email a link')")
    page.wait_for_selector(".message.success")
    assert "A link was emailed to Priya Provider" in page.inner_text(".message.success")
    secret_url = re.search(r"http://testserver(/provider/pgl_[A-Za-z0-9_-]+/)", mail.outbox[-1].body)[1]

    private = browser.new_context(base_url=live_server.url)  # the contact's own browser, no account
    provider = private.new_page()
    provider.goto(secret_url)
    assert provider.url.endswith("/provider/") and "pgl_" not in provider.url
    assert pilot.name in provider.inner_text("h1")
    last_week = monday(today) - datetime.timedelta(weeks=1)
    provider.fill("input[name=period]", last_week.isoformat())
    provider.fill(f"input[name=value_{accuracy.pk}]", "98.7")
    provider.click("#report button[type=submit]")
    provider.wait_for_selector(".message.success")
    sent = Measurement.objects.get(metric=accuracy, period_start=last_week)
    assert sent.source == MeasurementSource.PROVIDER and sent.submitted_by.name == "Priya Provider"

    page.goto(pilot.get_absolute_url())
    assert "Provider: Priya Provider" in page.inner_text(f"#value-{sent.pk}")
    page.click(f"#value-{sent.pk} summary:has-text('Dispute')")
    page.fill(f"#reason-{sent.pk}", "Our QA sample shows 97.9")
    page.click(f"#value-{sent.pk} button:has-text('Dispute this value')")
    page.wait_for_selector(".message.success")
    assert "is disputed by Olive" in page.inner_text("body")  # the gate says why it is closed

    provider.goto("/provider/")
    dispute = Dispute.objects.get()
    assert "Our QA sample shows 97.9" in provider.inner_text(f"#value-{sent.pk}")
    provider.click(f"#value-{sent.pk} summary:has-text('Correct')")
    provider.fill(f"#value-input-{dispute.pk}", "97.9")
    provider.fill(f"#note-input-{dispute.pk}", "Recounted the QA sample")
    provider.click(f"#value-{sent.pk} button:has-text('Correct the value')")
    provider.wait_for_selector(".message.success")
    dispute.refresh_from_db()
    sent.refresh_from_db()
    assert dispute.status == DisputeStatus.CORRECTED and sent.value == Decimal("97.9")

    page.goto(pilot.get_absolute_url())
    body = page.inner_text("body")
    assert "is disputed by" not in body and "97.9 in the week of" in body  # closed now by the corrected figure
    private.close()


def test_a_provider_uploads_the_filled_template_through_its_link(browser, live_server, tmp_path):
    from openpyxl import load_workbook

    from portal.services import link_issue

    today = timezone.localdate()
    pilot = running_pilot(today=today, weeks_running=4, weeks_left=2)
    accuracy = metric(pilot, name="Refund accuracy", unit="%", target=Decimal("98"))
    contact = ContactFactory(provider=pilot.provider, name="Priya Provider", email="priya@provider.example")
    _, secret = link_issue(pilot=pilot, contact=contact, by=pilot.owner)

    private = browser.new_context(base_url=live_server.url, accept_downloads=True)
    provider = private.new_page()
    provider.goto(f"/provider/{secret}/")
    provider.click("a:has-text('upload it')")
    with provider.expect_download() as download:
        provider.click("a:has-text('Template (XLSX)')")
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)
    workbook = load_workbook(template)
    sheet = workbook.active
    last_week = monday(today) - datetime.timedelta(weeks=1)
    year, week_number, _ = last_week.isocalendar()
    row = next(r for r in sheet.iter_rows(min_row=3) if r[0].value == f"{year}-W{week_number:02d}")
    row[1].value = 98.4
    row[2].value = "Sampled 400 refunds"
    workbook.save(template)

    provider.set_input_files("input[type=file]", str(template))
    provider.click("button:has-text('Upload and preview')")
    provider.wait_for_selector("#import-summary")
    assert "1 new" in provider.inner_text("#import-summary")
    assert not Measurement.objects.exists()
    provider.click("button:has-text('Confirm and apply')")
    provider.wait_for_selector(".message.success")
    assert "1 new" in provider.inner_text(".message.success")
    assert "Sampled 400 refunds" in provider.inner_text("#evidence")
    stored = Measurement.objects.get()
    assert (stored.metric, stored.period_start, stored.value) == (accuracy, last_week, Decimal("98.4"))
    assert stored.source == MeasurementSource.PROVIDER and stored.note == "Sampled 400 refunds"
    private.close()
