"""How a metric's unit bounds its values, and how a target reads."""

from decimal import Decimal

import pytest

from pilots.rules import target_text, unit_bounds, value_problem
from scope.choices import Direction


@pytest.mark.parametrize(
    ("unit", "bounds"),
    [
        ("%", (0, 100)),
        ("score 1–5", (1, 5)),
        ("score 1-5", (1, 5)),
        ("rating 1 to 10", (1, 10)),
        ("NPS -100 to 100", (-100, 100)),
        ("°C (-20–40)", (-20, 40)),
        ("change -50 to 50", (-50, 50)),
        ("hours", (0, None)),
    ],
)
def test_a_unit_says_which_values_it_can_take_negative_ranges_included(unit, bounds):
    low, high = unit_bounds(unit)
    assert (low, high) == tuple(Decimal(b) if b is not None else None for b in bounds)


def test_a_value_below_zero_is_recorded_on_a_scale_that_goes_below_zero():
    assert value_problem(value=Decimal("-10"), unit="NPS -100 to 100") is None
    assert "below the lowest possible value (-100" in value_problem(value=Decimal("-101"), unit="NPS -100 to 100")


def test_a_target_reads_with_grouped_figures_and_its_unit():
    assert target_text(target=Decimal("5000000000"), direction=Direction.HIGHER_IS_BETTER, unit="invoices") == (
        "≥ 5,000,000,000 invoices"
    )
    assert target_text(target=Decimal("98.5000"), direction=Direction.HIGHER_IS_BETTER, unit="%") == "≥ 98.5%"
