"""In the browser: a number typed with a comma comes back with an error, a second value for a
recorded period is shown beside the recorded one and saved only once confirmed, and an editor
whose colleague saved first sees the colleague's change."""

from decimal import Decimal

import pytest
from django.utils import timezone

from pilots.models import Measurement
from pilots.periods import last_complete_period
from tests.factories import ProviderFactory, UserFactory
from tests.pilots.helpers import metric, running_pilot

from .conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_measurement_typos_and_corrections_in_the_browser(page, screenshot):
    today = timezone.localdate()
    UserFactory(username="erin", groups=["editor"])
    pilot = running_pilot(today=today, name="Refunds pilot", weeks_running=3)
    m = metric(pilot, name="Refund accuracy", unit="%", target=Decimal("98"))
    period = last_complete_period(today, "weekly")
    sign_in(page, "erin")
    page.goto(f"/pilots/{pilot.pk}/measurements/")
    page.fill("#id_period", period.isoformat())
    row = page.locator("tbody tr:has-text('Refund accuracy')")
    row.locator("input").first.fill("98,5")
    page.click("main form button[type=submit]")
    assert "Enter a number." in row.inner_text()
    assert row.locator("input").first.input_value() == "98,5"  # as typed, not blanked
    row.locator("input").first.fill("98.5")
    row.locator("input").nth(1).fill("400")
    page.click("main form button[type=submit]")
    page.wait_for_selector("h1:has-text('Refunds pilot')")
    page.goto(f"/pilots/{pilot.pk}/measurements/")
    page.fill("#id_period", period.isoformat())
    page.locator("tbody tr:has-text('Refund accuracy') input").first.fill("97")
    page.click("main form button[type=submit]")
    panel = page.locator("#corrections")
    assert "98.5% (n = 400)" in panel.inner_text() and "97" in panel.inner_text()
    screenshot("correction-to-confirm")
    assert Measurement.objects.get(metric=m).value == Decimal("98.5")
    page.click("main form button:has-text('Confirm corrections')")
    page.wait_for_selector("h1:has-text('Refunds pilot')")
    saved = Measurement.objects.get(metric=m)
    assert (saved.value, saved.sample_size) == (Decimal("97"), 400)


def test_an_editor_sees_a_colleagues_change_instead_of_overwriting_it(page, browser, live_server):
    UserFactory(username="erin", groups=["editor"])
    UserFactory(username="femi", groups=["editor"])
    provider = ProviderFactory(name="Harbour BPO", description="")
    sign_in(page, "erin")
    page.goto(f"/providers/{provider.pk}/edit/")
    other = browser.new_context(base_url=live_server.url).new_page()
    sign_in(other, "femi")
    other.goto(f"/providers/{provider.pk}/edit/")
    other.fill("#id_description", "Femi's notes from the site visit")
    other.click("main form button[type=submit]")
    other.wait_for_selector("h1:has-text('Harbour BPO')")
    page.fill("#id_description", "Erin's summary")
    page.click("main form button[type=submit]")
    assert "Someone else saved this by femi" in page.locator("main").inner_text()
    provider.refresh_from_db()
    assert provider.description == "Femi's notes from the site visit"
    page.click("main form button[type=submit]")  # seen it; save on purpose
    page.wait_for_selector("h1:has-text('Harbour BPO')")
    provider.refresh_from_db()
    assert provider.description == "Erin's summary"
