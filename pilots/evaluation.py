"""The evaluation service: find every pilot under way that misses a target, lacks data or
evidence, is overdue for a decision or is losing a required certification, and keep its flags in
step — open what now holds, keep what still holds, resolve what no longer does.

It is set-based: a fixed number of queries whatever the number of pilots. It is idempotent (a
second run opens and resolves nothing) and safe when runs overlap: inserts skip rows the partial
unique constraint already holds, and a row another run resolved first is not counted twice.
"""

import datetime
import logging
import operator
from dataclasses import dataclass, field
from functools import reduce

from django.db import transaction
from django.db.models import Case, Count, DateField, DecimalField, F, IntegerField, OuterRef, Q, Subquery, When, Window
from django.db.models.functions import Coalesce, Lag, Lead
from django.utils import timezone

from config.formatting import day
from scope.choices import Cadence
from vendors.models import ProviderCertification

from .choices import FlagKind, PilotStatus, Severity
from .lifecycle import EVALUATED, FINISHED
from .models import Flag, Measurement, Pilot, PilotMetric
from .notifications import queue_owner_alerts_on_commit, record_owner_alerts
from .periods import (
    describe_period,
    describe_periods,
    due_by,
    due_period,
    first_period,
    last_complete_period,
    latest_due_period,
    next_period,
    period_count,
    periods_between,
)
from .rules import MISSED, NEAR_MISS, judge, number, target_text

logger = logging.getLogger(__name__)

FlagKey = tuple[int, int | None, str]  # (pilot, metric or None, kind)


@dataclass
class EvaluationResult:
    opened: int = 0
    kept: int = 0
    resolved: int = 0
    pilots: int = 0
    opened_critical_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {"pilots": self.pilots, "opened": self.opened, "kept": self.kept, "resolved": self.resolved}

    def __add__(self, other: "EvaluationResult") -> "EvaluationResult":
        return EvaluationResult(
            opened=self.opened + other.opened,
            kept=self.kept + other.kept,
            resolved=self.resolved + other.resolved,
            pilots=self.pilots + other.pilots,
            opened_critical_ids=self.opened_critical_ids + other.opened_critical_ids,
        )


def evaluate_pilots(
    *, pilot_ids: list[int] | None = None, today: datetime.date | None = None, notify: bool = True
) -> EvaluationResult:
    """Evaluate the running and in-review pilots (all of them, or those in `pilot_ids`)."""
    today = today or timezone.localdate()
    now = timezone.now()
    pilots_qs = Pilot.objects.filter(status__in=EVALUATED)
    if pilot_ids is not None:
        pilots_qs = pilots_qs.filter(pk__in=pilot_ids)
    with transaction.atomic():
        pilots = {p["id"]: p for p in pilots_qs.values("id", "status", "starts_on", "ends_on", "provider_id")}
        wanted = _metric_flags(pilots, pilots_qs, today)
        wanted.update(_pilot_flags(pilots, pilots_qs, today))
        result = _apply(wanted, Flag.objects.open().filter(pilot__in=pilots_qs), now)
        result.pilots = len(pilots)
        result.resolved += resolve_flags_of_finished_pilots(now=now, pilot_ids=pilot_ids)
        if notify and result.opened_critical_ids and record_owner_alerts(flag_ids=result.opened_critical_ids):
            queue_owner_alerts_on_commit()
    logger.info(
        "Evaluated %s pilots: %s opened, %s kept, %s resolved",
        result.pilots,
        result.opened,
        result.kept,
        result.resolved,
    )
    return result


def resolve_flags_of_finished_pilots(
    *, now: datetime.datetime | None = None, pilot_ids: list[int] | None = None
) -> int:
    """Nobody watches a finished pilot any more: its open flags are resolved (all, or those of `pilot_ids`)."""
    flags = Flag.objects.open().filter(pilot__status__in=FINISHED)
    if pilot_ids is not None:
        flags = flags.filter(pilot__in=pilot_ids)
    return flags.update(resolved_at=now or timezone.now())


# --- What should be flagged -------------------------------------------------------------------


