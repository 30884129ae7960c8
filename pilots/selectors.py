"""Reads about pilots that are more than a filter: what stops a start, each metric against its
target, and the portfolio's headline numbers (the gate to expand has its own module, `gate`)."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from scope.selectors import hard_gate_problems
from vendors.models import ProviderCertification

from .choices import PilotStatus, Severity
from .lifecycle import UNDER_WAY
from .models import Flag, Measurement, Pilot, PilotMetric
from .periods import last_complete_period, missing_periods
from .rules import judge


def start_problems(pilot: Pilot) -> list[str]:
    """What stops `pilot` from running: targets, a blocked provider, the hard gates of its work items."""
    problems = []
    metrics = list(pilot.metrics.all())
    if not any(m.target is not None for m in metrics):
        problems.append("Add at least one metric with a target before the pilot starts.")
    untargeted = [m.name for m in metrics if m.target is None]
    if untargeted and len(untargeted) < len(metrics):
        problems.append(f"Give every metric a target or remove it: {', '.join(untargeted)}.")
    provider = pilot.provider
    items = list(pilot.work_items.prefetch_related("required_certifications"))
    if not items:
        problems.append("Choose the work item (one or two) the pilot covers.")
    seen = set()
    for item in items:
        for problem in hard_gate_problems(provider=provider, work_item=item, valid_through=pilot.ends_on):
            if problem not in seen:
                seen.add(problem)
                problems.append(problem)
    if provider.is_blocked and not any("is blocked" in p for p in problems):
        problems.append(f"{provider} is blocked: {provider.blocked_reason}")
    return problems


@dataclass
class MetricOverview:
    metric: PilotMetric
    measurements: list[Measurement]  # oldest first
    latest: Measurement | None
    previous: Measurement | None
    verdict: str  # met, near_miss (at risk), missed, missing, not_started, no_target
    missing: list[datetime.date]  # every due period without a measurement, oldest first

    @property
    def trend(self) -> str:
        """'better', 'worse' or '' comparing the latest value with the one before, by the metric's direction."""
        if not (self.latest and self.previous) or self.latest.value == self.previous.value:
            return ""
        up = self.latest.value > self.previous.value
        return "better" if up == (self.metric.direction == "higher_is_better") else "worse"


def periods_missing(pilot: Pilot, metric: PilotMetric, measurements, *, today: datetime.date) -> list[datetime.date]:
    """The metric's due periods without a measurement, while its pilot is under way (none before it
    starts or once it is decided)."""
    if pilot.status not in UNDER_WAY:
        return []
    return missing_periods(
        {m.period_start for m in measurements},
        today=today,
        cadence=metric.cadence,
        starts_on=pilot.starts_on,
        ends_on=pilot.ends_on,
    )


def metric_overviews(pilot: Pilot, *, today: datetime.date | None = None) -> list[MetricOverview]:
    """Each metric of a pilot against its target: latest value, trend, met / at risk / missed, and
    every due period that has no measurement (missing data is never a pass)."""
    today = today or timezone.localdate()
    metrics = pilot.metrics.prefetch_related(
        Prefetch("measurements", queryset=Measurement.objects.select_related("recorded_by").order_by("period_start"))
    )
    overviews = []
    for metric in metrics:
        measurements = list(metric.measurements.all())
        latest = measurements[-1] if measurements else None
        missing = periods_missing(pilot, metric, measurements, today=today)
        # Judged as the evaluation judges it: the latest complete period (a week under way waits).
        complete = last_complete_period(today, metric.cadence)
        judged = next((m for m in reversed(measurements) if m.period_start <= complete), None)
        if metric.target is None:
            verdict = "no_target"
        elif latest is None and pilot.status == PilotStatus.PLANNED:
            verdict = "not_started"
        elif judged is None:
            verdict = "missing"
        else:
            verdict = judge(
                value=judged.value, target=metric.target, direction=metric.direction, margin=metric.warning_margin
            )
        overviews.append(
            MetricOverview(
                metric=metric,
                measurements=measurements,
                latest=latest,
                previous=measurements[-2] if len(measurements) > 1 else None,
                verdict=verdict,
                missing=missing,
            )
        )
    return overviews


def stage_chain(pilot: Pilot) -> list[Pilot]:
    """Every stage of the pilot's engagement, first to last: its ancestors, itself and the stages
    grown from it (a chain is a handful of stages: one query per stage)."""
    first = pilot
    while first.parent_id is not None:
        first = Pilot.objects.only("pk", "parent_id").get(pk=first.parent_id)
    chain, frontier = [], [first.pk]
    while frontier:
        stages = list(Pilot.objects.filter(pk__in=frontier).order_by("stage", "pk"))
        chain.extend(stages)
        frontier = list(Pilot.objects.filter(parent__in=stages).values_list("pk", flat=True))
    return chain


