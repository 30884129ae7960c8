"""Inline SVG charts of metrics against their targets: no script, no CDN, readable on a phone.

Points sit at their period's date, so a period without a measurement is a visible gap (marked with
a cross on the axis). How a value stands against the target is told by shape as well as colour
(circle met, triangle at risk, square missed), and the target line and the warning band ("at
risk": met, but by less than the margin) are drawn. Each chart is drawn twice, for wide and for
narrow screens (the stylesheet shows one), so its text stays legible when the page narrows; the
figures are also in a table beside it.
"""

import dataclasses
import datetime
import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from config.formatting import figure

from .rules import MET, MISSED, NEAR_MISS, judge, target_text

VERDICT_WORDS = {MET: "met", NEAR_MISS: "at risk", MISSED: "missed", None: "no target"}
VERDICT_COLOURS = {MET: "#1f7a46", NEAR_MISS: "#8a5100", MISSED: "#b42318", None: "#0f5fa8"}
# Stages on one chart: a colour and a dash pattern each, so they differ without colour too.
STAGE_STYLES = [("#0f5fa8", ""), ("#6b3fa0", "7 4"), ("#0f766e", "2 3"), ("#7c4a03", "9 3 2 3")]
MISSING_COLOUR = "#b42318"


@dataclass(frozen=True)
class Geometry:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    font: int
    y_ticks: int
    x_ticks: int

    @property
    def plot_width(self) -> int:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> int:
        return self.height - self.top - self.bottom


WIDE = Geometry(width=760, height=280, left=64, right=24, top=18, bottom=50, font=13, y_ticks=5, x_ticks=8)
NARROW = Geometry(width=380, height=260, left=50, right=14, top=16, bottom=48, font=12, y_ticks=4, x_ticks=3)


@dataclass
class Series:
    """One line: a metric's measured periods (day, value, sample size, verdict) and its missing ones."""

    label: str
    points: list[tuple[datetime.date, Decimal, int | None, str | None]] = field(default_factory=list)
    missing: list[datetime.date] = field(default_factory=list)


@dataclass
class Chart:
    title: str
    unit: str
    cadence: str
    target: Decimal | None
    direction: str
    margin: Decimal
    series: list[Series]

    @property
    def days(self) -> list[datetime.date]:
        return sorted({p[0] for s in self.series for p in s.points} | {d for s in self.series for d in s.missing})


def metric_series(metric, measurements, missing=(), *, label: str = "") -> Series:
    """The series of one metric: each measurement judged against that metric's own target."""
    points = [
        (
            m.period_start,
            m.value,
            m.sample_size,
            judge(value=m.value, target=metric.target, direction=metric.direction, margin=metric.warning_margin)
            if metric.target is not None
            else None,
        )
        for m in measurements
    ]
    return Series(label=label or metric.name, points=points, missing=sorted(missing or ()))


def chart_for_metric(metric, measurements, missing=()) -> Chart:
    return Chart(
        title=metric.name,
        unit=metric.unit,
        cadence=metric.cadence,
        target=metric.target,
        direction=metric.direction,
        margin=metric.warning_margin or Decimal(0),
        series=[metric_series(metric, measurements, missing)],
    )


def nice_ticks(low: float, high: float, count: int) -> list[float]:
    """About `count` round values (1, 2, 2.5 or 5 times a power of ten) covering low..high."""
    if high <= low:
        high = low + 1
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    ticks, value = [], first
    while value < high + step * 0.999:
        ticks.append(round(value, 10))
        value += step
    return ticks


def short_day(day: datetime.date, *, with_year: bool = False) -> str:
    return f"{day.day} {day:%b}" + (f" {day:%Y}" if with_year else "")


def tick_days(days: list[datetime.date], x, gap: float) -> list[datetime.date]:
    """The periods to label on the date axis: the first, then each at least `gap` further along the
    axis than the last labelled (by where it is drawn, so a cluster across a gap gets one label), and
    the last when it has room."""
    chosen = [days[0]]
    for day in days[1:]:
        if x(day) - x(chosen[-1]) >= gap:
            chosen.append(day)
    if chosen[-1] != days[-1] and len(chosen) > 1 and x(days[-1]) - x(chosen[-2]) >= gap:
        chosen[-1] = days[-1]
    return chosen


