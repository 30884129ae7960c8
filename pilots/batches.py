"""Evidence in volume: many measurements at once, from a spreadsheet import or the API's bulk upsert.

Each value is planned first — *new*, *correction* (old → new), *unchanged* or *error*, with the row
and column it came from — then the whole batch is applied in one transaction or not at all. The
plan follows the single-value rules of `pilots.evidence` (which periods can be recorded, which
values a unit allows, a blank sample size or note keeps the recorded one) and runs set-based: one
query for the stored values however many rows come in, bulk writes with their history rows.
"""

import datetime
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from config import imports
from config.formatting import number
from config.imports import CORRECTION, ERROR, NEW, UNCHANGED, PlanChanged

from .disputes import disputes_close_by_corrections
from .evidence import SOURCE_HOW, evaluate_on_commit, measurement_problems, provider_refusal
from .models import Measurement, PilotMetric
from .periods import period_start
from .rules import value_problem

BATCH_SIZE = 1000
MAX_NOTE = 2000


@dataclass
class Entry:
    """One value as it came in, then its planned outcome. `row` is the spreadsheet row (or the
    1-based position in an API request) and `column` where in the row it was read."""

    row: int
    column: str = ""
    metric: PilotMetric | None = None
    period: datetime.date | None = None
    value: Decimal | None = None
    sample_size: int | None = None
    note: str = ""
    problems: list[tuple[str, str]] = field(default_factory=list)
    outcome: str = ""
    stored: Measurement | None = None
    old_value: Decimal | None = None  # the stored value when planned

    def problem(self, column: str, reason: str) -> None:
        self.problems.append((column, reason))

    def describe(self) -> str:
        """The change in words, for a preview line or an API report."""
        if self.outcome == ERROR:
            return "; ".join(f"{column}: {reason}" if column else reason for column, reason in self.problems)
        if self.outcome == CORRECTION:
            old, new = self.stored, self
            parts = []
            if self.old_value != new.value:
                parts.append(f"{number(self.old_value)} → {number(new.value)}")
            if old.sample_size != new.sample_size:
                parts.append(f"sample size {number(old.sample_size)} → {number(new.sample_size)}")
            if old.note != new.note:
                parts.append("note changed")
            return ", ".join(parts)
        return ""


@dataclass
class Plan(imports.Plan):
    entries: list[Entry]

    @property
    def changes(self) -> list[Entry]:
        return [entry for entry in self.entries if entry.outcome in {NEW, CORRECTION}]

    @property
    def fingerprint(self) -> str:
        """Names exactly what confirming would write: if a stored value changes between the
        preview and the confirmation, the confirmation is refused and the preview shown again."""
        digest = hashlib.sha256()
        for e in self.entries:
            stored = f"{e.stored.pk}@{e.stored.recorded_at.timestamp():.6f}" if e.stored else "-"
            digest.update(
                f"{e.row}|{e.column}|{e.outcome}|{e.metric and e.metric.pk}|{e.period}|{e.value}|"
                f"{e.sample_size}|{e.note}|{stored}\n".encode()
            )
        return digest.hexdigest()[:32]


