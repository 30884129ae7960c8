"""The gate to expand: one rule, one answer, shown word for word on the pilot page, the decision
page, the admin, the dashboard's "ready to expand" and the digest.

Open when every critical metric met its target in each of its last N periods (N = its proof
minimum; a period without a measurement is not a pass), no critical flag is open, and the decision
date has been reached. Before the date, the owner may record an early decision to expand once the
proof is there. A decided pilot's answer says what was decided.
"""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.text import Truncator

from config.fields import one_line
from config.formatting import day, person_name

from .choices import DecisionOutcome, PilotStatus, Severity
from .disputes import open_disputes_in
from .lifecycle import DECIDED, EVALUATED
from .models import Decision, Flag, Measurement, Pilot, PilotMetric
from .periods import describe_period, last_complete_period, last_period, recent_periods
from .rules import MET, judge, number, target_text

NO_CRITICAL_METRIC = "No metric is marked critical, so there is nothing to prove the pilot on."


@dataclass
class ProofPeriod:
    """One of a metric's proof periods: its value (None when nothing was measured) and verdict."""

    start: datetime.date
    label: str
    value: object | None
    met: bool


@dataclass
class MetricProof:
    metric: PilotMetric
    periods: list[ProofPeriod]  # newest first
    problems: list[str]


@dataclass
class GateAnswer:
    """The gate's answer for one pilot."""

    pilot: Pilot
    proof_reasons: list[str]  # what the evidence lacks
    date_reason: str | None  # the decision date not yet reached
    decision: Decision | None = None  # the decision a decided pilot rests on

    @property
    def reasons(self) -> list[str]:
        """Why the gate is closed, item by item; empty when it is open."""
        return self.proof_reasons + ([self.date_reason] if self.date_reason else [])

    @property
    def is_open(self) -> bool:
        return not self.reasons

    @property
    def proof_ready(self) -> bool:
        """The evidence is there; only the decision date may still stand in the way."""
        return not self.proof_reasons

    @property
    def decided(self) -> bool:
        return self.pilot.status in DECIDED

    @property
    def state(self) -> str:
        """open, closed or decided: the panel's colour."""
        return "decided" if self.decided else "open" if self.is_open else "closed"

    @property
    def headline(self) -> str:
        if self.decided:
            return f"Gate to expand: {self.decided_text}"
        return f"Gate to expand: {'open' if self.is_open else 'closed'}"

    # What the panel says under an open gate (a closed one lists its reasons instead).
    summary = (
        "Every critical metric met its target in each of its proof periods, no critical flag is open "
        "and the decision date has been reached."
    )

    @property
    def decided_text(self) -> str:
        pilot, decision = self.pilot, self.decision
        when = f" on {day(decision.decided_at)}" if decision else ""
        who = decision.decided_by if decision else None
        by = f" by {person_name(who)}" if who else ""
        outcome = decision.get_outcome_display().lower() if decision else ""
        if pilot.status == PilotStatus.PASSED:
            return f"decided to expand{when}{by}; waiting to grow into stage {pilot.stage + 1}"
        if pilot.status == PilotStatus.FAILED:
            return f"decided to stop{when}{by}"
        if pilot.status == PilotStatus.EXPANDED:
            return f"expanded into stage {pilot.stage + 1} after the decision to expand{when}{by}"
        if decision:
            return f"closed after the decision to {outcome}{when}{by}"
        return "closed"


def expansion_gate(pilot: Pilot, *, today: datetime.date | None = None) -> GateAnswer:
    """The gate's answer for one pilot."""
    return expansion_gates([pilot], today=today)[pilot.pk]


def expansion_gates(pilots: list[Pilot], *, today: datetime.date | None = None) -> dict[int, GateAnswer]:
    """The gate's answer for each pilot, in at most five queries however many there are: metrics,
    values, open disputes, flags and decisions."""
    today = today or timezone.localdate()
    by_pk = {pilot.pk: pilot for pilot in pilots}
    metrics = list(PilotMetric.objects.filter(pilot__in=list(by_pk), critical=True).order_by("pilot", "name"))
    # Only each metric's proof periods matter: fetch those, the metrics sharing a window together.
    windows: dict[tuple[datetime.date, datetime.date], list[int]] = {}
    proof_periods: dict[int, list[datetime.date]] = {}
    for metric in metrics:
        if periods := proof_window(metric, pilot=by_pk[metric.pilot_id], today=today):
            windows.setdefault((periods[-1], periods[0]), []).append(metric.pk)
            proof_periods[metric.pk] = periods
    disputes = open_disputes_in(proof_periods)
    in_windows = Q(pk__in=[])
    for (oldest, newest), metric_ids in windows.items():
        in_windows |= Q(metric__in=metric_ids, period_start__range=(oldest, newest))
    recorded: dict[int, dict[datetime.date, Decimal]] = {}
    for metric_id, start, value in (
        Measurement.objects.filter(in_windows).order_by().values_list("metric_id", "period_start", "value")
    ):
        recorded.setdefault(metric_id, {})[start] = value
    by_pilot: dict[int, list[PilotMetric]] = {}
    for metric in metrics:
        by_pilot.setdefault(metric.pilot_id, []).append(metric)
    flags: dict[int, list[Flag]] = {}
    for flag in (
        Flag.objects.open()
        .filter(pilot__in=list(by_pk), severity=Severity.CRITICAL)
        .select_related("metric")
        .order_by("pilot", "kind", "metric__name")
    ):
        flags.setdefault(flag.pilot_id, []).append(flag)
    decisions: dict[int, Decision] = {}
    decided = [pk for pk, pilot in by_pk.items() if pilot.status in DECIDED]
    if decided:
        for decision in (
            Decision.objects.filter(pilot__in=decided)
            .exclude(outcome=DecisionOutcome.EXTEND)
            .select_related("decided_by")
            .order_by("pilot", "-decided_at")
        ):
            decisions.setdefault(decision.pilot_id, decision)
    return {
        pk: _answer(pilot, by_pilot.get(pk, []), recorded, disputes, flags.get(pk, []), decisions.get(pk), today)
        for pk, pilot in by_pk.items()
    }