def marker(verdict: str | None, x: float, y: float, colour: str, size: float, tip: str) -> SafeString:
    """Met is a circle, at risk a triangle, missed a square: told apart without colour."""
    if verdict == NEAR_MISS:
        shape = format_html(
            '<path d="M{} {} L{} {} L{} {} Z" fill="{}" stroke="#fff" stroke-width="1"/>',
            x,
            round(y - size * 1.2, 1),
            round(x + size * 1.1, 1),
            round(y + size * 0.8, 1),
            round(x - size * 1.1, 1),
            round(y + size * 0.8, 1),
            colour,
        )
    elif verdict == MISSED:
        shape = format_html(
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="#fff" stroke-width="1"/>',
            round(x - size * 0.9, 1),
            round(y - size * 0.9, 1),
            round(size * 1.8, 1),
            round(size * 1.8, 1),
            colour,
        )
    else:
        shape = format_html(
            '<circle cx="{}" cy="{}" r="{}" fill="{}" stroke="#fff" stroke-width="1"/>', x, y, size, colour
        )
    return format_html('<g class="point {}">{}<title>{}</title></g>', verdict or "plain", shape, tip)


def draw(chart: Chart, geometry: Geometry, css_class: str) -> SafeString:
    g = geometry
    days = chart.days
    values = [float(p[1]) for s in chart.series for p in s.points] or [0.0]  # only missing periods: an empty axis
    if chart.target is not None:
        values.append(float(chart.target))
        if chart.margin:
            sign = 1 if chart.direction == "higher_is_better" else -1
            values.append(float(chart.target + sign * chart.margin))
    low, high = min(values), max(values)
    pad = (high - low) * 0.08 or max(abs(high) * 0.05, 1)
    bottom = max(low - pad, 0) if low >= 0 else low - pad  # no negative ticks under figures that cannot be
    ticks = nice_ticks(bottom, high + pad, g.y_ticks)
    y_low, y_high = ticks[0], ticks[-1]
    labels = [figure(Decimal(str(tick))) for tick in ticks]
    # Room on the left for the longest value label and the unit beside the axis.
    g = dataclasses.replace(g, left=max(g.left, round(max(map(len, labels)) * g.font * 0.6) + 30))

    first, last = days[0], days[-1]
    span = (last - first).days

    def x(day: datetime.date) -> float:
        if span == 0:
            return round(g.left + g.plot_width / 2, 1)
        inner = g.plot_width - 24  # room so the first and last marks are not on the frame
        return round(g.left + 12 + (day - first).days / span * inner, 1)

    def y(value) -> float:
        return round(g.top + (y_high - float(value)) / (y_high - y_low) * g.plot_height, 1)

    parts = []
    # Grid and the value axis.
    for tick, label in zip(ticks, labels, strict=True):
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#e3e8ef" stroke-width="1"/>'
                '<text x="{}" y="{}" font-size="{}" fill="#52606d" text-anchor="end">{}</text>',
                g.left,
                g.width - g.right,
                y(tick),
                y(tick),
                g.left - 6,
                round(y(tick) + g.font * 0.35, 1),
                g.font,
                label,
            )
        )
    # The warning band, then the target line.
    if chart.target is not None:
        if chart.margin:
            sign = 1 if chart.direction == "higher_is_better" else -1
            edge = chart.target + sign * chart.margin
            top_value, bottom_value = max(chart.target, edge), min(chart.target, edge)
            parts.append(
                format_html(
                    '<rect class="warning-band" x="{}" y="{}" width="{}" height="{}" fill="#f5a524" fill-opacity=".16">'
                    "<title>At risk: met, but by less than the margin of {}</title></rect>",
                    g.left,
                    y(top_value),
                    g.plot_width,
                    max(round(y(bottom_value) - y(top_value), 1), 1),
                    figure(chart.margin),
                )
            )
        target_words = f"target {target_text(target=chart.target, direction=chart.direction, unit=chart.unit)}"
        parts.append(
            format_html(
                '<line class="target" x1="{}" x2="{}" y1="{}" y2="{}" stroke="#334155" stroke-dasharray="6 4" '
                'stroke-width="1.5"/><text x="{}" y="{}" font-size="{}" fill="#334155" text-anchor="end">{}</text>',
                g.left,
                g.width - g.right,
                y(chart.target),
                y(chart.target),
                g.width - g.right - 4,
                round(y(chart.target) - 5, 1),
                g.font,
                target_words,
            )
        )
    # Missing periods: a faint column and a cross on the date axis.
    all_missing = sorted({d for s in chart.series for d in s.missing})
    for day in all_missing:
        parts.append(
            format_html(
                '<g class="missing"><line x1="{x}" x2="{x}" y1="{t}" y2="{b}" stroke="{c}" stroke-opacity=".35" '
                'stroke-dasharray="2 3"/><path d="M{x0} {y0} l8 8 m0 -8 l-8 8" stroke="{c}" stroke-width="2.2"/>'
                "<title>{d}: no measurement (missing data is never a pass)</title></g>",
                x=x(day),
                t=g.top,
                b=g.top + g.plot_height,
                c=MISSING_COLOUR,
                x0=round(x(day) - 4, 1),
                y0=round(g.top + g.plot_height - 12, 1),
                d=short_day(day, with_year=True),
            )
        )
    # Lines (broken where a period is missing) and marks.
    many = len(chart.series) > 1
    for index, series in enumerate(chart.series):
        colour, dash = STAGE_STYLES[index % len(STAGE_STYLES)] if many else ("#0f5fa8", "")
        measured = {p[0]: p for p in series.points}
        runs, run = [], []
        for day in sorted(set(measured) | set(series.missing)):
            if day in measured:
                run.append(f"{x(day)},{y(measured[day][1])}")
            elif run:
                runs.append(run)
                run = []
        if run:
            runs.append(run)
        for points in runs:
            parts.append(
                format_html(
                    '<polyline points="{}" fill="none" stroke="{}" stroke-width="2.2"{}/>',
                    " ".join(points),
                    colour,
                    format_html(' stroke-dasharray="{}"', dash) if dash else "",
                )
            )
        for day, value, _samples, verdict in series.points:
            tip = f"{series.label + ', ' if many else ''}{short_day(day, with_year=True)}: "
            tip += f"{figure(value, chart.unit)}, {VERDICT_WORDS[verdict]}"
            parts.append(
                marker(
                    verdict,
                    x(day),
                    y(value),
                    colour if many else VERDICT_COLOURS[verdict],
                    5 if g is WIDE else 4.5,
                    tip,
                )
            )
    # The date axis: a label wide enough for its text apart; the year on the first and at each change.
    with_year = first.year != last.year
    gap = max(g.plot_width / g.x_ticks, len("28 Dec 2026" if with_year else "28 Dec") * g.font * 0.6 + 10)
    previous_year = None
    for day in tick_days(days, x, gap):
        label = short_day(day, with_year=with_year and day.year != previous_year)
        previous_year = day.year
        parts.append(
            format_html(
                '<line x1="{x}" x2="{x}" y1="{b}" y2="{b2}" stroke="#9aa5b1"/>'
                '<text x="{x}" y="{ty}" font-size="{f}" fill="#52606d" text-anchor="middle">{label}</text>',
                x=x(day),
                b=g.top + g.plot_height,
                b2=g.top + g.plot_height + 5,
                ty=g.top + g.plot_height + g.font + 6,
                f=g.font,
                label=label,
            )
        )
    period = "Month" if chart.cadence == "monthly" else "Week starting"
    axis_title = f"{period}, {first:%b %Y}" + (
        f" – {last:%b %Y}" if (first.year, first.month) != (last.year, last.month) else ""
    )
    parts.append(
        format_html(
            '<text x="{}" y="{}" font-size="{}" fill="#52606d" text-anchor="middle">{}</text>'
            '<text x="12" y="{}" font-size="{}" fill="#52606d" text-anchor="middle" '
            'transform="rotate(-90 12 {})">{}</text>'
            '<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#cbd2d9"/>',
            g.left + g.plot_width / 2,
            g.height - 6,
            g.font,
            axis_title,
            g.top + g.plot_height / 2,
            g.font,
            g.top + g.plot_height / 2,
            chart.unit or "value",
            g.left,
            g.top,
            g.plot_width,
            g.plot_height,
        )
    )
    return format_html(
        '<svg class="chart {}" viewBox="0 0 {} {}" role="img" aria-label="{}">{}</svg>',
        css_class,
        g.width,
        g.height,
        description(chart),
        mark_safe("".join(parts)),  # noqa: S308 - every part was built with format_html
    )