def _per_cadence(read, output_field) -> Case:
    """One expression per metric from the subquery its cadence needs (weekly and monthly periods
    are due, and complete, on different days): `read(cadence)` builds each."""
    return Case(*[When(cadence=c, then=read(c)) for c in Cadence.values], output_field=output_field)


def _measured_span(today: datetime.date) -> dict[str, Case]:
    """For each metric, over its periods up to its latest due one (and before its pilot's decision
    date): how many have a measurement, and the first and last that do. Compared with how many are
    due, they tell which metrics have a gap, and where, without reading their periods."""

    def due_measurements(cadence: str):
        return Measurement.objects.filter(
            metric=OuterRef("pk"),
            period_start__lte=latest_due_period(today, cadence),
            period_start__lt=OuterRef("pilot__ends_on"),
        ).order_by()

    def count(cadence: str):
        counted = due_measurements(cadence).values("metric").annotate(n=Count("*")).values("n")
        return Coalesce(Subquery(counted, output_field=IntegerField()), 0)

    def edge(order: str):
        return lambda cadence: Subquery(due_measurements(cadence).order_by(order).values("period_start")[:1])

    return {
        "measured_due": _per_cadence(count, IntegerField()),
        "first_measured": _per_cadence(edge("period_start"), DateField()),
        "last_measured": _per_cadence(edge("-period_start"), DateField()),
    }


def _missing_periods(metrics: list[dict], pilots: dict, today: datetime.date) -> dict[int, list[datetime.date]]:
    """Each metric's due periods without a measurement, oldest first (metrics without a gap left out).

    Comparing how many due periods each metric has measured with how many there are tells which have
    a gap; when the measured ones form one unbroken run, the gaps are before and after it. Only for a
    metric with a hole inside does the database return the edges of its runs of measured periods (the
    first, the last, and each one that follows a gap), so the work grows with the holes, not the
    measurements.
    """
    missing: dict[int, list[datetime.date]] = {}
    spans: dict[int, tuple[datetime.date, datetime.date, str]] = {}  # metrics with a hole inside
    for metric in metrics:
        pilot = pilots.get(metric["pilot_id"])
        if not pilot:
            continue
        cadence = metric["cadence"]
        last = due_period(today=today, cadence=cadence, starts_on=pilot["starts_on"], ends_on=pilot["ends_on"])
        if last is None:
            continue
        first, measured = first_period(pilot["starts_on"], cadence), metric["measured_due"]
        if measured == period_count(first, last, cadence):
            continue
        low, high = metric["first_measured"], metric["last_measured"]
        if measured == 0:
            missing[metric["id"]] = periods_between(first, next_period(last, cadence), cadence)
        elif measured == period_count(low, high, cadence):  # one unbroken run: the gaps are before and after it
            before, after = (
                periods_between(first, low, cadence),
                periods_between(next_period(high, cadence), next_period(last, cadence), cadence),
            )
            missing[metric["id"]] = before + after
        else:
            spans[metric["id"]] = (first, last, cadence)
    if not spans:
        return missing
    in_window = reduce(
        operator.or_,
        (Q(metric__cadence=c, period_start__lte=latest_due_period(today, c)) for c in Cadence.values),
    )
    by_period = {"partition_by": [F("metric_id")], "order_by": F("period_start").asc()}
    edges = (
        Measurement.objects.filter(in_window, metric__in=list(spans), period_start__lt=F("metric__pilot__ends_on"))
        .annotate(
            previous=Window(Lag("period_start"), **by_period),
            following=Window(Lead("period_start"), **by_period),
        )
        .filter(
            Q(previous__isnull=True)
            | Q(following__isnull=True)
            | Q(period_start__gt=F("previous") + datetime.timedelta(days=7))
        )
        .values_list("metric_id", "period_start", "previous", "following")
    )
    runs: dict[int, list[tuple]] = {}
    for metric_id, start, previous, following in edges:
        runs.setdefault(metric_id, []).append((start, previous, following))
    for metric_id, (first, last, cadence) in spans.items():
        gaps, cursor = [], first
        for start, previous, following in sorted(runs.get(metric_id, [])):
            if previous is None:  # before the first measured period
                gaps += periods_between(cursor, start, cadence)
            elif next_period(previous, cadence) != start:  # between two runs of measured periods
                gaps += periods_between(next_period(previous, cadence), start, cadence)
            if following is None:
                cursor = next_period(start, cadence)
        gaps += periods_between(cursor, next_period(last, cadence), cadence)
        if gaps:
            missing[metric_id] = gaps
    return missing


