"""A pilot's measurements from a spreadsheet: the template to fill in, and reading it back.

Two layouts are read. The template's *wide* form has one row per period and one column per metric
(a `<metric> sample size` column and a `note` column are optional). The *long* form has one row per
value: metric, period, value, sample size, note. Metric names match however they are cased, with a
unit in brackets after them, or by a prefix only one metric starts with; a period is any date in
it, an ISO week (2026-W45) or a month (2026-11).
"""

import csv
import io
import re

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from config.exports import XLSX_CONTENT_TYPE, plain
from config.imports import ImportFlow, PreviewLine
from config.spreadsheets import Sheet, normalise_header, parse_count, parse_decimal
from scope.choices import Cadence

from . import batches
from .choices import MeasurementSource
from .lifecycle import RECORDABLE
from .models import Measurement, MeasurementImport, Pilot, PilotMetric
from .periods import describe_period, next_period, parse_period, period_label, period_start, periods_between
from .rules import target_text

PERIOD, NOTE, METRIC, VALUE = "period", "note", "metric", "value"
SAMPLE_COLUMNS = ("sample size", "samples", "sample")
UNIT_SUFFIX = re.compile(r"\s*\([^()]*\)$")


class MetricNames:
    """Finds a pilot's metric from how a spreadsheet names it."""

    def __init__(self, metrics: list[PilotMetric]):
        self.metrics = metrics
        self.by_name = {normalise_header(m.name): m for m in metrics}

    def find(self, text: str) -> PilotMetric:
        name = normalise_header(text)
        if name in self.by_name:
            return self.by_name[name]
        bare = UNIT_SUFFIX.sub("", name)
        if bare in self.by_name:
            return self.by_name[bare]
        starting = [m for key, m in self.by_name.items() if bare and key.startswith(bare)]
        if len(starting) == 1:
            return starting[0]
        names = ", ".join(m.name for m in (starting or self.metrics))
        if starting:
            raise ValueError(f"'{text}' could be any of {names}: write more of the name")
        raise ValueError(f"'{text}' is not a metric of this pilot ({names})")


def pilot_metrics(pilot: Pilot) -> list[PilotMetric]:
    return list(pilot.metrics.select_related("pilot").order_by("-critical", "name"))


def measurement_entries(pilot: Pilot, sheets: list[Sheet]) -> list[batches.Entry]:
    """The values of the first sheet, as entries to plan (problems found while reading included)."""
    sheet = sheets[0]
    names = MetricNames(pilot_metrics(pilot))
    if sheet.has(METRIC) and sheet.has(VALUE):
        return long_entries(sheet, names)
    if not sheet.has(PERIOD):
        raise ValidationError(
            "The first sheet needs a 'Period' column and one column per metric (the template), or the "
            "columns Metric, Period, Value, Sample size and Note."
        )
    return wide_entries(sheet, names)


def wide_entries(sheet: Sheet, names: MetricNames) -> list[batches.Entry]:
    value_columns, sample_columns, problems = {}, {}, []
    for column in sheet.header:
        if column in {PERIOD, NOTE, ""}:
            continue
        sample_of = next((column[: -len(s)].strip() for s in SAMPLE_COLUMNS if column.endswith(" " + s)), None)
        try:
            metric = names.find(sample_of if sample_of is not None else column)
        except ValueError as error:
            problems.append(f"column '{column}': {error}")
            continue
        columns = sample_columns if sample_of is not None else value_columns
        if metric.pk in columns:
            problems.append(f"columns '{columns[metric.pk]}' and '{column}' both name {metric.name}")
            continue
        columns[metric.pk] = column
    if problems:
        raise ValidationError([f"The header row: {problem}." for problem in problems])
    metrics = {m.pk: m for m in names.metrics}
    entries = []
    for row in sheet.rows:
        period_text = row.text(PERIOD)
        note = row.text(NOTE)
        if note and not any(row.text(column) for column in value_columns.values()):
            entry = batches.Entry(row=row.number, column=NOTE, note=note)
            entry.problem(NOTE, "a note goes with a value: enter the value it explains on the same row")
            entries.append(entry)
            continue
        for metric_pk, column in value_columns.items():
            value_text = row.text(column)
            if not value_text:
                continue
            entry = batches.Entry(row=row.number, column=column, metric=metrics[metric_pk], note=note)
            read_value(entry, value_text, column)
            if metric_pk in sample_columns:
                read_samples(entry, row.text(sample_columns[metric_pk]), sample_columns[metric_pk])
            read_period(entry, period_text)
            entries.append(entry)
    return entries


def long_entries(sheet: Sheet, names: MetricNames) -> list[batches.Entry]:
    sample_column = next((c for c in SAMPLE_COLUMNS if sheet.has(c)), None)
    entries = []
    for row in sheet.rows:
        entry = batches.Entry(row=row.number, column=VALUE, note=row.text(NOTE))
        try:
            entry.metric = names.find(row.text(METRIC))
        except ValueError as error:
            entry.problem(METRIC, str(error) if row.text(METRIC) else "no metric")
        read_value(entry, row.text(VALUE), VALUE)
        if sample_column:
            read_samples(entry, row.text(sample_column), sample_column)
        if entry.metric is not None:
            read_period(entry, row.text(PERIOD))
        entries.append(entry)
    return entries


def read_value(entry: batches.Entry, text: str, column: str) -> None:
    try:
        entry.value = parse_decimal(text)
    except ValueError as error:
        entry.problem(column, str(error))
        return
    if entry.value is None:
        entry.problem(column, "no value")


def read_samples(entry: batches.Entry, text: str, column: str) -> None:
    try:
        entry.sample_size = parse_count(text)
    except ValueError as error:
        entry.problem(column, str(error))


