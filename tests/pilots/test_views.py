import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pilots.choices import FlagKind, PilotStatus
from pilots.models import Flag, Measurement, Pilot
from scope.choices import WorkItemStatus
from tests.conftest import logged_in_client
from tests.factories import FlagFactory, ProviderFactory, SuccessMetricFactory, UserFactory, WorkItemFactory

from .helpers import measure_weeks, metric, running_pilot

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    return UserFactory(username="erin", groups=["editor"])


def today():
    return timezone.localdate()


def plan_data(items, **overrides):
    return {
        "name": "Invoice pilot",
        "provider": ProviderFactory().pk,
        "work_items": [i.pk for i in items],
        "starts_on": today(),
        "ends_on": today() + datetime.timedelta(weeks=8),
        "volume_share": "10",
        "decision_rule": "",
        **overrides,
    }


def ready_items(n):
    items = []
    for _ in range(n):
        item = WorkItemFactory(status=WorkItemStatus.READY)
        SuccessMetricFactory(work_item=item, name="Accuracy", target=Decimal("98"))
        items.append(item)
    return items


def test_planning_refuses_a_third_work_item_and_accepts_one(editor):
    client = logged_in_client(editor)
    response = client.post(reverse("pilots:pilot-add"), plan_data(ready_items(3), owner=editor.pk))
    assert response.status_code == 200
    assert "A pilot covers one or two work items, not 3" in response.content.decode()
    assert not Pilot.objects.exists()

    response = client.post(reverse("pilots:pilot-add"), plan_data(ready_items(1), owner=editor.pk))
    pilot = Pilot.objects.get()
    assert response["Location"] == pilot.get_absolute_url()
    assert list(pilot.metrics.values_list("name", flat=True)) == ["Accuracy"]


def test_start_action_refused_with_the_reason_then_allowed(editor):
    client = logged_in_client(editor)
    item = WorkItemFactory(status=WorkItemStatus.READY)
    SuccessMetricFactory(work_item=item, target=None)
    client.post(reverse("pilots:pilot-add"), plan_data([item], owner=editor.pk))
    pilot = Pilot.objects.get()
    response = client.post(reverse("pilots:pilot-action", args=[pilot.pk, "start"]))
    assert response.status_code == 400
    assert "Add at least one metric with a target before the pilot starts." in response.content.decode()
    metric_row = pilot.metrics.get()
    metric_row.target = Decimal("95")
    metric_row.save()
    response = client.post(reverse("pilots:pilot-action", args=[pilot.pk, "start"]))
    assert response.status_code == 302
    pilot.refresh_from_db()
    assert pilot.status == PilotStatus.RUNNING


def test_lifecycle_buttons_only_when_allowed_and_never_for_viewers(editor):
    pilot = running_pilot(today=today())
    editor_page = logged_in_client(editor).get(pilot.get_absolute_url()).content.decode()
    assert reverse("pilots:pilot-action", args=[pilot.pk, "pause"]) in editor_page
    assert reverse("pilots:pilot-action", args=[pilot.pk, "start"]) not in editor_page
    viewer_page = logged_in_client(UserFactory(groups=["viewer"])).get(pilot.get_absolute_url()).content.decode()
    assert "/actions/" not in viewer_page
    assert "Enter measurements" not in viewer_page
    assert "/edit/" not in viewer_page


def test_entering_one_period_for_all_metrics(editor):
    pilot = running_pilot(today=today())
    accuracy, turnaround = metric(pilot, name="Accuracy"), metric(pilot, name="Turnaround", critical=False)
    client = logged_in_client(editor)
    last_week = today() - datetime.timedelta(weeks=1)
    response = client.post(
        reverse("pilots:pilot-measurements", args=[pilot.pk]),
        {
            "period": last_week,
            f"value_{accuracy.pk}": "97.5",
            f"samples_{accuracy.pk}": "300",
            f"value_{turnaround.pk}": "",
            "note": "From the provider's weekly report",
        },
    )
    assert response.status_code == 302
    saved = Measurement.objects.get()
    assert (saved.metric, saved.value, saved.sample_size, saved.recorded_by) == (accuracy, Decimal("97.5"), 300, editor)

    future = today() + datetime.timedelta(weeks=3)
    response = client.post(
        reverse("pilots:pilot-measurements", args=[pilot.pk]), {"period": future, f"value_{accuracy.pk}": "97"}
    )
    assert response.status_code == 400
    assert "That period has not started yet." in response.content.decode()
    response = client.post(reverse("pilots:pilot-measurements", args=[pilot.pk]), {"period": last_week})
    assert "Enter at least one value." in response.content.decode()


def test_metric_chart_and_status_on_the_pilot_page(editor):
    pilot = running_pilot(today=today(), weeks_running=3)
    m = metric(pilot, name="Accuracy", unit="%", target=Decimal("95"))
    measure_weeks(m, today=today(), values=["91", "96", "97"])
    page = logged_in_client(editor).get(pilot.get_absolute_url()).content.decode()
    assert '<svg class="chart chart-wide"' in page and 'aria-label="Chart of Accuracy against its target ≥ 95' in page
    assert "Target ≥ 95%" in page
    assert "worsening" in page


