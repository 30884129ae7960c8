"""Reads about pilots that are more than a filter: what stops a start, and why the gate is closed."""

import datetime

from django.db.models import Prefetch
from django.utils import timezone

from scope.selectors import hard_gate_problems

from .choices import PilotStatus, Severity
from .models import Flag, Measurement, Pilot, PilotMetric
from .periods import describe_period, last_complete_period, last_period, recent_periods
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
    today = today or timezone.localdate()
    reasons = []
    critical = list(
        pilot.metrics.filter(critical=True).prefetch_related(
            Prefetch("measurements", queryset=Measurement.objects.order_by("-period_start"))
        )
    )
    if not critical:
        reasons.append("No metric is marked critical, so there is nothing to prove the pilot on.")
    for metric in critical:
        reasons.extend(_metric_proof_problems(metric, pilot=pilot, today=today))
    open_critical = list(Flag.objects.open().filter(pilot=pilot, severity=Severity.CRITICAL).select_related("metric"))
    if open_critical:
        listed = "; ".join(
            f"{flag.get_kind_display()}{f' on {flag.metric.name}' if flag.metric else ''}" for flag in open_critical
        )
        reasons.append(
            f"{len(open_critical)} critical flag{'s are' if len(open_critical) > 1 else ' is'} open: {listed}."
        )
    if today < pilot.ends_on and not early_decision:
        reasons.append(
            f"The decision date ({pilot.ends_on:%d %b %Y}) has not been reached; "
            "the owner may record an early decision."
        )
    return reasons


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


def available_actions(pilot: Pilot) -> list[str]:
    """The named actions the pilot's current status allows (their own preconditions still apply)."""
    return [name for name, (sources, _) in TRANSITIONS.items() if pilot.status in sources]
