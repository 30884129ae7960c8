"""The pilot page's charts: points placed by date so a missing period is a gap, verdicts told by
shape, the target line and warning band, the figures in a table, and all stages on one chart."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from pilots.charts import NARROW, WIDE, chart_for_metric, draw, figures, nice_ticks
from pilots.choices import PilotStatus
from pilots.selectors import stage_comparison
from tests.conftest import logged_in_client
from tests.factories import PilotFactory

from .helpers import measure, metric, monday, running_pilot

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def point_xs(svg: str) -> list[float]:
    """The x of every mark, in drawing order (oldest first)."""
    xs = []
    for group in re.findall(r'<g class="point [a-z_]+">(.*?)</g>', svg):
        found = re.search(r'<circle cx="([\d.]+)"', group) or re.search(
            r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', group
        )
        if found and found.re.pattern.startswith("<rect"):
            xs.append(round(float(found[1]) + float(found[2]) / 2, 1))
        elif found:
            xs.append(float(found[1]))
        else:
            xs.append(float(re.search(r'<path d="M([\d.]+)', group)[1]))
    return xs


def test_points_sit_at_their_dates_so_a_missing_week_is_a_gap_in_the_line():
    pilot = running_pilot(today=TODAY, weeks_running=5)
    m = metric(pilot, name="Accuracy", unit="%", target=Decimal("95"))
    for weeks_ago, value in ((5, "96"), (4, "97"), (1, "96")):  # weeks 3 and 2 ago are missing
        measure(m, today=TODAY, weeks_ago=weeks_ago, value=value)
    gap = [monday(TODAY) - datetime.timedelta(weeks=w) for w in (3, 2)]
    chart = chart_for_metric(m, list(m.measurements.order_by("period_start")), gap)
    svg = draw(chart, WIDE, "chart-wide")
    first, second, last = point_xs(svg)
    assert last - second == pytest.approx(3 * (second - first), abs=0.2)  # three weeks on, not one step
    assert svg.count("<polyline") == 2  # the line breaks at the gap
    assert svg.count('<g class="missing">') == 2
    assert f"<title>{gap[0].day} {gap[0]:%b %Y}: no measurement" in svg
    assert "2 without a measurement" in svg  # the description screen readers hear


def test_met_at_risk_and_missed_differ_by_shape_with_the_band_and_target_drawn():
    pilot = running_pilot(today=TODAY, weeks_running=3)
    m = metric(pilot, name="SLA adherence", unit="%", target=Decimal("95"), warning_margin=Decimal("2"))
    for weeks_ago, value in ((3, "99"), (2, "96"), (1, "90")):
        measure(m, today=TODAY, weeks_ago=weeks_ago, value=value)
    chart = chart_for_metric(m, list(m.measurements.order_by("period_start")))
    svg = draw(chart, NARROW, "chart-narrow")
    assert re.search(r'<g class="point met"><circle', svg)
    assert re.search(r'<g class="point near_miss"><path d="M[\d. L]+Z"', svg)  # a triangle
    assert re.search(r'<g class="point missed"><rect', svg)
    assert 'class="warning-band"' in svg and "margin of 2" in svg
    assert 'class="target"' in svg and "target ≥ 95" in svg
    assert "1 met, 1 at risk, 1 missed" in svg
    table = figures(chart)
    assert table.count("<tr>") == 4  # the header and three periods
    assert "90%" in table and "missed" in table and "at risk" in table


def test_value_ticks_are_round_numbers_covering_the_range():
    assert nice_ticks(87.3, 99.1, 5) == [85, 90, 95, 100]
    assert nice_ticks(0.12, 0.31, 4) == [0.1, 0.2, 0.3, 0.4]
    assert nice_ticks(1200, 48000, 5)[0] == 0 and nice_ticks(1200, 48000, 5)[-1] >= 48000


def test_the_pilot_page_compares_all_stages_on_one_chart(editor):
    first = running_pilot(today=TODAY, weeks_running=8, name="Refunds stage 1", status=PilotStatus.EXPANDED)
    accuracy_1 = metric(first, name="Refund accuracy", unit="%", target=Decimal("98"))
    for weeks_ago in (8, 7, 6, 5):
        measure(accuracy_1, today=TODAY, weeks_ago=weeks_ago, value="98.5")
    second = PilotFactory(
        provider=first.provider,
        parent=first,
        stage=2,
        volume_share=Decimal("30"),
        status=PilotStatus.RUNNING,
        starts_on=monday(TODAY) - datetime.timedelta(weeks=4),
        ends_on=TODAY + datetime.timedelta(weeks=4),
    )
    accuracy_2 = metric(second, name="Refund accuracy", unit="%", target=Decimal("98"))
    for weeks_ago in (4, 3, 1):
        measure(accuracy_2, today=TODAY, weeks_ago=weeks_ago, value="97")
    [chart] = stage_comparison(second, today=TODAY)
    assert [s.label for s in chart.series] == [f"Stage 1 ({first.volume_share.normalize():f}%)", "Stage 2 (30%)"]
    assert len(chart.series[1].missing) == 1
    page = logged_in_client(editor).get(second.get_absolute_url()).content.decode()
    assert "All stages compared" in page and "Refund accuracy, all stages" in page
    assert stage_comparison(running_pilot(today=TODAY), today=TODAY) == []  # a single stage: nothing to compare
