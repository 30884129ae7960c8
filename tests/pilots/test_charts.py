"""The pilot page's charts: points placed by date so a missing period is a gap, verdicts told by
shape, the target line and warning band, the figures in a table, and all stages on one chart."""

import datetime
import itertools
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from pilots.charts import NARROW, WIDE, chart_for_metric, draw, figures, nice_ticks
from pilots.choices import PilotStatus
from pilots.models import Measurement
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


DATE_LABEL = r'<text x="([\d.]+)" y="[\d.]+" font-size="\d+" fill="#52606d" text-anchor="middle">([^<]+)<'


def label_xs(svg: str) -> list[tuple[float, str]]:
    return [
        (float(x), text)
        for x, text in re.findall(
            r'<text x="([\d.]+)" y="[\d.]+" font-size="\d+" fill="#52606d" text-anchor="middle">([^<]+)<', svg
        )
        if not text.startswith(("Week", "Month"))
    ]


def test_a_metric_with_only_missing_periods_and_no_target_draws_an_empty_axis():
    pilot = running_pilot(today=TODAY, weeks_running=3)
    m = metric(pilot, name="Complaints", unit="", target=None)
    missing = [monday(TODAY) - datetime.timedelta(weeks=w) for w in (3, 2, 1)]
    svg = draw(chart_for_metric(m, [], missing), WIDE, "chart-wide")
    assert svg.count('<g class="missing">') == 3 and "nan" not in svg.lower()


def test_date_labels_never_crowd_across_a_gap_and_name_each_new_year():
    pilot = running_pilot(today=TODAY, weeks_running=3)
    m = metric(pilot, name="Accuracy", unit="%", target=Decimal("95"))
    start = datetime.date(2025, 12, 1)
    days = [start + datetime.timedelta(weeks=w) for w in range(6)] + [datetime.date(2027, 3, 1)]
    for day in days:
        Measurement.objects.create(metric=m, period_start=day, value=Decimal("97"), sample_size=10)
    for geometry in (WIDE, NARROW):
        labels = label_xs(draw(chart_for_metric(m, list(m.measurements.order_by("period_start"))), geometry, "c"))
        xs = [x for x, _ in labels]
        assert all(b - a >= geometry.font * 0.6 * len("28 Dec 2026") for a, b in itertools.pairwise(xs)), labels
        years = [text for _, text in labels if text[-4:].isdigit()]
        assert years[0].endswith("2025") and years[-1].endswith("2027"), labels


def test_value_labels_of_large_figures_fit_and_figures_that_cannot_be_negative_get_no_negative_tick():
    pilot = running_pilot(today=TODAY, weeks_running=3)
    m = metric(pilot, name="Invoices", unit="invoices", target=Decimal("5000000000"))
    measure(m, today=TODAY, weeks_ago=1, value="4800000000")
    svg = draw(chart_for_metric(m, list(m.measurements.all())), NARROW, "chart-narrow")
    frame_x = float(re.search(r'<rect x="(\d+)" y="\d+" width="[\d.]+" height="[\d.]+" fill="none"', svg)[1])
    longest = max(len(t) for t in re.findall(r'text-anchor="end">([\d,.-]+)</text>', svg))
    assert frame_x >= longest * NARROW.font * 0.6 + 20  # the labels end left of the frame, clear of the unit title
    zeros = metric(pilot, name="Errors", unit="%", target=None)
    measure(zeros, today=TODAY, weeks_ago=1, value="0")
    ticks = re.findall(
        r'text-anchor="end">([\d,.-]+)</text>', draw(chart_for_metric(zeros, list(zeros.measurements.all())), WIDE, "c")
    )
    assert ticks[0] == "0" and not any(t.startswith("-") for t in ticks)


def test_stages_compare_a_metric_only_with_its_namesakes_in_the_same_unit_one_line_per_stage():
    first = running_pilot(today=TODAY, weeks_running=8, name="Helpdesk A", status=PilotStatus.EXPANDED)
    metric(first, name="Speed", unit="hours")
    metric(first, name="SPEED", unit="hours")  # two of a name in one stage: the first is the stage's
    metric(first, name="Handling", unit="hours")
    kwargs = {"provider": first.provider, "parent": first, "stage": 2, "volume_share": Decimal("30")}
    window = {"starts_on": monday(TODAY), "ends_on": TODAY + datetime.timedelta(weeks=4)}
    left = PilotFactory(name="Helpdesk B north", status=PilotStatus.PLANNED, **kwargs, **window)
    right = PilotFactory(name="Helpdesk B south", status=PilotStatus.PLANNED, **kwargs, **window)
    metric(left, name="speed", unit="hours")
    metric(right, name="Speed", unit="Hours")
    metric(right, name="Handling", unit="minutes")  # another unit: not on the hours axis
    charts = stage_comparison(left, today=TODAY)
    assert [c.title for c in charts] == ["speed, all stages"]
    assert [s.label for s in charts[0].series] == [
        f"Stage 1 ({first.volume_share.normalize():f}%)",
        "Stage 2 (30%): Helpdesk B north",
        "Stage 2 (30%): Helpdesk B south",
    ]
