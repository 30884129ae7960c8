"""Number formatting shared by every app's pages, emails and messages."""

from decimal import Decimal

from django.utils.html import format_html


def number(value: Decimal | int | float | None) -> str:
    """A number without trailing zeros or exponent: 98.5000 → 98.5, Decimal('3E+1') → 30."""
    if value is None:
        return "—"
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def badge(css_class: str, text) -> str:
    """A coloured status pill for tables; `css_class` picks the colour (see app.css)."""
    return format_html('<span class="badge {}">{}</span>', css_class, text)
