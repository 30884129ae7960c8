"""A gap in the evidence as a user sees it: on the chart, the metric card, the flags, the decision page."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from pilots.choices import PilotStatus
from pilots.evaluation import evaluate_pilots
from tests.factories import UserFactory
from tests.pilots.helpers import measure, metric, monday, running_pilot

from .conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_gap_in_the_middle_shows_on_chart_card_flags_and_decision_page(page, screenshot):
    today = timezone.localdate()
    owner = UserFactory(username="erin", groups=["editor"])
    pilot = running_pilot(
        today=today,
        name="Claims intake pilot",
        weeks_running=5,
        ends_on=today,
        status=PilotStatus.IN_REVIEW,
        owner=owner,
    )
    m = metric(pilot, name="Accuracy", unit="%", target=Decimal("98"), min_samples=4)
    for weeks_ago in (1, 2, 4, 5):
        measure(m, today=today, weeks_ago=weeks_ago, value="99")
    evaluate_pilots(notify=False)
    gap = monday(today) - datetime.timedelta(weeks=3)
    gap_text = f"{gap.day} {gap:%b %Y}"

    sign_in(page, "erin")
    page.goto(pilot.get_absolute_url())
    card = page.locator(f"#metric-{m.pk}")
    assert f"No measurement for 1 period: {gap_text}." in card.inner_text()
    assert (
        card.locator("svg.chart-wide g.missing").count() == 1 and card.locator("svg.chart-wide g.missing").is_visible()
    )
    assert "missing data" in card.locator(".badge").last.inner_text()
    flags = page.locator("section:has(h2:text('Open flags'))").inner_text()
    assert f"Accuracy has no measurement for the week of {gap_text}" in flags
    assert "Gate to expand: closed" in page.locator("#gate h2").inner_text()
    assert f"no data for the week of {gap_text}" in page.locator("#gate").inner_text()
    screenshot("pilot-gap")

    page.click("text=Record decision")
    evidence = page.locator("#evidence")
    assert evidence.locator("text=no data: not met").count() == 1
    assert page.locator("input[value=expand]").count() == 0
    assert page.locator("input[value=stop]").count() == 1
    screenshot("decision-evidence")
