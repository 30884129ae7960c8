"""How a measured value is judged against its target; used by evaluation, the gate and the pages."""

from decimal import Decimal

from config.formatting import number
from scope.choices import Direction

MET = "met"
NEAR_MISS = "near_miss"
MISSED = "missed"


def judge(*, value: Decimal, target: Decimal, direction: str, margin: Decimal) -> str:
    """Worse than the target is a miss; meeting it by less than the warning margin is a near miss;
    exactly on target with no margin is met."""
    gap = value - target if direction == Direction.HIGHER_IS_BETTER else target - value
    if gap < 0:
        return MISSED
    if margin and gap < margin:
        return NEAR_MISS
    return MET


def target_text(*, target: Decimal, direction: str, unit: str) -> str:
    sign = "≥" if direction == Direction.HIGHER_IS_BETTER else "≤"
    return f"{sign} {number(target)}{with_unit(unit)}"


def with_unit(unit: str) -> str:
    """Percent sticks to the number (98%); other units follow a space (24 hours)."""
    if not unit:
        return ""
    return unit if unit == "%" else f" {unit}"


__all__ = ["MET", "MISSED", "NEAR_MISS", "judge", "number", "target_text", "with_unit"]
