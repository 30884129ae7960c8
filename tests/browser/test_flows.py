"""The main flows a procurement team runs in the browser."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from pilots.choices import DecisionOutcome, PilotStatus
from pilots.evaluation import evaluate_pilots
from pilots.models import Pilot
from pilots.services import pilot_decide
from scope.choices import WorkItemStatus
from tests.factories import (
    CertificationTypeFactory,
    DeliveryCenterFactory,
    FlagFactory,
    ProviderCertificationFactory,
    ProviderFactory,
    SuccessMetricFactory,
    UserFactory,
    WorkItemFactory,
)
from tests.pilots.helpers import measure_weeks, metric, running_pilot

from .conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def today():
    return timezone.localdate()


def test_sign_in_and_out(page, screenshot):
    UserFactory(username="erin", first_name="Erin", last_name="Editor", groups=["editor"])
    page.goto("/pilots/")
    assert "/accounts/login/" in page.url
    screenshot("login")
    page.fill("#id_username", "erin")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    assert page.is_visible("text=Please enter a correct username and password")
    sign_in(page, "erin")
    assert page.is_visible("text=Erin Editor · editor")
    screenshot("dashboard")
    page.click("text=Sign out")
    page.wait_for_url("**/accounts/login/")


def test_find_a_provider_by_filter(page, screenshot):
    UserFactory(username="vic", groups=["viewer"])
    iso = CertificationTypeFactory(code="ISO27001")
    leeds = ProviderFactory(name="Leeds Ops", headquarters_country="GB")
    DeliveryCenterFactory(provider=leeds, country="GB", time_zone="Europe/London")
    ProviderCertificationFactory(provider=leeds, certification_type=iso)
    glasgow = ProviderFactory(name="Glasgow Ops", headquarters_country="GB")
    DeliveryCenterFactory(provider=glasgow, country="GB", time_zone="Europe/London")
    ProviderCertificationFactory(
        provider=glasgow, certification_type=iso, expires_on=today() - datetime.timedelta(days=3)
    )
    pune = ProviderFactory(name="Pune Ops")
    DeliveryCenterFactory(provider=pune, country="IN")
    ProviderCertificationFactory(provider=pune, certification_type=iso)

    sign_in(page, "vic")
    page.click("nav >> text=Providers")
    assert page.locator("table.data tbody tr").count() == 3
    page.select_option("#id_location_class", "onshore")
    page.select_option("#id_valid_certification", label="ISO27001")
    page.click("text=Apply")
    rows = page.locator("table.data tbody tr")
    assert rows.count() == 1
    assert "Leeds Ops" in rows.first.inner_text()
    screenshot("providers")
    page.click("text=Leeds Ops")
    page.wait_for_selector("h1:has-text('Leeds Ops')")
    assert page.is_visible("text=Delivery centres")
    screenshot("provider-detail")


def test_create_a_work_item_and_see_its_readiness_problems_go_away(page, screenshot):
    UserFactory(username="erin", groups=["editor"])
    sign_in(page, "erin")
    page.click("nav >> text=Work items")
    page.click("text=New work item")
    page.fill("#id_title", "Finance work")
    page.select_option("#id_kind", "process")
    page.click("button:has-text('Save')")
    page.wait_for_selector("#readiness")
    readiness = page.locator("#readiness").inner_text()
    assert "4 problems" in readiness
    assert "'Finance work' names a department or category, not a process" in readiness
    screenshot("work-item-problems")

    page.click(".page-head a.button:text-is('Edit')")
    page.fill("#id_title", "Supplier invoice validation and vendor helpdesk")
    page.fill("#id_monthly_volume", "12000")
    page.fill("#id_volume_unit", "invoices")
    page.select_option("#id_data_sensitivity", "confidential")
    page.fill("#id_metrics-0-name", "Accuracy")
    page.fill("#id_metrics-0-unit", "%")
    page.select_option("#id_metrics-0-direction", "higher_is_better")
    page.fill("#id_metrics-0-target", "99")
    page.check("#id_metrics-0-critical")
    page.click("button:has-text('Save')")
    page.wait_for_selector("#readiness")
    assert "No problems" in page.locator("#readiness").inner_text()
    page.click("text=Mark ready for sourcing")
    page.wait_for_selector("text=is ready for sourcing")
    assert page.locator("h1 .badge").inner_text() == "Ready"
    screenshot("work-item-ready")


def test_plan_start_measure_flag_and_acknowledge(page, screenshot):
    erin = UserFactory(username="erin", groups=["editor"])
    item = WorkItemFactory(title="Tier-1 chat support for order questions", status=WorkItemStatus.READY)
    SuccessMetricFactory(work_item=item, name="First contact resolution", unit="%", target=Decimal("75"), critical=True)
    ProviderFactory(name="Manila Bay Contact Centers")

    sign_in(page, "erin")
    page.goto(item.get_absolute_url())
    page.click("text=Plan a pilot")
    page.fill("#id_name", "Chat support — Manila")
    page.select_option("#id_provider", label="Manila Bay Contact Centers")
    page.fill("#id_starts_on", (today() - datetime.timedelta(weeks=3)).isoformat())
    page.fill("#id_ends_on", (today() + datetime.timedelta(weeks=9)).isoformat())
    page.click("button:has-text('Save')")
    page.wait_for_selector("text=Pilot planned")
    page.click("#lifecycle-actions >> text=Start")
    page.click("form button:has-text('Start')")
    page.wait_for_selector("h1 .badge:has-text('Running')")

    page.click("text=Enter measurements")
    last_week = today() - datetime.timedelta(weeks=1)
    page.fill("#id_period", last_week.isoformat())
    metric_id = Pilot.objects.get().metrics.get().pk
    page.fill(f"#id_value_{metric_id}", "68.5")
    page.fill(f"#id_samples_{metric_id}", "420")
    page.click("button:has-text('Save measurements')")
    page.wait_for_selector("text=1 measurement recorded.")
    assert page.locator("svg.chart-wide g.point").count() == 1

    result = evaluate_pilots(notify=False)  # what the hourly job does
    assert result.opened >= 1
    page.reload()
    flags = page.locator("text=Target missed")
    assert flags.count() >= 1
    assert page.is_visible("text=First contact resolution was 68.5 in the week of")
    screenshot("pilot-running-with-flag")
    page.click("button:has-text('Acknowledge')")
    page.wait_for_selector("text=Acknowledged by erin")
    assert erin.pk


def test_acknowledge_several_flags_at_once_with_a_note(page, screenshot):
    UserFactory(username="erin", groups=["editor"])
    for name in ("Payroll — Kraków", "Claims — Pune", "Helpdesk — Cebu"):
        FlagFactory(pilot=running_pilot(today=today(), name=name), message=f"{name}: accuracy below target")
    sign_in(page, "erin")
    page.goto("/flags/")
    page.wait_for_selector("#flag-bulk")
    assert page.inner_text("[data-bulk-count]") == "Tick flags in the table first"
    page.check("input[data-select-all=flag]")
    assert page.inner_text("[data-bulk-count]") == "3 ticked"
    page.uncheck("input[aria-label='Select Target missed: Claims — Pune']")
    assert page.inner_text("[data-bulk-count]") == "2 ticked"
    assert page.evaluate("document.querySelector('input[data-select-all=flag]').indeterminate")
    page.fill("#id_bulk_note", "Provider retraining the team; figures due Friday")
    screenshot("flags-bulk-acknowledge")
    page.click("button:has-text('Acknowledge ticked flags')")
    page.wait_for_selector("text=2 flags acknowledged.")
    assert page.locator("text=“Provider retraining the team; figures due Friday”").count() == 2
    assert page.locator("#flags input[name=flag]").count() == 1  # only Pune is left to acknowledge


def test_expand_a_pilot_that_passed(page, screenshot):
    owner = UserFactory(username="erin", groups=["editor"])
    pilot = running_pilot(
        today=today(), name="Invoice validation — stage 1", ends_on=today(), status=PilotStatus.IN_REVIEW, owner=owner
    )
    measure_weeks(metric(pilot, name="Accuracy", unit="%", target=Decimal("98")), today=today(), values=["99"] * 4)
    pilot_decide(pilot=pilot, outcome=DecisionOutcome.EXPAND, rationale="Four weeks on target.", by=owner)

    sign_in(page, "erin")
    page.goto(pilot.get_absolute_url())
    assert page.locator("#gate h2").inner_text().startswith("Gate to expand: decided to expand on")
    screenshot("pilot-passed")
    page.click("text=Expand to next stage")
    page.fill("#id_volume_share", "5")
    page.click("form button:has-text('Expand to next stage')")
    page.wait_for_selector(".field.has-error")  # the error stands at the share-of-volume field
    assert "must take a larger share of volume" in page.locator(".field.has-error").inner_text()
    page.fill("#id_volume_share", "30")
    page.click("form button:has-text('Expand to next stage')")
    page.wait_for_selector("h1:has-text('Invoice validation — stage 2')")
    assert page.is_visible("text=Stage 1: Invoice validation — stage 1")
    assert page.is_visible("text=is planned at 30% of the volume")
    screenshot("pilot-stage-2")


def test_a_viewer_finds_no_way_to_change_anything(page, screenshot):
    UserFactory(username="vic", groups=["viewer"])
    pilot = running_pilot(today=today(), name="Viewer's pilot")
    metric(pilot)
    sign_in(page, "vic")
    assert page.locator("text=Plan a pilot").count() == 0
    page.goto(pilot.get_absolute_url())
    assert page.locator("#lifecycle-actions a").count() == 0
    page.goto("/providers/")
    assert page.locator("text=New provider").count() == 0
    response = page.goto("/providers/new/")
    assert response.status == 403
    assert page.is_visible("text=Not allowed")
    page.goto("/flags/")
    assert page.locator("button:has-text('Acknowledge')").count() == 0
    screenshot("flags-viewer")