def _latest_complete(today: datetime.date, field: str, output_field) -> Case:
    """The metric's latest measurement of a complete period (a week still under way is not judged yet,
    as the gate does not judge it)."""

    def latest(cadence: str):
        complete = Measurement.objects.filter(
            metric=OuterRef("pk"), period_start__lte=last_complete_period(today, cadence)
        )
        return Subquery(complete.order_by("-period_start").values(field)[:1])

    return _per_cadence(latest, output_field)


def _metric_flags(pilots: dict, pilots_qs, today: datetime.date) -> dict[FlagKey, tuple[str, str]]:
    sample_count = (
        Measurement.objects.filter(metric=OuterRef("pk")).order_by().values("metric").annotate(n=Count("*")).values("n")
    )
    metrics = list(
        PilotMetric.objects.filter(pilot__in=pilots_qs, target__isnull=False)
        .annotate(
            latest_period=_latest_complete(today, "period_start", DateField()),
            latest_value=_latest_complete(today, "value", DecimalField(max_digits=14, decimal_places=4)),
            **_measured_span(today),
            # Samples only matter from the decision date on; skip counting for the other pilots.
            samples=Case(
                When(pilot__ends_on__lte=today, then=Subquery(sample_count, output_field=IntegerField())),
                default=None,
                output_field=IntegerField(),
            ),
        )
        .values(
            "id",
            "pilot_id",
            "name",
            "unit",
            "direction",
            "target",
            "warning_margin",
            "critical",
            "cadence",
            "min_samples",
            "latest_period",
            "latest_value",
            "measured_due",
            "first_measured",
            "last_measured",
            "samples",
        )
    )
    missing = _missing_periods(metrics, pilots, today)

    wanted: dict[FlagKey, tuple[str, str]] = {}
    for metric in metrics:
        pilot = pilots.get(metric["pilot_id"])
        if not pilot:
            continue
        key = (metric["pilot_id"], metric["id"])
        name, cadence = metric["name"], metric["cadence"]
        target = target_text(target=metric["target"], direction=metric["direction"], unit=metric["unit"])
        severity_if_critical = Severity.CRITICAL if metric["critical"] else Severity.WARNING
        if metric["latest_value"] is not None:
            verdict = judge(
                value=metric["latest_value"],
                target=metric["target"],
                direction=metric["direction"],
                margin=metric["warning_margin"],
            )
            period = describe_period(metric["latest_period"], cadence)
            if verdict == MISSED:
                wanted[(*key, FlagKind.TARGET_MISSED)] = (
                    severity_if_critical,
                    f"{name} was {number(metric['latest_value'])} in the {period}, missing its target ({target}).",
                )
            elif verdict == NEAR_MISS:
                wanted[(*key, FlagKind.NEAR_MISS)] = (
                    Severity.WARNING,
                    f"{name} met its target ({target}) in the {period} with {number(metric['latest_value'])}, but "
                    f"by less than its warning margin of {number(metric['warning_margin'])}: at risk.",
                )
        gaps = missing.get(metric["id"])
        if gaps:
            wanted[(*key, FlagKind.MISSING_DATA)] = (
                Severity.WARNING,
                f"{name} has no measurement for the {describe_periods(gaps, cadence)} "
                f"(due by {day(due_by(gaps[-1], cadence))}). Missing data is never a pass.",
            )
        samples = metric["samples"] or 0
        if today >= pilot["ends_on"] and samples < metric["min_samples"]:
            wanted[(*key, FlagKind.INSUFFICIENT_EVIDENCE)] = (
                severity_if_critical,
                f"{name} has {samples} of the {metric['min_samples']} measurements needed as proof at the "
                f"decision date ({day(pilot['ends_on'])}).",
            )
    return wanted