def description(chart: Chart) -> str:
    """What a screen reader hears for the chart; the table beside it has every figure."""
    head = f"Chart of {chart.title}"
    if chart.target is not None:
        head += f" against its target {target_text(target=chart.target, direction=chart.direction, unit=chart.unit)}"
    words = [head]
    for series in chart.series:
        counts = {verdict: sum(1 for p in series.points if p[3] == verdict) for verdict in (MET, NEAR_MISS, MISSED)}
        said = ", ".join(f"{n} {VERDICT_WORDS[v]}" for v, n in counts.items() if n)
        name = f"{series.label}: " if len(chart.series) > 1 else ""
        measured = len(series.points)
        words.append(f"{name}{measured} period{'' if measured == 1 else 's'} measured" + (f" ({said})" if said else ""))
        if series.missing:
            words.append(f"{len(series.missing)} without a measurement")
    return "; ".join(words) + "."


def legend(chart: Chart) -> SafeString:
    items = []
    if len(chart.series) > 1:
        for index, series in enumerate(chart.series):
            colour, dash = STAGE_STYLES[index % len(STAGE_STYLES)]
            items.append(
                format_html(
                    '<li><svg viewBox="0 0 28 10" width="28" height="10" aria-hidden="true">'
                    '<line x1="0" x2="28" y1="5" y2="5" stroke="{}" stroke-width="2.5"{}/></svg>{}</li>',
                    colour,
                    format_html(' stroke-dasharray="{}"', dash) if dash else "",
                    series.label,
                )
            )
    verdicts = {p[3] for s in chart.series for p in s.points}
    for verdict in (MET, NEAR_MISS, MISSED):
        if verdict in verdicts:
            colour = "#52606d" if len(chart.series) > 1 else VERDICT_COLOURS[verdict]
            items.append(
                format_html(
                    '<li><svg viewBox="-7 -7 14 14" width="14" height="14" aria-hidden="true">{}</svg>{}</li>',
                    marker(verdict, 0, 0, colour, 5, VERDICT_WORDS[verdict]),
                    VERDICT_WORDS[verdict],
                )
            )
    if chart.target is not None:
        items.append(mark_safe('<li><span class="legend-target" aria-hidden="true"></span>target</li>'))
        if chart.margin:
            items.append(
                mark_safe('<li><span class="legend-band" aria-hidden="true"></span>warning band (at risk)</li>')
            )
    if any(s.missing for s in chart.series):
        items.append(mark_safe('<li><span class="legend-missing" aria-hidden="true">✕</span>no measurement</li>'))
    return format_html('<ul class="chart-legend" aria-hidden="true">{}</ul>', mark_safe("".join(items)))  # noqa: S308


