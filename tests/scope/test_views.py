import pytest
from django.urls import reverse

from scope.choices import WorkItemStatus
from scope.models import WorkItem
from tests.conftest import logged_in_client
from tests.factories import SuccessMetricFactory, UserFactory, WorkItemFactory

pytestmark = pytest.mark.django_db


def metric_rows(rows):
    data = {"metrics-TOTAL_FORMS": str(len(rows)), "metrics-INITIAL_FORMS": "0"}
    for i, row in enumerate(rows):
        data.update({f"metrics-{i}-{k}": v for k, v in row.items()})
    return data


def test_a_vague_item_lists_its_problems_and_they_go_away_when_fixed():
    client = logged_in_client(UserFactory(groups=["editor"]))
    response = client.post(
        reverse("scope:workitem-add"),
        {
            "title": "Finance work",
            "kind": "process",
            "complexity": "medium",
            "preferred_delivery": "any",
            **metric_rows([]),
        },
    )
    item = WorkItem.objects.get(title="Finance work")
    assert response["Location"] == item.get_absolute_url()
    page = client.get(item.get_absolute_url()).content.decode()
    assert "4 problems to fix" in page
    assert "&#x27;Finance work&#x27; names a department or category" in page
    assert item.criteria.count() == 5

    response = client.post(
        reverse("scope:workitem-edit", args=[item.pk]),
        {
            "title": "Supplier invoice validation and vendor helpdesk",
            "kind": "process",
            "complexity": "medium",
            "preferred_delivery": "any",
            "monthly_volume": "12000",
            "volume_unit": "invoices",
            "data_sensitivity": "confidential",
            **metric_rows(
                [
                    {
                        "name": "Accuracy",
                        "unit": "%",
                        "direction": "higher_is_better",
                        "target": "99",
                        "critical": "on",
                        "cadence": "weekly",
                    }
                ]
            ),
        },
    )
    assert response.status_code == 302
    page = client.get(item.get_absolute_url()).content.decode()
    assert "No problems" in page and "Mark ready for sourcing" in page

    client.post(reverse("scope:workitem-mark-ready", args=[item.pk]))
    item.refresh_from_db()
    assert item.status == WorkItemStatus.READY


def test_mark_ready_with_problems_says_why():
    client = logged_in_client(UserFactory(groups=["editor"]))
    item = WorkItemFactory(title="Data reports")
    response = client.post(reverse("scope:workitem-mark-ready", args=[item.pk]), follow=True)
    assert "names a department or category" in response.content.decode()
    item.refresh_from_db()
    assert item.status == WorkItemStatus.DRAFT


def test_form_errors_are_shown_and_nothing_is_lost():
    client = logged_in_client(UserFactory(groups=["editor"]))
    response = client.post(
        reverse("scope:workitem-add"),
        {
            "title": "Claims intake",
            "kind": "process",
            "complexity": "medium",
            "preferred_delivery": "any",
            "monthly_volume": "-4",
            **metric_rows([]),
        },
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "Ensure this value is greater than or equal to 0." in text
    assert 'value="Claims intake"' in text


def test_readiness_filter():
    ready = WorkItemFactory(title="Invoice validation for suppliers")
    SuccessMetricFactory(work_item=ready)
    WorkItemFactory(title="Finance work")
    client = logged_in_client(UserFactory(groups=["viewer"]))
    ready_page = client.get(reverse("scope:workitem-list") + "?readiness=ready").content.decode()
    problems_page = client.get(reverse("scope:workitem-list") + "?readiness=problems").content.decode()
    assert "Invoice validation for suppliers" in ready_page and "Finance work" not in ready_page
    assert "Finance work" in problems_page and "Invoice validation for suppliers" not in problems_page
