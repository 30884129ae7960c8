"""Number formatting shared by every app's pages, emails and messages."""

from decimal import Decimal


def number(value: Decimal | int | float | None) -> str:
    """A number without trailing zeros or exponent: 98.5000 → 98.5, Decimal('3E+1') → 30."""
    if value is None:
        return "—"
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
