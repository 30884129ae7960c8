"""The "start small, grow with proof" workflow as an administrator runs it in the admin."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from pilots.choices import FlagKind, PilotStatus
from pilots.models import Flag, Pilot
from scope.choices import WorkItemStatus
from tests.factories import ProviderFactory, SuccessMetricFactory, WorkItemFactory

from .helpers import measure_weeks, metric, running_pilot

pytestmark = pytest.mark.django_db


def lifecycle(pilot, action):
    return reverse("admin:pilots_pilot_lifecycle", args=[pilot.pk, action])


def test_admin_plans_starts_measures_and_sees_the_flag_come_and_go(admin_client, capsys):
    item = WorkItemFactory(status=WorkItemStatus.READY)
    SuccessMetricFactory(work_item=item, name="Accuracy", target=Decimal("98"), critical=True)
    provider = ProviderFactory()
    today = timezone.localdate()
    response = admin_client.post(
        reverse("admin:pilots_pilot_add"),
        {
            "name": "AP pilot",
            "provider": provider.pk,
            "work_items": [item.pk],
            "starts_on": today - datetime.timedelta(weeks=3),
            "ends_on": today + datetime.timedelta(weeks=5),
            "volume_share": "10",
            "decision_rule": "Accuracy ≥ 98% for 4 weeks",
            "metrics-TOTAL_FORMS": "0",
            "metrics-INITIAL_FORMS": "0",
            "decisions-TOTAL_FORMS": "0",
            "decisions-INITIAL_FORMS": "0",
            "flags-TOTAL_FORMS": "0",
            "flags-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    pilot = Pilot.objects.get(name="AP pilot")
    assert pilot.status == PilotStatus.PLANNED
    assert list(pilot.metrics.values_list("name", flat=True)) == ["Accuracy"]

    page = admin_client.get(reverse("admin:pilots_pilot_change", args=[pilot.pk])).content.decode()
    assert "Gate to expand" in page and lifecycle(pilot, "start") in page

    assert admin_client.post(lifecycle(pilot, "start")).status_code == 302
    pilot.refresh_from_db()
    assert pilot.status == PilotStatus.RUNNING

    m = pilot.metrics.get()
    last_week = today - datetime.timedelta(weeks=1)
    response = admin_client.post(
        reverse("admin:pilots_measurement_add"),
        {
            "metric": m.pk,
            "period_start": last_week,
            "value": "91.5",
            "sample_size": "200",
            "source": "manual",
            "note": "",
        },
    )
    assert response.status_code == 302
    call_command("evaluate_pilots")
    assert "flags opened" in capsys.readouterr().out
    flag = Flag.objects.open().get(pilot=pilot, kind=FlagKind.TARGET_MISSED)
    page = admin_client.get(reverse("admin:pilots_pilot_change", args=[pilot.pk])).content.decode()
    assert "1 critical flag is open: Target missed on Accuracy." in page

    measurement = m.measurements.get()
    response = admin_client.post(
        reverse("admin:pilots_measurement_change", args=[measurement.pk]),
        {
            "metric": m.pk,
            "period_start": measurement.period_start,
            "value": "99.1",
            "sample_size": "200",
            "source": "manual",
            "note": "Corrected after the provider's recount",
        },
    )
    assert response.status_code == 302
    assert m.measurements.count() == 1
    call_command("evaluate_pilots")
    flag.refresh_from_db()
    assert flag.resolved_at is not None


def test_admin_expands_a_proven_pilot_and_is_refused_without_proof(admin_client, admin_user):
    today = timezone.localdate()
    proven = running_pilot(today=today, ends_on=today, status=PilotStatus.IN_REVIEW, owner=admin_user)
    measure_weeks(metric(proven, name="Accuracy", target=Decimal("98")), today=today, values=["99"] * 4)
    unproven = running_pilot(today=today, ends_on=today, status=PilotStatus.IN_REVIEW, owner=admin_user)
    measure_weeks(metric(unproven, name="Accuracy", target=Decimal("98")), today=today, values=["99", "90", "99", "99"])

    refused = admin_client.post(lifecycle(unproven, "decide"), {"outcome": "expand", "rationale": "Looks good"})
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "The gate to expand is closed:" in text
    assert "Accuracy met its target (≥ 98%) in 3 of its last 4 weeks" in text
    unproven.refresh_from_db()
    assert unproven.status == PilotStatus.IN_REVIEW

    assert (
        admin_client.post(lifecycle(proven, "decide"), {"outcome": "expand", "rationale": "Proven"}).status_code == 302
    )
    response = admin_client.post(lifecycle(proven, "expand"), {"volume_share": "30"})
    assert response.status_code == 302
    stage_two = Pilot.objects.get(parent=proven)
    assert (stage_two.stage, stage_two.volume_share, stage_two.status) == (2, Decimal("30"), PilotStatus.PLANNED)


def test_admin_refuses_a_third_work_item(admin_client):
    items = [WorkItemFactory(status=WorkItemStatus.READY) for _ in range(3)]
    today = timezone.localdate()
    response = admin_client.post(
        reverse("admin:pilots_pilot_add"),
        {
            "name": "Too big",
            "provider": ProviderFactory().pk,
            "work_items": [i.pk for i in items],
            "starts_on": today,
            "ends_on": today + datetime.timedelta(weeks=5),
            "volume_share": "10",
            "metrics-TOTAL_FORMS": "0",
            "metrics-INITIAL_FORMS": "0",
            "decisions-TOTAL_FORMS": "0",
            "decisions-INITIAL_FORMS": "0",
            "flags-TOTAL_FORMS": "0",
            "flags-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "A pilot covers one or two work items, not 3" in response.content.decode()
    assert not Pilot.objects.filter(name="Too big").exists()


def test_lifecycle_view_answers_404_for_unknown_pilots_and_actions(admin_client):
    assert admin_client.get(reverse("admin:pilots_pilot_lifecycle", args=[999999, "start"])).status_code == 404
    pilot = running_pilot(today=timezone.localdate())
    assert admin_client.get(reverse("admin:pilots_pilot_lifecycle", args=[pilot.pk, "explode"])).status_code == 404