def stage_comparison(pilot: Pilot, *, today: datetime.date | None = None) -> list:
    """For each metric two or more stages share (the same name, whatever its case, and the same unit,
    so one axis measures them all), one chart with a line per stage; empty when the pilot has a single
    stage. Each stage's values are judged against its own target; the target line is this stage's."""
    from .charts import Chart, metric_series

    chain = stage_chain(pilot)
    if len(chain) < 2:
        return []
    today = today or timezone.localdate()
    metrics = PilotMetric.objects.filter(pilot__in=chain).prefetch_related(
        Prefetch("measurements", queryset=Measurement.objects.order_by("period_start"))
    )
    by_stage = {stage.pk: stage for stage in chain}
    shared: dict[tuple[str, str], dict[int, PilotMetric]] = {}
    for metric in sorted(metrics, key=lambda m: m.pk):  # a stage's first metric of the name, if it has two
        key = (metric.name.casefold(), metric.unit.strip().casefold())
        shared.setdefault(key, {}).setdefault(metric.pilot_id, metric)
    # A stage is named by its number and share, and by its name too where two stages would read alike.
    labels = {stage.pk: f"Stage {stage.stage} ({stage.volume_share.normalize():f}%)" for stage in chain}
    alike = {label for label in labels.values() if list(labels.values()).count(label) > 1}
    labels = {pk: f"{label}: {by_stage[pk].name}" if label in alike else label for pk, label in labels.items()}
    charts = []
    for per_stage in shared.values():
        if len(per_stage) < 2:
            continue
        same = sorted(per_stage.values(), key=lambda m: (by_stage[m.pilot_id].stage, m.pilot_id))
        reference = next((m for m in same if m.pilot_id == pilot.pk), same[-1])
        series = []
        for metric in same:
            stage = by_stage[metric.pilot_id]
            measurements = list(metric.measurements.all())
            missing = periods_missing(stage, metric, measurements, today=today)
            series.append(metric_series(metric, measurements, missing, label=labels[stage.pk]))
        charts.append(
            Chart(
                title=f"{reference.name}, all stages",
                unit=reference.unit,
                cadence=reference.cadence,
                target=reference.target,
                direction=reference.direction,
                margin=reference.warning_margin or 0,
                series=series,
            )
        )
    return charts


DECISIONS_AHEAD_DAYS = 14


def decisions_due(*, today: datetime.date, days: int = DECISIONS_AHEAD_DAYS):
    """Pilots under way whose decision is overdue or falls in the next `days` days, most overdue first."""
    return (
        Pilot.objects.filter(status__in=UNDER_WAY, ends_on__lte=today + datetime.timedelta(days=days))
        .select_related("provider", "owner")
        .order_by("ends_on", "name")
    )


def expiring_certifications(*, today: datetime.date):
    """Certificates expired or expiring within the warning window, of providers with open pilots
    (planned or under way), soonest first."""
    warn_until = today + datetime.timedelta(days=settings.CERT_EXPIRY_WARNING_DAYS)
    return (
        ProviderCertification.objects.filter(
            Exists(Pilot.objects.open().filter(provider=OuterRef("provider"))),
            expires_on__isnull=False,
            expires_on__lte=warn_until,
        )
        .select_related("provider", "certification_type")
        .order_by("expires_on", "provider__name")
    )


def portfolio_counts(*, today: datetime.date) -> dict[str, int]:
    """The headline numbers the dashboard and the digest both show, read the same way (four queries)."""
    by_status = dict(Pilot.objects.under_way().values_list("status").annotate(n=Count("*")).order_by())
    flags = dict(Flag.objects.open().values_list("severity").annotate(n=Count("*")).order_by())
    decisions = Pilot.objects.under_way().aggregate(
        due=Count("pk", filter=Q(ends_on__range=(today, today + datetime.timedelta(days=DECISIONS_AHEAD_DAYS)))),
        overdue=Count("pk", filter=Q(ends_on__lt=today)),
    )
    return {
        "under_way": sum(by_status.values()),
        **{status: by_status.get(status, 0) for status in UNDER_WAY},
        "critical": flags.get(Severity.CRITICAL, 0),
        "warnings": flags.get(Severity.WARNING, 0),
        "due": decisions["due"],
        "overdue": decisions["overdue"],
        "certificates": expiring_certifications(today=today).count(),
    }
