"""Builders for pilots at a known point in their life, relative to a given day."""

import datetime
from decimal import Decimal

from pilots.choices import PilotStatus
from pilots.models import Measurement
from pilots.periods import period_start
from scope.choices import Direction, WorkItemStatus
from tests.factories import PilotFactory, PilotMetricFactory, WorkItemFactory


def monday(day: datetime.date) -> datetime.date:
    return period_start(day, "weekly")


def running_pilot(*, today: datetime.date, weeks_running: int = 8, weeks_left: int = 4, **kwargs):
    item = WorkItemFactory(status=WorkItemStatus.PILOTING)
    return PilotFactory(
        status=kwargs.pop("status", PilotStatus.RUNNING),
        starts_on=monday(today) - datetime.timedelta(weeks=weeks_running),
        ends_on=kwargs.pop("ends_on", today + datetime.timedelta(weeks=weeks_left)),
        work_items=[item],
        **kwargs,
    )


def metric(pilot, **kwargs):
    defaults = {
        "direction": Direction.HIGHER_IS_BETTER,
        "target": Decimal("95"),
        "warning_margin": Decimal("0"),
        "critical": True,
        "min_samples": 4,
    }
    return PilotMetricFactory(pilot=pilot, **{**defaults, **kwargs})


def measure(m, *, today: datetime.date, weeks_ago: int, value) -> Measurement:
    """A weekly measurement for the week that started `weeks_ago` weeks before this week's Monday."""
    return Measurement.objects.create(
        metric=m,
        period_start=monday(today) - datetime.timedelta(weeks=weeks_ago),
        value=Decimal(str(value)),
        sample_size=100,
    )


def measure_weeks(m, *, today: datetime.date, values: list, start_weeks_ago: int = 1):
    """Values for consecutive complete weeks, newest first, starting `start_weeks_ago` weeks back."""
    return [measure(m, today=today, weeks_ago=start_weeks_ago + i, value=v) for i, v in enumerate(values)]