def read_period(entry: batches.Entry, text: str) -> None:
    if not text:
        entry.problem(PERIOD, "no period")
        return
    try:
        entry.period = parse_period(text, entry.metric.cadence)
    except ValueError as error:
        entry.problem(PERIOD, str(error))


# --- The template -----------------------------------------------------------------------------


def template_table(pilot: Pilot) -> tuple[str, list[str], list[list]]:
    """The note above the header, the header, and one row per period so far (recorded values filled
    in, so sending the template back unchanged changes nothing)."""
    metrics = pilot_metrics(pilot)
    cadences = {m.cadence for m in metrics}
    cadence = Cadence.MONTHLY if cadences == {Cadence.MONTHLY} else Cadence.WEEKLY
    mixed = len(cadences) > 1
    first = period_start(pilot.starts_on, cadence)
    today = timezone.localdate()
    until = min(period_start(today, cadence), period_start(pilot.ends_on, cadence))
    periods = periods_between(first, next_period(until, cadence), cadence) if until >= first else []
    recorded = {(m.metric_id, m.period_start): m for m in Measurement.objects.filter(metric__pilot=pilot)}
    described = "; ".join(
        f"{m.name}: target {target_text(target=m.target, direction=m.direction, unit=m.unit)}, "
        f"{m.get_cadence_display().lower()}"
        for m in metrics
    )
    note = (
        f"# {pilot.name}: one row per {'week (the date of its Monday)' if mixed else cadence_noun(cadence)}; "
        f"leave a cell blank when there is no value. {described}."
        + (" Monthly metrics take one value per month, in any one week of it." if mixed else "")
    )
    header = ["Period", *[plain(f"{m.name} ({m.unit})" if m.unit else m.name) for m in metrics], "Note"]
    rows = []
    for start in periods:
        label = start.isoformat() if mixed else period_label(start, cadence)
        values = []
        for metric in metrics:
            stored = recorded.get((metric.pk, period_start(start, metric.cadence)))
            shows = stored is not None and (not mixed or period_start(start, metric.cadence) >= start)
            values.append(stored.value.normalize() if shows else None)
        rows.append([label, *values, ""])
    return note, header, rows


def cadence_noun(cadence: str) -> str:
    return "month (2026-11)" if cadence == Cadence.MONTHLY else "week (2026-W45)"


def template_response(pilot: Pilot, file_format: str) -> HttpResponse:
    note, header, rows = template_table(pilot)
    filename = f"{slug(pilot.name)}-measurements.{file_format}"
    if file_format == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([note])
        writer.writerow(header)
        writer.writerows(
            [[format(v, "f") if v is not None and not isinstance(v, str) else v or "" for v in row] for row in rows]
        )
        response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(xlsx_template(pilot, note, header, rows), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_template(pilot: Pilot, note: str, header: list[str], rows: list[list]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Measurements"
    sheet.append([note])
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for cell, metric in zip(sheet[2][1:], pilot_metrics(pilot), strict=False):
        target = target_text(target=metric.target, direction=metric.direction, unit=metric.unit)
        cell.comment = Comment(
            f"Unit: {metric.unit or '—'}\nTarget {target}\n{metric.get_cadence_display()}",
            "Pilotgate",
        )
    for row in rows:
        sheet.append(row)
    for row in sheet.iter_rows(min_row=3, max_col=1):
        row[0].number_format = "@"  # a period label stays text, never a date Excel guessed
    sheet.freeze_panes = "B3"
    sheet.column_dimensions["A"].width = 14
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:60] or "pilot"


# --- The import flow --------------------------------------------------------------------------


class MeasurementImportFlow(ImportFlow):
    record_model = MeasurementImport
    source = MeasurementSource.IMPORT
    permission_required = ("pilots.add_measurement", "pilots.change_measurement")
    title = "Import measurements"

    def target(self, pk):
        return get_object_or_404(Pilot, pk=pk)

    def records(self, target):
        return MeasurementImport.objects.filter(pilot=target).select_related("uploaded_by", "submitted_by")

    def new_record(self, target, **fields):
        return MeasurementImport(pilot=target, **fields)

    def refusal(self, target):
        if target.status not in RECORDABLE:
            return f"'{target}' is {target.get_status_display().lower()}; measurements are recorded while it runs."
        return None

    def plan(self, record, sheets):
        return batches.plan_measurements(measurement_entries(record.pilot, sheets), source=self.source)

    def lines(self, plan):
        lines = []
        for entry in plan.entries:
            subject = entry.metric.name if entry.metric else ""
            if entry.metric and entry.period and entry.outcome != batches.ERROR:
                subject += f", {describe_period(entry.period, entry.metric.cadence)}: {entry.value.normalize():f}"
            lines.append(PreviewLine(row=entry.row, outcome=entry.outcome, subject=subject, detail=entry.describe()))
        return lines

    def apply(self, record, *, by, expected):
        return batches.measurements_apply(
            build_entries=lambda: measurement_entries(record.pilot, record.read()),
            by=by,
            source=self.source,
            submitted_by=record.submitted_by,
            reason=f"import of {record.file_name}"
            + (f" by {record.submitted_by.name} (provider link)" if record.submitted_by else ""),
            expected=expected,
        )

    def done_url(self, target):
        return target.get_absolute_url()

    def template_url(self, target):
        return reverse("pilots:pilot-import-template", args=[target.pk])

    def help_text(self, target):
        return (
            "Fill in the template (one row per period, one column per metric), or upload a sheet with the "
            "columns Metric, Period, Value, Sample size and Note. Periods are any date in the period, a week "
            "(2026-W45) or a month (2026-11). Nothing is recorded until you confirm the preview."
        )