def _answer(pilot, critical_metrics, recorded, disputes, open_critical_flags, decision, today) -> GateAnswer:
    reasons = []
    proofs = [
        metric_proof(metric, pilot=pilot, recorded=recorded.get(metric.pk, {}), today=today)
        for metric in critical_metrics
    ]
    if not critical_metrics:
        reasons.append(NO_CRITICAL_METRIC)
    for proof in proofs:
        reasons.extend(proof.problems)
        for dispute in disputes.get(proof.metric.pk, []):
            label = describe_period(dispute.measurement.period_start, proof.metric.cadence)
            reasons.append(
                f"{proof.metric.name}'s value for the {label} ({number(dispute.disputed_value)}) is disputed by "
                f"{dispute.raised_by_name}: “{Truncator(one_line(dispute.reason)).chars(120)}”"
            )
    if open_critical_flags:
        listed = "; ".join(
            f"{flag.get_kind_display()}{f' on {flag.metric.name}' if flag.metric else ''}"
            for flag in open_critical_flags
        )
        count = len(open_critical_flags)
        reasons.append(f"{count} critical flag{'s are' if count > 1 else ' is'} open: {listed}.")
    date_reason = None
    if today < pilot.ends_on:
        date_reason = (
            f"The decision date ({day(pilot.ends_on)}) has not been reached; the owner may record an early decision."
        )
    return GateAnswer(pilot=pilot, proof_reasons=reasons, date_reason=date_reason, decision=decision)


def proof_window(metric: PilotMetric, *, pilot: Pilot, today: datetime.date) -> list[datetime.date]:
    """The metric's proof periods: its last N complete periods up to the decision date, newest first."""
    until = min(last_complete_period(today, metric.cadence), last_period(pilot.ends_on, metric.cadence))
    return recent_periods(until=until, cadence=metric.cadence, count=metric.min_samples, starts_on=pilot.starts_on)


def metric_proof(
    metric: PilotMetric, *, pilot: Pilot, recorded: Mapping[datetime.date, Decimal], today: datetime.date
) -> MetricProof:
    """The metric against its target in each proof period (`recorded`: its values by period start,
    at least those of the proof periods); a period without data is not met."""
    if metric.target is None:
        return MetricProof(metric=metric, periods=[], problems=[f"{metric.name} has no target."])
    periods = []
    for start in proof_window(metric, pilot=pilot, today=today):
        value = recorded.get(start)
        met = (
            value is not None and judge(value=value, target=metric.target, direction=metric.direction, margin=0) == MET
        )
        periods.append(ProofPeriod(start=start, label=describe_period(start, metric.cadence), value=value, met=met))
    unit_name = "months" if metric.cadence == "monthly" else "weeks"
    problems = []
    if len(periods) < metric.min_samples:
        problems.append(
            f"{metric.name} has only {len(periods)} complete {unit_name} of the {metric.min_samples} needed as proof."
        )
    failures = [
        f"no data for the {p.label}" if p.value is None else f"{number(p.value)} in the {p.label}"
        for p in periods
        if not p.met
    ]
    if failures:
        target = target_text(target=metric.target, direction=metric.direction, unit=metric.unit)
        problems.append(
            f"{metric.name} met its target ({target}) in {len(periods) - len(failures)} of its last {len(periods)} "
            f"{unit_name}: " + "; ".join(failures) + "."
        )
    return MetricProof(metric=metric, periods=periods, problems=problems)


def metric_proofs(pilot: Pilot, *, today: datetime.date | None = None) -> list[MetricProof]:
    """Every metric of the pilot (critical first) against its target in its proof periods: the
    evidence a decision is made on."""
    today = today or timezone.localdate()
    metrics = pilot.metrics.order_by("-critical", "name").prefetch_related("measurements")
    return [
        metric_proof(
            metric, pilot=pilot, recorded={m.period_start: m.value for m in metric.measurements.all()}, today=today
        )
        for metric in metrics
    ]


def pilots_ready_to_expand(queryset=None, *, today: datetime.date | None = None) -> list[tuple[Pilot, GateAnswer]]:
    """Pilots decided to expand and waiting to grow, then those in review or past their decision date
    whose gate is open; each with the gate's answer. A fixed number of queries."""
    today = today or timezone.localdate()
    queryset = Pilot.objects.all() if queryset is None else queryset
    passed = list(queryset.filter(status=PilotStatus.PASSED).select_related("provider", "owner").order_by("ends_on"))
    candidates = list(
        queryset.filter(status__in=EVALUATED, ends_on__lte=today)
        .exclude(Exists(Flag.objects.open().filter(pilot=OuterRef("pk"), severity=Severity.CRITICAL)))
        .select_related("provider", "owner")
        .order_by("ends_on")
    )
    answers = expansion_gates(passed + candidates, today=today)
    return [(pilot, answers[pilot.pk]) for pilot in passed] + [
        (pilot, answers[pilot.pk]) for pilot in candidates if answers[pilot.pk].is_open
    ]


__all__ = ["GateAnswer", "expansion_gate", "expansion_gates", "metric_proofs", "pilots_ready_to_expand"]
