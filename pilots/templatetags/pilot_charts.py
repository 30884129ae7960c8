"""An inline SVG chart of a metric's measurements against its target line: no script, no CDN."""

from decimal import Decimal

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from pilots.rules import MET, MISSED, NEAR_MISS, judge, number, target_text

register = template.Library()

WIDTH, HEIGHT, PAD_X, PAD_Y = 320, 130, 34, 16
COLOURS = {MET: "#1f7a46", NEAR_MISS: "#b26a00", MISSED: "#b42318"}


def short_day(value) -> str:
    return f"{value.day} {value:%b}"


@register.simple_tag
def metric_chart(metric, measurements, missing=()):
    """`measurements` oldest first; each point is coloured by how it stands against the target, and
    each due period without a measurement (`missing`) is a gap in the line with a red cross."""
    points = [(m.period_start, m.value) for m in measurements]
    missing = list(missing or ())
    if not points and not missing:
        return mark_safe('<p class="empty">No measurements yet.</p>')
    # Periods in time order, measured or missing, so a gap takes its place on the axis.
    axis = sorted({day for day, _ in points} | set(missing))
    position = {day: index for index, day in enumerate(axis)}
    values = [v for _, v in points] + ([metric.target] if metric.target is not None else [])
    values = values or [Decimal(0)]
    low, high = min(values), max(values)
    if high == low:
        low, high = low - 1, high + 1
    span = high - low
    low, high = low - span * Decimal("0.1"), high + span * Decimal("0.1")

    def x(day) -> float:
        step = (WIDTH - 2 * PAD_X) / max(len(axis) - 1, 1)
        return round(PAD_X + position[day] * step, 1)

    def y(value: Decimal) -> float:
        return round(HEIGHT - PAD_Y - float((value - low) / (high - low)) * (HEIGHT - 2 * PAD_Y), 1)

    # The line breaks where a period is missing: one polyline per run of consecutive measured periods.
    runs, run = [], []
    measured = dict(points)
    for day in axis:
        if day in measured:
            run.append(f"{x(day)},{y(measured[day])}")
        elif run:
            runs.append(run)
            run = []
    if run:
        runs.append(run)
    lines = format_html_join(
        "",
        '<polyline points="{}" fill="none" stroke="#0f5fa8" stroke-width="2"/>',
        ((" ".join(r),) for r in runs),
    )
    dots = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="3.5" fill="{}"><title>{}: {}</title></circle>',
        (
            (
                x(day),
                y(v),
                COLOURS[judge(value=v, target=metric.target, direction=metric.direction, margin=metric.warning_margin)]
                if metric.target is not None
                else "#0f5fa8",
                short_day(day),
                number(v),
            )
            for day, v in points
        ),
    )
    gaps = format_html_join(
        "",
        '<g class="missing"><path d="M{} {} l7 7 m0 -7 l-7 7" stroke="#b42318" stroke-width="2"/>'
        "<title>{}: no measurement (missing data is never a pass)</title></g>",
        ((x(day) - 3.5, HEIGHT - PAD_Y - 3.5, short_day(day)) for day in missing),
    )
    target = ""
    if metric.target is not None:
        target = format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#5b6675" stroke-dasharray="5 4" stroke-width="1.2"/>'
            '<text x="{}" y="{}" font-size="10" fill="#5b6675" text-anchor="end">target {}</text>',
            PAD_X,
            WIDTH - 8,
            y(metric.target),
            y(metric.target),
            WIDTH - 8,
            y(metric.target) - 4,
            number(metric.target),
        )
    label = f"{metric.name} against its target"
    if missing:
        label += f"; {len(missing)} period{'s' if len(missing) != 1 else ''} without a measurement"
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{label}">'
        '<text x="4" y="{ty}" font-size="10" fill="#8a94a3">{top}</text>'
        '<text x="4" y="{by}" font-size="10" fill="#8a94a3">{bottom}</text>'
        "{target}{lines}{dots}{gaps}"
        '<text x="{x0}" y="{h1}" font-size="10" fill="#8a94a3">{first}</text>'
        '<text x="{x1}" y="{h1}" font-size="10" fill="#8a94a3" text-anchor="end">{last}</text></svg>',
        w=WIDTH,
        h=HEIGHT,
        label=label,
        ty=PAD_Y - 2,
        by=HEIGHT - PAD_Y + 2,
        top=number(high.quantize(Decimal("0.01"))),
        bottom=number(low.quantize(Decimal("0.01"))),
        target=target,
        lines=lines,
        dots=dots,
        gaps=gaps,
        x0=PAD_X,
        x1=WIDTH - PAD_X,
        h1=HEIGHT - 2,
        first=short_day(axis[0]),
        last=short_day(axis[-1]),
    )


@register.filter
def target(metric) -> str:
    """'≥ 98.5%' or '≤ 24 hours', or 'not set'."""
    if metric.target is None:
        return "not set"
    return target_text(target=metric.target, direction=metric.direction, unit=metric.unit)
