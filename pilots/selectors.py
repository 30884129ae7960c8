"""Reads about pilots that are more than a filter: what stops a start, and why the gate is closed."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, Q, prefetch_related_objects
from django.utils import timezone

from scope.selectors import hard_gate_problems
from vendors.models import ProviderCertification

from .choices import PilotStatus, Severity
from .models import Flag, Measurement, Pilot, PilotMetric
from .periods import describe_period, due_period, last_complete_period, last_period, period_start, recent_periods
from .rules import MISSED, judge, number, target_text


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


def gate_status(pilot: Pilot, *, early_decision: bool = False, today: datetime.date | None = None) -> list[str]:
    """Why the gate to expand is closed, item by item; an empty list means it is open.

    Open when every critical metric met its target in each of its last N complete periods (N = the
    metric's proof minimum; a period without a measurement is not a pass), no critical flag is
    open, and the decision date has been reached or the owner records an early decision.
    """
    critical = list(
        pilot.metrics.filter(critical=True).prefetch_related(
            Prefetch("measurements", queryset=Measurement.objects.order_by("-period_start"))
        )
    )
    open_critical = list(Flag.objects.open().filter(pilot=pilot, severity=Severity.CRITICAL).select_related("metric"))
    return gate_reasons(
        pilot,
        critical_metrics=critical,
        open_critical_flags=open_critical,
        early_decision=early_decision,
        today=today or timezone.localdate(),
    )


def gate_reasons(
    pilot: Pilot,
    *,
    critical_metrics: list[PilotMetric],
    open_critical_flags: list[Flag],
    early_decision: bool,
    today: datetime.date,
) -> list[str]:
    """The gate's rule on rows already loaded (metrics with their measurements), for one or many pilots."""
    reasons = []
    if not critical_metrics:
        reasons.append("No metric is marked critical, so there is nothing to prove the pilot on.")
    for metric in critical_metrics:
        reasons.extend(_metric_proof_problems(metric, pilot=pilot, today=today))
    if open_critical_flags:
        listed = "; ".join(
            f"{flag.get_kind_display()}{f' on {flag.metric.name}' if flag.metric else ''}"
            for flag in open_critical_flags
        )
        count = len(open_critical_flags)
        reasons.append(f"{count} critical flag{'s are' if count > 1 else ' is'} open: {listed}.")
    if today < pilot.ends_on and not early_decision:
        reasons.append(
            f"The decision date ({pilot.ends_on:%d %b %Y}) has not been reached; "
            "the owner may record an early decision."
        )
    return reasons


def pilots_ready_to_expand(queryset=None, *, today: datetime.date | None = None) -> list[Pilot]:
    """Pilots whose gate to expand is open: passed ones waiting to grow, and those in review or past
    their decision date that have the proof. A fixed number of queries, however many pilots."""
    today = today or timezone.localdate()
    queryset = Pilot.objects.all() if queryset is None else queryset
    open_critical = Flag.objects.open().filter(pilot=OuterRef("pk"), severity=Severity.CRITICAL)
    passed = list(queryset.filter(status=PilotStatus.PASSED).select_related("provider", "owner"))
    candidates = list(
        queryset.filter(Q(status=PilotStatus.IN_REVIEW) | Q(status=PilotStatus.RUNNING, ends_on__lte=today))
        .filter(ends_on__lte=today)
        .exclude(Exists(open_critical))
        .select_related("provider", "owner")
    )
    ends_on = {pilot.pk: pilot.ends_on for pilot in candidates}
    metrics = list(PilotMetric.objects.filter(pilot__in=list(ends_on), critical=True))
    # Only the last N periods before each decision date matter; fetch from the earliest of those.
    earliest = min(
        (period_start(ends_on[m.pilot_id], m.cadence) - datetime.timedelta(days=31 * m.min_samples) for m in metrics),
        default=today,
    )
    prefetch_related_objects(
        metrics,
        Prefetch(
            "measurements", queryset=Measurement.objects.filter(period_start__gte=earliest).order_by("-period_start")
        ),
    )
    by_pilot: dict[int, list[PilotMetric]] = {}
    for m in metrics:
        by_pilot.setdefault(m.pilot_id, []).append(m)
    ready = [
        pilot
        for pilot in candidates
        if not gate_reasons(
            pilot,
            critical_metrics=by_pilot.get(pilot.pk, []),
            open_critical_flags=[],
            early_decision=False,
            today=today,
        )
    ]
    return passed + ready


def _metric_proof_problems(metric: PilotMetric, *, pilot: Pilot, today: datetime.date) -> list[str]:
    if metric.target is None:
        return [f"{metric.name} has no target."]
    until = min(last_complete_period(today, metric.cadence), last_period(pilot.ends_on, metric.cadence))
    periods = recent_periods(until=until, cadence=metric.cadence, count=metric.min_samples, starts_on=pilot.starts_on)
    by_period = {m.period_start: m for m in metric.measurements.all()}
    unit_name = "months" if metric.cadence == "monthly" else "weeks"
    failures = []
    for period in periods:
        measurement = by_period.get(period)
        if measurement is None:
            failures.append(f"no data for the {describe_period(period, metric.cadence)}")
        elif judge(value=measurement.value, target=metric.target, direction=metric.direction, margin=0) == MISSED:
            failures.append(f"{number(measurement.value)} in the {describe_period(period, metric.cadence)}")
    problems = []
    if len(periods) < metric.min_samples:
        problems.append(
            f"{metric.name} has only {len(periods)} complete {unit_name} of the {metric.min_samples} needed as proof."
        )
    if failures:
        met = len(periods) - len(failures)
        target = target_text(target=metric.target, direction=metric.direction, unit=metric.unit)
        problems.append(
            f"{metric.name} met its target ({target}) in {met} of its last {len(periods)} {unit_name}: "
            + "; ".join(failures)
            + "."
        )
    return problems


# The lifecycle: each named action, the statuses it starts from, and the status it leads to.
TRANSITIONS = {
    "start": ({PilotStatus.PLANNED}, PilotStatus.RUNNING),
    "pause": ({PilotStatus.RUNNING}, PilotStatus.PAUSED),
    "resume": ({PilotStatus.PAUSED}, PilotStatus.RUNNING),
    "submit_for_review": ({PilotStatus.RUNNING}, PilotStatus.IN_REVIEW),
    "decide": ({PilotStatus.IN_REVIEW}, None),  # expand → passed, stop → failed, extend → running
    "expand": ({PilotStatus.PASSED}, PilotStatus.EXPANDED),
    "close": ({PilotStatus.PASSED, PilotStatus.FAILED}, PilotStatus.CLOSED),
}


ACTION_LABELS = {
    "start": "Start",
    "pause": "Pause",
    "resume": "Resume",
    "submit_for_review": "Submit for review",
    "decide": "Record decision",
    "expand": "Expand to next stage",
    "close": "Close",
}


def available_actions(pilot: Pilot) -> list[str]:
    """The named actions the pilot's current status allows (their own preconditions still apply)."""
    return [name for name, (sources, _) in TRANSITIONS.items() if pilot.status in sources]


@dataclass
class MetricOverview:
    metric: PilotMetric
    measurements: list[Measurement]  # oldest first
    latest: Measurement | None
    previous: Measurement | None
    verdict: str  # met, near_miss, missed, missing, no_target
    missing_period: datetime.date | None

    @property
    def trend(self) -> str:
        """'better', 'worse' or '' comparing the latest value with the one before, by the metric's direction."""
        if not (self.latest and self.previous) or self.latest.value == self.previous.value:
            return ""
        up = self.latest.value > self.previous.value
        return "better" if up == (self.metric.direction == "higher_is_better") else "worse"


def metric_overviews(pilot: Pilot, *, today: datetime.date | None = None) -> list[MetricOverview]:
    """Each metric of a pilot against its target: latest value, trend, met / missed / missing."""
    today = today or timezone.localdate()
    metrics = pilot.metrics.prefetch_related(
        Prefetch("measurements", queryset=Measurement.objects.select_related("recorded_by").order_by("period_start"))
    )
    overviews = []
    for metric in metrics:
        measurements = list(metric.measurements.all())
        latest = measurements[-1] if measurements else None
        due = None
        if pilot.status in {PilotStatus.RUNNING, PilotStatus.PAUSED, PilotStatus.IN_REVIEW}:
            due = due_period(today=today, cadence=metric.cadence, starts_on=pilot.starts_on, ends_on=pilot.ends_on)
        missing = due if due and due not in {m.period_start for m in measurements} else None
        if metric.target is None:
            verdict = "no_target"
        elif latest is None and pilot.status == PilotStatus.PLANNED:
            verdict = "not_started"
        elif missing or latest is None:
            verdict = "missing"
        else:
            verdict = judge(
                value=latest.value, target=metric.target, direction=metric.direction, margin=metric.warning_margin
            )
        overviews.append(
            MetricOverview(
                metric=metric,
                measurements=measurements,
                latest=latest,
                previous=measurements[-2] if len(measurements) > 1 else None,
                verdict=verdict,
                missing_period=missing,
            )
        )
    return overviews


# Pilots not yet finished: planned, running, paused or in review.
UNDER_WAY = (PilotStatus.PLANNED, PilotStatus.RUNNING, PilotStatus.PAUSED, PilotStatus.IN_REVIEW)
DECISIONS_AHEAD_DAYS = 14


def decisions_due(*, today: datetime.date, days: int = DECISIONS_AHEAD_DAYS):
    """Pilots running or in review whose decision date falls in the next `days` days, soonest first."""
    return (
        Pilot.objects.filter(
            status__in=(PilotStatus.RUNNING, PilotStatus.IN_REVIEW),
            ends_on__range=(today, today + datetime.timedelta(days=days)),
        )
        .select_related("provider", "owner")
        .order_by("ends_on")
    )


def expiring_certifications(*, pilot_statuses, today: datetime.date):
    """Certificates expired or expiring within the warning window, of providers with pilots in
    `pilot_statuses`, soonest first."""
    warn_until = today + datetime.timedelta(days=settings.CERT_EXPIRY_WARNING_DAYS)
    return (
        ProviderCertification.objects.filter(
            provider__pilots__status__in=pilot_statuses, expires_on__isnull=False, expires_on__lte=warn_until
        )
        .select_related("provider", "certification_type")
        .distinct()
        .order_by("expires_on")
    )
