import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from pilots.models import Flag
from tests.factories import (
    DecisionFactory,
    FlagFactory,
    MeasurementFactory,
    PilotFactory,
    PilotMetricFactory,
)

pytestmark = pytest.mark.django_db


def integrity_error(factory, **kwargs):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**kwargs)


def test_pilot_ends_after_it_starts():
    today = timezone.localdate()
    integrity_error(PilotFactory, starts_on=today, ends_on=today)
    pilot = PilotFactory()
    pilot.ends_on = pilot.starts_on - datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        pilot.full_clean()
    assert "decision date must be after the start date" in exc.value.message_dict["ends_on"][0]


@pytest.mark.parametrize("share", ["0", "-5", "100.01"])
def test_share_of_volume_in_0_to_100(share):
    integrity_error(PilotFactory, volume_share=Decimal(share))


def test_share_of_volume_of_100_is_allowed():
    assert PilotFactory(volume_share=Decimal("100")).pk


def test_pilot_names_are_unique():
    PilotFactory(name="AP stage 1")
    integrity_error(PilotFactory, name="AP stage 1")


def test_stage_matches_parent():
    integrity_error(PilotFactory, stage=2)
    parent = PilotFactory()
    integrity_error(PilotFactory, parent=parent, stage=1)
    assert PilotFactory(parent=parent, stage=2).parent == parent


def test_one_measurement_per_metric_and_period():
    measurement = MeasurementFactory()
    integrity_error(MeasurementFactory, metric=measurement.metric, period_start=measurement.period_start)


def test_warning_margin_not_negative_and_min_samples_positive():
    integrity_error(PilotMetricFactory, warning_margin=Decimal("-1"))
    integrity_error(PilotMetricFactory, min_samples=0)


def test_one_open_flag_per_pilot_metric_and_kind():
    metric = PilotMetricFactory()
    FlagFactory(pilot=metric.pilot, metric=metric)
    integrity_error(FlagFactory, pilot=metric.pilot, metric=metric)
    FlagFactory(pilot=metric.pilot, metric=metric, kind="near_miss", severity="warning")


def test_one_open_pilot_wide_flag_per_kind():
    pilot = PilotFactory()
    FlagFactory(pilot=pilot, kind="decision_overdue", severity="warning")
    integrity_error(FlagFactory, pilot=pilot, kind="decision_overdue", severity="warning")


def test_resolved_flags_do_not_block_a_new_open_one():
    metric = PilotMetricFactory()
    first = FlagFactory(pilot=metric.pilot, metric=metric)
    first.resolved_at = timezone.now()
    first.save()
    FlagFactory(pilot=metric.pilot, metric=metric)
    assert Flag.objects.filter(pilot=metric.pilot).open().count() == 1


def test_flag_kind_and_severity_are_checked():
    integrity_error(FlagFactory, kind="bogus")
    integrity_error(FlagFactory, severity="meh")


def test_decision_needs_a_rationale():
    integrity_error(DecisionFactory, rationale="")


def test_measurement_correction_is_kept_in_history():
    measurement = MeasurementFactory(value=Decimal("90"))
    measurement.value = Decimal("97")
    measurement.save()
    assert [h.value for h in measurement.history.all()] == [Decimal("97"), Decimal("90")]
