"""The pilot page's charts (drawn by pilots.charts) and the target in words."""

from django import template

from pilots import charts
from pilots.rules import target_text

register = template.Library()


@register.simple_tag
def metric_chart(metric, measurements, missing=()):
    """`measurements` oldest first; `missing` the due periods without one (see pilots.charts)."""
    return charts.render(charts.chart_for_metric(metric, measurements, missing))


@register.simple_tag
def comparison_chart(chart):
    return charts.render(chart)


@register.filter
def target(metric) -> str:
    """'≥ 98.5%' or '≤ 24 hours', or 'not set'."""
    if metric.target is None:
        return "not set"
    return target_text(target=metric.target, direction=metric.direction, unit=metric.unit)
