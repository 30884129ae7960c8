"""Number, money and date formatting shared by every app's pages, emails and messages.

`number` is the plain form (messages, spreadsheets: "12000.5"); `figure` the form people read on
pages and in emails ("12,000.5", with its unit: "98.5%", "12,000 invoices"); `money` a budget in the
`CURRENCY` setting ("£12,500"); `day` and `moment` the one date style (config/formats).
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import formats, timezone
from django.utils.html import format_html

CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "JPY": "¥", "INR": "₹"}


def number(value: Decimal | int | float | None) -> str:
    """A number without trailing zeros or exponent: 98.5000 → 98.5, Decimal('3E+1') → 30."""
    if value is None:
        return "—"
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def with_unit(unit: str) -> str:
    """Percent sticks to the number (98%); other units follow a space (24 hours)."""
    if not unit:
        return ""
    return unit if unit.strip() == "%" else f" {unit}"


def figure(value: Decimal | int | float | None, unit: str = "") -> str:
    """A number as people read it: thousands grouped, no trailing zeros, its unit beside it."""
    if value is None:
        return "—"
    plain = number(value)
    negative = plain.startswith("-")
    whole, _, fraction = plain.removeprefix("-").partition(".")
    grouped = f"{int(whole):,}" + (f".{fraction}" if fraction else "")
    return ("-" if negative else "") + grouped + with_unit(unit)


def money(value: Decimal | int | float | None, currency: str | None = None) -> str:
    """£12,500 or £12,500.50 (pence only when there are some); a code other than the few with a
    symbol follows the figure: 12,500 CHF."""
    if value is None:
        return "—"
    currency = currency or settings.CURRENCY
    amount = Decimal(value).quantize(Decimal("0.01"))
    text = f"{amount:,.2f}".removesuffix(".00")
    symbol = CURRENCY_SYMBOLS.get(currency)
    if symbol:
        return f"-{symbol}{text[1:]}" if text.startswith("-") else f"{symbol}{text}"
    return f"{text} {currency}"


def day(value: datetime.date | datetime.datetime) -> str:
    """A date as every page, email and message writes it: 4 Nov 2026 (a moment: its local day)."""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return formats.date_format(value, "DATE_FORMAT")


def moment(value: datetime.datetime) -> str:
    """A moment in the local time zone: 4 Nov 2026, 09:30."""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "DATETIME_FORMAT")


def person_name(user, empty: str = "—") -> str:
    """A user's full name, else the username; `empty` when there is nobody."""
    if user is None:
        return empty
    return user.get_full_name() or user.username


def badge(css_class: str, text) -> str:
    """A coloured status pill for tables; `css_class` picks the colour (see app.css)."""
    return format_html('<span class="badge {}">{}</span>', css_class, text)
