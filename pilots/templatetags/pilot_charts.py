"""An inline SVG chart of a metric's measurements against its target line: no script, no CDN."""

from decimal import Decimal

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from pilots.rules import MET, MISSED, NEAR_MISS, judge, number, target_text

register = template.Library()

WIDTH, HEIGHT, PAD_X, PAD_Y = 320, 130, 34, 16
COLOURS = {MET: "#1f7a46", NEAR_MISS: "#b26a00", MISSED: "#b42318"}


@register.simple_tag
def metric_chart(metric, measurements):
    """`measurements` oldest first; each point is coloured by how it stands against the target."""
    points = [(m.period_start, m.value) for m in measurements]
    if not points:
        return mark_safe('<p class="empty">No measurements yet.</p>')
    values = [v for _, v in points] + ([metric.target] if metric.target is not None else [])
    low, high = min(values), max(values)
    if high == low:
        low, high = low - 1, high + 1
    span = high - low
    low, high = low - span * Decimal("0.1"), high + span * Decimal("0.1")

    def x(index: int) -> float:
        step = (WIDTH - 2 * PAD_X) / max(len(points) - 1, 1)
        return round(PAD_X + index * step, 1)

    def y(value: Decimal) -> float:
        return round(HEIGHT - PAD_Y - float((value - low) / (high - low)) * (HEIGHT - 2 * PAD_Y), 1)

    line = " ".join(f"{x(i)},{y(v)}" for i, (_, v) in enumerate(points))
    dots = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="3.5" fill="{}"><title>{}: {}</title></circle>',
        (
            (
                x(i),
                y(v),
                COLOURS[judge(value=v, target=metric.target, direction=metric.direction, margin=metric.warning_margin)]
                if metric.target is not None
                else "#0f5fa8",
                day.strftime("%d %b"),
                number(v),
            )
            for i, (day, v) in enumerate(points)
        ),
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
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{label}">'
        '<text x="4" y="{ty}" font-size="10" fill="#8a94a3">{top}</text>'
        '<text x="4" y="{by}" font-size="10" fill="#8a94a3">{bottom}</text>'
        '{target}<polyline points="{line}" fill="none" stroke="#0f5fa8" stroke-width="2"/>{dots}'
        '<text x="{x0}" y="{h1}" font-size="10" fill="#8a94a3">{first}</text>'
        '<text x="{x1}" y="{h1}" font-size="10" fill="#8a94a3" text-anchor="end">{last}</text></svg>',
        w=WIDTH,
        h=HEIGHT,
        label=f"{metric.name} against its target",
        ty=PAD_Y - 2,
        by=HEIGHT - PAD_Y + 2,
        top=number(high.quantize(Decimal("0.01"))),
        bottom=number(low.quantize(Decimal("0.01"))),
        target=target,
        line=line,
        dots=dots,
        x0=PAD_X,
        x1=WIDTH - PAD_X,
        h1=HEIGHT - 2,
        first=points[0][0].strftime("%d %b"),
        last=points[-1][0].strftime("%d %b"),
    )


@register.filter
def target(metric) -> str:
    """'≥ 98.5%' or '≤ 24 hours', or 'not set'."""
    if metric.target is None:
        return "not set"
    return target_text(target=metric.target, direction=metric.direction, unit=metric.unit)
