"""Evidence in: recording a period's measurements (one or several metrics, every way in) and
acknowledging flags. Every write re-evaluates its pilot once it commits."""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from config.formatting import day, number

from .choices import MeasurementSource
from .disputes import disputes_close_by_corrections
from .lifecycle import RECORDABLE
from .models import Flag, Measurement, Pilot, PilotMetric
from .periods import first_period, period_start
from .rules import value_problem

# How a correction came in, as a closed dispute's note says it.
SOURCE_HOW = {
    MeasurementSource.MANUAL: "through the measurement form",
    MeasurementSource.IMPORT: "by a spreadsheet import",
    MeasurementSource.API: "through the API",
    MeasurementSource.PROVIDER: "by the provider through its link",
}


def measurement_problems(
    *, metric: PilotMetric, period: datetime.date, today: datetime.date | None = None
) -> dict[str, str]:
    """Field errors that stop a measurement from being recorded (used by the services and by forms)."""
    pilot = metric.pilot
    today = today or timezone.localdate()
    if pilot.status not in RECORDABLE:
        return {
            "metric": f"'{pilot}' is {pilot.get_status_display().lower()}; measurements are recorded while it runs."
        }
    start = period_start(period, metric.cadence)
    if start > period_start(today, metric.cadence):
        return {"period_start": "That period has not started yet."}
    if start < first_period(pilot.starts_on, metric.cadence):
        return {"period_start": f"That period is before the pilot started ({day(pilot.starts_on)})."}
    return {}


class PeriodEntry(NamedTuple):
    """One metric's value for a period, as a form gives it; blank sample size and note keep the stored ones."""

    metric: PilotMetric
    value: Decimal
    sample_size: int | None = None
    note: str = ""


@dataclass
class Correction:
    """A value for a period that already has a different one."""

    metric: PilotMetric
    stored: Measurement
    value: Decimal
    sample_size: int | None

    @property
    def token(self) -> str:
        """Names this stored version and this new value: a confirmation applies exactly this
        correction, and is asked again if either has changed since."""
        return (
            f"{self.stored.pk}@{self.stored.recorded_at.timestamp():.6f}"
            f"={format(self.value.normalize(), 'f')}/{self.sample_size}"
        )


class CorrectionsToConfirm(Exception):
    """Values for periods that already have different ones: shown to the person to confirm."""

    def __init__(self, corrections: list[Correction]):
        super().__init__(f"{len(corrections)} correction(s) to confirm")
        self.corrections = corrections


@transaction.atomic
def measurement_record(
    *,
    metric: PilotMetric,
    period: datetime.date,
    value: Decimal,
    by=None,
    sample_size: int | None = None,
    note: str = "",
    source: str = MeasurementSource.MANUAL,
    submitted_by=None,
    evaluate: bool = True,
    keep_missing: bool = False,
    resolve_disputes: bool = True,
) -> tuple[Measurement, bool]:
    """Record one period's value; a second entry for the same period corrects the first (kept in
    history), never adds a twin. Returns the measurement and whether it was new.

    With `keep_missing` (the period form), a sample size or note left blank keeps the stored one;
    the same values sent twice change nothing. A provider's submission names its contact
    (`submitted_by`, with `by` None). A corrected value that was under dispute ends the dispute."""
    errors = measurement_problems(metric=metric, period=period)
    if errors:
        raise ValidationError(errors)
    problem = value_problem(value=value, unit=metric.unit)
    if problem:
        raise ValidationError({"value": f"{metric.name}: {problem}"})
    start = period_start(period, metric.cadence)
    # The metric's row is the lock: two requests recording the same new period take turns, and
    # the second finds the first one's row instead of failing on the unique constraint.
    PilotMetric.objects.select_for_update().filter(pk=metric.pk).first()
    measurement = Measurement.objects.filter(metric=metric, period_start=start).first()
    created = measurement is None
    if created:
        measurement = Measurement(metric=metric, period_start=start)
    else:
        if keep_missing:
            sample_size = measurement.sample_size if sample_size is None else sample_size
            note = note or measurement.note
        if measurement.value == value and measurement.sample_size == sample_size and measurement.note == note:
            return measurement, False  # a repeated submit: already recorded
    value_changed = not created and measurement.value != value
    measurement.value = value
    measurement.sample_size = sample_size
    measurement.note = note
    measurement.source = source
    measurement.recorded_by = by
    measurement.submitted_by = submitted_by
    measurement.recorded_at = timezone.now()
    measurement._history_user = by
    measurement._change_reason = ("Recorded" if created else "Corrected") + (
        f" by {submitted_by.name} (provider link)" if submitted_by else ""
    )
    measurement.full_clean()
    measurement.save()
    if value_changed and resolve_disputes:
        disputes_close_by_corrections(
            measurement_ids=[measurement.pk], by=by, contact=submitted_by, how=SOURCE_HOW[source]
        )
    if evaluate:
        evaluate_on_commit(pilot_id=metric.pilot_id)
    return measurement, created