def test_acknowledging_a_flag_with_and_without_htmx(editor):
    first, second = FlagFactory(), FlagFactory()
    client = logged_in_client(editor)
    response = client.post(reverse("pilots:flag-acknowledge", args=[first.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Acknowledged by erin" in response.content.decode()
    response = client.post(reverse("pilots:flag-acknowledge", args=[second.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == second.pilot.get_absolute_url()  # no open redirect
    assert Flag.objects.filter(acknowledged_by=editor).count() == 2


def test_acknowledging_the_ticked_flags_with_a_note(editor, viewer):
    pilot = running_pilot(today=today(), name="Refunds pilot")
    kinds = [FlagKind.TARGET_MISSED, FlagKind.NEAR_MISS, FlagKind.MISSING_DATA, FlagKind.DECISION_OVERDUE]
    open_flags = [FlagFactory(pilot=pilot, kind=kind, message=f"Open {kind}") for kind in kinds[:3]]
    earlier = FlagFactory(
        pilot=pilot, kind=kinds[3], acknowledged_by=viewer, acknowledged_at=timezone.now(), acknowledgement_note="Seen"
    )
    listing = reverse("pilots:flag-list") + "?sort=-opened_at"
    page = logged_in_client(editor).get(listing).content.decode()
    assert 'id="flag-bulk"' in page and page.count('name="flag" value=') == 3  # no box for the acknowledged one
    assert 'id="flag-bulk"' not in logged_in_client(viewer).get(listing).content.decode()

    client = logged_in_client(editor)
    ticked = [open_flags[0].pk, open_flags[1].pk, earlier.pk]
    response = client.post(
        reverse("pilots:flag-acknowledge-selected"),
        {"flag": ticked, "note": "  Provider retraining\nthe team ", "next": listing},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == listing
    text = response.content.decode()
    assert "2 flags acknowledged. 1 had been acknowledged or resolved already and is left as it was." in text
    assert "“Provider retraining the team”" in text
    acknowledged = Flag.objects.filter(acknowledged_by=editor)
    assert sorted(acknowledged.values_list("pk", flat=True)) == ticked[:2]
    assert set(acknowledged.values_list("acknowledgement_note", flat=True)) == {"Provider retraining the team"}
    earlier.refresh_from_db()
    assert (earlier.acknowledged_by, earlier.acknowledgement_note) == (viewer, "Seen")
    assert open_flags[0].history.first().history_change_reason == "Acknowledged"
    assert open_flags[0].history.first().history_user == editor


def test_a_refused_acknowledgement_shows_its_errors_and_keeps_what_was_typed(editor):
    flag = FlagFactory()
    client = logged_in_client(editor)
    url = reverse("pilots:flag-acknowledge-selected")
    nothing = client.post(url, {"note": "typed note"})
    assert nothing.status_code == 400 and "Tick the flags to acknowledge." in nothing.content.decode()
    long = client.post(url, {"flag": [flag.pk], "note": "x" * 501})
    text = long.content.decode()
    assert long.status_code == 400 and "at most 500 characters" in text and "x" * 501 in text
    assert f'name="flag" value="{flag.pk}"' in text
    for hostile in (["abc"], ["99999999999999999999"], ["-1"], [str(flag.pk)] * 2 + ["0"]):
        assert client.post(url, {"flag": hostile}).status_code == 400
    assert client.post(url, {"flag": [str(i) for i in range(1, 103)]}).status_code == 400  # past a page
    assert not Flag.objects.filter(acknowledged_at__isnull=False).exists()


def test_pilot_and_flag_filters(editor):
    flagged = running_pilot(today=today(), name="Flagged pilot", ends_on=today() + datetime.timedelta(days=5))
    FlagFactory(pilot=flagged, kind=FlagKind.TARGET_MISSED, severity="critical")
    running_pilot(today=today(), name="Quiet pilot", ends_on=today() + datetime.timedelta(weeks=10))
    client = logged_in_client(editor)
    page = client.get(reverse("pilots:pilot-list") + "?has_open_flags=true").content.decode()
    assert "Flagged pilot" in page and "Quiet pilot" not in page
    due = (today() + datetime.timedelta(days=7)).isoformat()
    page = client.get(reverse("pilots:pilot-list") + f"?decision_due_before={due}").content.decode()
    assert "Flagged pilot" in page and "Quiet pilot" not in page
    page = client.get(reverse("pilots:flag-list") + "?severity=critical&state=open").content.decode()
    assert "Flagged pilot" in page


def test_the_flag_list_keeps_showing_open_flags_while_sorting_paging_and_exporting(editor):
    pilot = running_pilot(today=today(), name="Refunds pilot")
    FlagFactory(pilot=pilot, message="Still open: accuracy below target")
    FlagFactory(
        pilot=pilot,
        message="Long resolved: data missing",
        opened_at=timezone.now() - datetime.timedelta(days=9),
        resolved_at=timezone.now() - datetime.timedelta(days=2),
    )
    client = logged_in_client(editor)
    url = reverse("pilots:flag-list")
    for query in ("", "?sort=-opened_at", "?page=1", "?severity=critical&sort=kind", "?_export=csv"):
        response = client.get(url + query)
        body = b"".join(response.streaming_content if response.streaming else [response.content]).decode()
        assert "Still open" in body and "Long resolved" not in body, query
    both = client.get(url + "?state=&sort=-opened_at").content.decode()
    assert "Still open" in both and "Long resolved" in both


def test_dashboard_shows_what_needs_attention(editor):
    pilot = running_pilot(today=today(), name="Chat support pilot", ends_on=today() + datetime.timedelta(days=3))
    FlagFactory(pilot=pilot, severity="critical")
    page = logged_in_client(editor).get(reverse("dashboard")).content.decode()
    assert "Chat support pilot" in page
    assert "1 critical" in page
    assert "decisions due in 14 days" in page
