"""From a ready work item to three shortlisted providers, scored by two editors, compared, one chosen."""

import datetime

import pytest
from django.utils import timezone

from pilots.models import Pilot
from scope.choices import WorkItemStatus
from scope.services import work_item_apply_default_criteria
from tests.factories import (
    CertificationTypeFactory,
    DeliveryCenterFactory,
    IndustryExperienceFactory,
    IndustryFactory,
    ProviderCertificationFactory,
    ProviderFactory,
    ServiceLineFactory,
    UserFactory,
    WorkItemFactory,
)

from .conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_shortlist_three_score_as_two_editors_compare_and_plan_the_pilot(page, screenshot):
    UserFactory(username="erin", first_name="Erin", groups=["editor"])
    UserFactory(username="evan", first_name="Evan", groups=["editor"])
    retail = IndustryFactory(name="Retail", slug="retail")
    line = ServiceLineFactory(name="Accounts payable", kind="process")
    item = WorkItemFactory(
        title="Supplier invoice validation and vendor helpdesk", status=WorkItemStatus.READY, industry=retail
    )
    work_item_apply_default_criteria(work_item=item)
    iso, soc = CertificationTypeFactory(code="ISO27001"), CertificationTypeFactory(code="SOC2-T2")
    for name, country, zone, years, certs in [
        ("Vistula Operations", "PL", "Europe/Warsaw", 11, [iso, soc]),
        ("Northwind Shared Services", "GB", "Europe/London", 9, [iso]),
        ("Pune Finance & Accounting", "IN", "Asia/Kolkata", 4, [iso, soc]),
    ]:
        provider = ProviderFactory(name=name)
        provider.service_lines.add(line)
        DeliveryCenterFactory(provider=provider, country=country, time_zone=zone)
        IndustryExperienceFactory(provider=provider, industry=retail, years=years, reference_clients=2)
        for cert in certs:
            ProviderCertificationFactory(provider=provider, certification_type=cert)

    sign_in(page, "erin")
    page.goto(item.get_absolute_url())
    page.click("text=Find providers")
    page.wait_for_selector("#eligible")
    for _ in range(3):
        page.locator("#eligible button:has-text('Add to long list')").first.click()
        page.wait_for_load_state()
    for _ in range(3):
        page.locator("#candidates button:has-text('Shortlist')").first.click()
        page.wait_for_load_state()
    assert page.locator("#candidates .badge:has-text('Shortlisted')").count() == 3
    screenshot("sourcing")

    def score_all(values):
        page.goto(f"/work-items/{item.pk}/compare/")
        for index, value_set in enumerate(values):
            page.locator("#compare a:has-text('Score')").nth(index).click()
            selects = page.locator("select")
            for position in range(selects.count()):
                selects.nth(position).select_option(str(value_set[position]))
            page.locator("input[name^=comment_]").first.fill("Rate card checked against our volumes")
            page.click("button:has-text('Save scores')")
            page.wait_for_selector("h1:has-text('Compare candidates')")

    score_all([(4, 3), (5, 4), (3, 3)])
    page.click("text=Sign out")
    sign_in(page, "evan")
    score_all([(5, 4), (4, 4), (2, 3)])
    page.goto(f"/work-items/{item.pk}/compare/")
    table = page.locator("#compare").inner_text()
    assert "Average of 2 evaluators" in table
    assert table.count("All passed") == 3
    headers = page.locator("#compare thead th a").all_inner_texts()
    assert [h.lower() for h in headers] == [
        "vistula operations",
        "northwind shared services",
        "pune finance & accounting",
    ]
    # Vistula: 25×5/5 + 25×3/5 + 15×5/5 + 20×4.5/5 + 15×3.5/5 = 83.5; Northwind 75; Pune 64.
    totals = page.locator("#compare tr.total .stat").all_inner_texts()
    assert totals == ["83.5", "75.0", "64.0"]
    screenshot("compare")

    page.locator("#compare button:has-text('Select and plan pilot')").first.click()
    page.wait_for_selector("h1:has-text('Plan a pilot')")
    assert page.locator("#id_provider option:checked").inner_text() == "Vistula Operations"
    page.fill("#id_name", "Invoice validation — Vistula stage 1")
    page.fill("#id_ends_on", (timezone.localdate() + datetime.timedelta(weeks=12)).isoformat())
    page.click("button:has-text('Save')")
    page.wait_for_selector("text=Pilot planned")
    pilot = Pilot.objects.get()
    assert pilot.provider.name == "Vistula Operations"
    assert list(pilot.work_items.all()) == [item]
