"""How a measured value is judged against its target; used by evaluation, the gate and the pages."""

import re
from decimal import ROUND_DOWN, Decimal

from config.formatting import figure, number, with_unit
from scope.choices import Direction

MET = "met"
NEAR_MISS = "near_miss"
MISSED = "missed"


def unit_bounds(unit: str) -> tuple[Decimal | None, Decimal | None]:
    """The values a unit can take: a percentage 0–100, a score "1–5" its range, any other measure
    (hours, cost, counts) zero or more."""
    if unit.strip() == "%":
        return Decimal(0), Decimal(100)
    # "1–5", "1-5", "1 to 5", and ranges below zero: "-100 to 100", "-20–40".
    scale = re.search(r"(-?\d+(?:\.\d+)?)\s*(?:to|–|-)\s*(-?\d+(?:\.\d+)?)", unit)
    if scale:
        ends = sorted((Decimal(scale[1]), Decimal(scale[2])))
        return ends[0], ends[1]
    return Decimal(0), None


def value_problem(*, value: Decimal, unit: str) -> str | None:
    """Why a measured value cannot be right for its unit (a percentage above 100, a negative cost)."""
    low, high = unit_bounds(unit)
    shown = with_unit(unit)
    if low is not None and value < low:
        return f"{number(value)}{shown} is below the lowest possible value ({number(low)}{shown})."
    if high is not None and value > high:
        return f"{number(value)}{shown} is above the highest possible value ({number(high)}{shown})."
    return None


def margin_problem(*, target: Decimal, margin: Decimal, direction: str, unit: str) -> str | None:
    """Why a target and warning margin cannot work together: "met cleanly" means beating the target
    by the margin, so target plus margin must be a value the metric can reach."""
    low, high = unit_bounds(unit)
    shown = with_unit(unit)
    if high is not None and target > high:
        return f"The target {number(target)}{shown} is above the highest possible value ({number(high)}{shown})."
    if low is not None and target < low:
        return f"The target {number(target)}{shown} is below the lowest possible value ({number(low)}{shown})."
    if not margin:
        return None
    if direction == Direction.HIGHER_IS_BETTER and high is not None and target + margin > high:
        return (
            f"With a target of {number(target)}{shown}, a warning margin of {number(margin)} would need "
            f"{number(target + margin)}{shown} to count as met without risk, above the highest possible value "
            f"({number(high)}{shown}). Use at most {number(high - target)}."
        )
    if direction == Direction.LOWER_IS_BETTER and low is not None and target - margin < low:
        return (
            f"With a target of {number(target)}{shown}, a warning margin of {number(margin)} would need "
            f"{number(target - margin)}{shown} to count as met without risk, below the lowest possible value "
            f"({number(low)}{shown}). Use at most {number(target - low)}."
        )
    return None


def sensible_margin(*, target: Decimal, direction: str, unit: str, share: Decimal = Decimal("0.005")) -> Decimal:
    """A warning margin of `share` of the target, kept within reach: at most half the room between
    the target and the best value the unit allows."""
    margin = abs(target) * share
    low, high = unit_bounds(unit)
    room = (high - target) if direction == Direction.HIGHER_IS_BETTER and high is not None else None
    if direction == Direction.LOWER_IS_BETTER and low is not None:
        room = target - low
    if room is not None:
        margin = min(margin, max(room, Decimal(0)) / 2)
    return margin.quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def judge(*, value: Decimal, target: Decimal, direction: str, margin: Decimal) -> str:
    """Worse than the target is a miss; meeting it by less than the warning margin is a near miss
    (shown as "at risk": met, but close); exactly on target with no margin is met."""
    gap = value - target if direction == Direction.HIGHER_IS_BETTER else target - value
    if gap < 0:
        return MISSED
    if margin and gap < margin:
        return NEAR_MISS
    return MET


def target_text(*, target: Decimal, direction: str, unit: str) -> str:
    sign = "≥" if direction == Direction.HIGHER_IS_BETTER else "≤"
    return f"{sign} {figure(target, unit)}"


__all__ = [
    "MET",
    "MISSED",
    "NEAR_MISS",
    "judge",
    "margin_problem",
    "number",
    "target_text",
    "unit_bounds",
    "value_problem",
    "with_unit",
]