def evaluate_on_commit(*, pilot_id: int) -> None:
    """Re-evaluate the pilot once the write commits, so its flags (and the owner's email about a new
    critical flag) follow within seconds; the hourly job stays for what time alone changes."""
    from .tasks import queue_pilot_evaluation  # tasks import services' modules; import here to avoid a cycle

    transaction.on_commit(lambda: queue_pilot_evaluation(pilot_id))


@transaction.atomic
def flags_acknowledge(*, flag_ids: list[int], by, note: str = "") -> int:
    """Someone has seen these open flags, and may say what is being done; returns how many were newly
    acknowledged (one already acknowledged keeps who did it first, and their note; a resolved one
    needs no attention and is left as it is)."""
    pending = list(
        Flag.objects.select_for_update()
        .filter(pk__in=flag_ids, acknowledged_at__isnull=True, resolved_at__isnull=True)
        .order_by("pk")
    )
    now = timezone.now()
    for flag in pending:
        flag.acknowledged_by, flag.acknowledged_at, flag.acknowledgement_note = by, now, note
    bulk_update_with_history(
        pending,
        Flag,
        ["acknowledged_by", "acknowledged_at", "acknowledgement_note"],
        batch_size=500,
        default_user=by,
        default_change_reason="Acknowledged",
        default_date=now,
    )
    return len(pending)


def flag_acknowledge(*, flag: Flag, by, note: str = "") -> bool:
    """Someone has seen the flag; returns False when it was already acknowledged."""
    return flags_acknowledge(flag_ids=[flag.pk], by=by, note=note) == 1


def provider_refusal(stored: Measurement, *, source: str) -> str:
    """Why the provider may not replace a stored figure, or "": through its link the provider corrects
    its own figures; the buying team's it disputes."""
    if source == MeasurementSource.PROVIDER and stored.source != MeasurementSource.PROVIDER:
        return f"the buying team recorded {number(stored.value)} for this period; dispute it rather than replace it."
    return ""


def stored_in_period(*, period: datetime.date, entries: list) -> dict[int, Measurement]:
    """What each entry's metric has recorded for the period already, by metric id (one query)."""
    wanted = Q(pk__in=[])
    for metric, *_ in entries:
        wanted |= Q(metric=metric, period_start=period_start(period, metric.cadence))
    return {stored.metric_id: stored for stored in Measurement.objects.filter(wanted).select_related("metric")}


def period_corrections(*, entries: list, recorded: dict[int, Measurement]) -> list[Correction]:
    """The entries whose period already holds a different value or sample size."""
    corrections = []
    for metric, value, sample_size, _note in entries:
        stored = recorded.get(metric.pk)
        if stored is None:
            continue
        sample_size = stored.sample_size if sample_size is None else sample_size
        if stored.value != value or stored.sample_size != sample_size:
            corrections.append(Correction(metric, stored, value, sample_size))
    return corrections


@transaction.atomic
def measurements_record_period(
    *,
    pilot: Pilot,
    period: datetime.date,
    entries: list[PeriodEntry],
    by=None,
    confirmed: set[str] | None = None,
    source: str = MeasurementSource.MANUAL,
    submitted_by=None,
) -> int:
    """Record one period's values for several metrics of a pilot together: all or none. With
    `confirmed` (the browser form), values that would correct recorded ones are applied only when
    every such correction is in `confirmed`; otherwise all of them are raised to be confirmed."""
    for metric, *_ in entries:
        if metric.pilot_id != pilot.pk:
            raise ValidationError(f"{metric} is not a metric of {pilot}.")
    # Lock the metrics first, so what is checked is what gets corrected.
    list(PilotMetric.objects.select_for_update().filter(pk__in=[entry.metric.pk for entry in entries]).order_by("pk"))
    recorded = stored_in_period(period=period, entries=entries)
    refusals = [
        f"{stored.metric.name}: {refusal}"
        for stored in recorded.values()
        if (refusal := provider_refusal(stored, source=source))
    ]
    if refusals:
        raise ValidationError(refusals)
    if confirmed is not None:
        corrections = period_corrections(entries=entries, recorded=recorded)
        if any(c.token not in confirmed for c in corrections):
            raise CorrectionsToConfirm(corrections)
    for metric, value, sample_size, note in entries:
        measurement_record(
            metric=metric,
            period=period,
            value=value,
            sample_size=sample_size,
            note=note,
            by=by,
            source=source,
            submitted_by=submitted_by,
            evaluate=False,
            keep_missing=True,
        )
    if entries:
        evaluate_on_commit(pilot_id=pilot.pk)
    return len(entries)