def plan_measurements(entries: list[Entry], *, source: str = "") -> Plan:
    """Each entry's outcome. The metrics must come with their pilots (`select_related("pilot")`).
    From the provider (`source`), a change to a figure the buying team recorded is an error: it
    is disputed, not replaced."""
    today = timezone.localdate()
    seen: dict[tuple[int, datetime.date], int] = {}
    checked: dict[tuple[int, datetime.date], dict] = {}
    for entry in entries:
        if entry.problems or entry.metric is None or entry.period is None or entry.value is None:
            if not entry.problems:
                entry.problem("value", "no value")
            continue
        metric = entry.metric
        entry.period = period_start(entry.period, metric.cadence)
        key = (metric.pk, entry.period)
        if key not in checked:  # the same for every value of a metric and period
            checked[key] = measurement_problems(metric=metric, period=entry.period, today=today)
        for name, reason in checked[key].items():
            entry.problem("period" if name == "period_start" else name, reason)
        if problem := value_problem(value=entry.value, unit=metric.unit):
            entry.problem(entry.column or "value", problem)
        if abs(entry.value) >= Decimal(10) ** 10 or entry.value.as_tuple().exponent < -4:
            entry.problem(entry.column or "value", f"{entry.value} has more than 10 digits before or 4 after the point")
        if len(entry.note) > MAX_NOTE:
            entry.problem("note", f"the note is longer than {MAX_NOTE} characters")
        if key in seen:
            entry.problem(entry.column or "period", f"row {seen[key]} already gives {metric.name} for this period")
        else:
            seen[key] = entry.row
    valid = [e for e in entries if not e.problems]
    stored = {
        (m.metric_id, m.period_start): m
        for m in Measurement.objects.filter(
            metric_id__in={e.metric.pk for e in valid}, period_start__in={e.period for e in valid}
        )
    }
    for entry in entries:
        if entry.problems:
            entry.outcome = ERROR
            continue
        entry.stored = stored.get((entry.metric.pk, entry.period))
        entry.old_value = entry.stored.value if entry.stored else None
        if entry.stored is None:
            entry.outcome = NEW
            continue
        # As in the form: a sample size or note left blank keeps the recorded one.
        if entry.sample_size is None:
            entry.sample_size = entry.stored.sample_size
        entry.note = entry.note or entry.stored.note
        same = (entry.stored.value, entry.stored.sample_size, entry.stored.note) == (
            entry.value,
            entry.sample_size,
            entry.note,
        )
        entry.outcome = UNCHANGED if same else CORRECTION
        if entry.outcome == CORRECTION and (refusal := provider_refusal(entry.stored, source=source)):
            entry.problem(entry.column or "value", refusal)
            entry.outcome = ERROR
    return Plan(entries)


@transaction.atomic
def measurements_apply(
    *, build_entries, by, source: str, reason: str, expected: str | None = None, submitted_by=None
) -> Plan:
    """Plan and write a batch, all or nothing. `build_entries()` reads the input again inside the
    transaction, after the metrics it names are locked, so what is checked is what is written;
    with `expected` (the preview's fingerprint) a plan that differs is refused (`PlanChanged`)."""
    entries = build_entries()
    metric_ids = sorted({e.metric.pk for e in entries if e.metric is not None})
    list(PilotMetric.objects.select_for_update().filter(pk__in=metric_ids).order_by("pk").values_list("pk"))
    plan = plan_measurements(entries, source=source)
    if expected is not None and plan.fingerprint != expected:
        raise PlanChanged(plan)
    if plan.errors:
        raise plan.refusal(lambda e: f"Row {e.row}")
    now = timezone.now()
    new, corrected, value_changed = [], [], []
    for entry in plan.changes:
        if entry.stored is not None and entry.stored.value != entry.value:
            value_changed.append(entry.stored.pk)
        measurement = entry.stored or Measurement(metric=entry.metric, period_start=entry.period)
        measurement.value = entry.value
        measurement.sample_size = entry.sample_size
        measurement.note = entry.note
        measurement.source = source
        measurement.recorded_by = by
        measurement.submitted_by = submitted_by
        measurement.recorded_at = now
        (new if entry.stored is None else corrected).append(measurement)
    if new:
        bulk_create_with_history(
            new, Measurement, batch_size=BATCH_SIZE, default_user=by, default_change_reason=f"Recorded ({reason})"
        )
    if corrected:
        bulk_update_with_history(
            corrected,
            Measurement,
            ["value", "sample_size", "note", "source", "recorded_by", "submitted_by", "recorded_at"],
            batch_size=BATCH_SIZE,
            default_user=by,
            default_change_reason=f"Corrected ({reason})",
        )
    if value_changed:
        disputes_close_by_corrections(
            measurement_ids=value_changed, by=by, contact=submitted_by, how=SOURCE_HOW[source]
        )
    for pilot_id in sorted({e.metric.pilot_id for e in plan.changes}):
        evaluate_on_commit(pilot_id=pilot_id)
    return plan