def figures(chart: Chart) -> SafeString:
    """Every period of every series in a table: what the chart shows, for reading and for screen readers."""
    rows = []
    many = len(chart.series) > 1
    for series in chart.series:
        measured = {p[0]: p for p in series.points}
        for day in sorted(set(measured) | set(series.missing)):
            if day in measured:
                _, value, samples, verdict = measured[day]
                cells = (
                    figure(value, chart.unit),
                    figure(samples) if samples else "—",
                    VERDICT_WORDS[verdict],
                )
            else:
                cells = ("no measurement", "—", "missing")
            rows.append(((series.label,) if many else ()) + (short_day(day, with_year=True), *cells))
    head = (("Stage",) if many else ()) + ("Period", "Value", "Samples", "Against target")
    return format_html(
        '<details class="chart-figures"><summary>The figures ({} row{})</summary><div class="table-scroll">'
        '<table class="data compact"><caption class="visually-hidden">{}</caption><thead><tr>{}</tr></thead>'
        "<tbody>{}</tbody></table></div></details>",
        len(rows),
        "" if len(rows) == 1 else "s",
        chart.title,
        format_html_join("", '<th scope="col">{}</th>', ((h,) for h in head)),
        format_html_join(
            "",
            "<tr>{}</tr>",
            ((format_html_join("", "<td>{}</td>", ((c,) for c in row)),) for row in rows),
        ),
    )


def render(chart: Chart) -> SafeString:
    if not chart.days:
        return mark_safe('<p class="empty">No measurements yet.</p>')
    return format_html(
        '<figure class="chart-figure">{}{}{}{}</figure>',
        draw(chart, WIDE, "chart-wide"),
        draw(chart, NARROW, "chart-narrow"),
        legend(chart),
        figures(chart),
    )