def _pilot_flags(pilots: dict, pilots_qs, today: datetime.date) -> dict[FlagKey, tuple[str, str]]:
    wanted: dict[FlagKey, tuple[str, str]] = {}
    for pilot in pilots.values():
        overdue_days = (today - pilot["ends_on"]).days
        if pilot["status"] == PilotStatus.RUNNING and overdue_days > 0:
            wanted[(pilot["id"], None, FlagKind.DECISION_OVERDUE)] = (
                Severity.WARNING,
                f"The decision date ({day(pilot['ends_on'])}) passed {overdue_days} day"
                f"{'s' if overdue_days != 1 else ''} ago and the pilot is still running: review it and decide.",
            )

    required: dict[int, dict[int, str]] = {}
    for pilot_id, type_id, code in Pilot.work_items.through.objects.filter(
        pilot__in=pilots_qs, workitem__required_certifications__isnull=False
    ).values_list("pilot_id", "workitem__required_certifications__id", "workitem__required_certifications__code"):
        required.setdefault(pilot_id, {})[type_id] = code
    if not required:
        return wanted
    until = {pid: p["ends_on"] for pid, p in pilots.items()}
    for parent_id, ends_on in Pilot.objects.filter(parent__in=pilots_qs, status=PilotStatus.PLANNED).values_list(
        "parent_id", "ends_on"
    ):
        until[parent_id] = max(until[parent_id], ends_on)
    held: dict[tuple[int, int], datetime.date | None] = {}
    for provider_id, type_id, expires_on in ProviderCertification.objects.filter(
        provider_id__in=pilots_qs.values("provider_id"), verified_at__isnull=False
    ).values_list("provider_id", "certification_type_id", "expires_on"):
        key = (provider_id, type_id)
        # The longest-lasting verified certificate of each type counts; no expiry date lasts forever.
        if key not in held or (held[key] is not None and (expires_on is None or expires_on > held[key])):
            held[key] = expires_on
    for pilot_id, types in required.items():
        pilot = pilots[pilot_id]
        end = until[pilot_id]
        lapses = []
        for type_id, code in sorted(types.items(), key=lambda t: t[1]):
            key = (pilot["provider_id"], type_id)
            if key not in held:
                lapses.append(f"{code} is not held as a verified certificate")
            elif held[key] is not None and held[key] < end:
                lapses.append(f"{code} expires on {day(held[key])}")
        if lapses:
            wanted[(pilot_id, None, FlagKind.CERTIFICATION_LAPSED)] = (
                Severity.CRITICAL,
                f"Required certification lapses before the pilot ends ({day(end)}): {'; '.join(lapses)}.",
            )
    return wanted


# --- Bringing the flags in step ---------------------------------------------------------------


def _apply(wanted: dict[FlagKey, tuple[str, str]], open_flags_qs, now: datetime.datetime) -> EvaluationResult:
    existing = {
        (f["pilot_id"], f["metric_id"], f["kind"]): f
        for f in open_flags_qs.values("id", "pilot_id", "metric_id", "kind", "severity", "message")
    }
    to_resolve = [f["id"] for key, f in existing.items() if key not in wanted]
    to_refresh = [
        Flag(pk=f["id"], severity=wanted[key][0], message=wanted[key][1])
        for key, f in existing.items()
        if key in wanted and (f["severity"], f["message"]) != wanted[key]
    ]
    new = [
        Flag(
            pilot_id=key[0],
            metric_id=key[1],
            kind=key[2],
            severity=severity,
            message=message,
            opened_at=now,
            last_seen_at=now,
        )
        for key, (severity, message) in wanted.items()
        if key not in existing
    ]
    result = EvaluationResult()
    if to_resolve:
        result.resolved = Flag.objects.open().filter(pk__in=to_resolve).update(resolved_at=now)
    if to_refresh:
        Flag.objects.bulk_update(to_refresh, ["severity", "message"], batch_size=1000)
    if new:
        # Another run may have opened the same flag a moment ago: the partial unique constraint
        # keeps one, and this insert skips it.
        Flag.objects.bulk_create(new, ignore_conflicts=True)
        opened = list(open_flags_qs.filter(opened_at=now).values_list("id", "severity"))
        result.opened = len(opened)
        result.opened_critical_ids = [pk for pk, severity in opened if severity == Severity.CRITICAL]
    open_flags_qs.exclude(opened_at=now).update(last_seen_at=now)
    result.kept = len(existing) - result.resolved
    return result
