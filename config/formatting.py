"""Number and date formatting shared by every app's pages, emails and messages."""

import datetime
from decimal import Decimal

from django.utils.html import format_html


def number(value: Decimal | int | float | None) -> str:
    """A number without trailing zeros or exponent: 98.5000 → 98.5, Decimal('3E+1') → 30."""
    if value is None:
        return "—"
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def day(value: datetime.date) -> str:
    """A date as messages write it: 4 Nov 2026 (no leading zero, as the pages show dates)."""
    return f"{value.day} {value:%b %Y}"


def person_name(user, empty: str = "—") -> str:
    """A user's full name, else the username; `empty` when there is nobody."""
    if user is None:
        return empty
    return user.get_full_name() or user.username


def badge(css_class: str, text) -> str:
    """A coloured status pill for tables; `css_class` picks the colour (see app.css)."""
    return format_html('<span class="badge {}">{}</span>', css_class, text)
