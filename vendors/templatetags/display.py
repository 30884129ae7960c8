"""Display helpers shared by every app's templates."""

from django import template

from config import formatting
from config.formatting import person_name

register = template.Library()


@register.filter
def person(user, empty: str = "—") -> str:
    """A user's full name, else the username; `empty` when there is nobody."""
    return person_name(user, empty)


@register.filter
def num(value, unit: str = "") -> str:
    """A figure as people read it: 12,000.5 (never 3E+1), with its unit when given: 98.5%."""
    return formatting.figure(value, unit)


@register.filter
def money(value) -> str:
    """A budget in the CURRENCY setting: £12,500."""
    return formatting.money(value)


@register.filter
def moment(value) -> str:
    """A date and time in the one style, local time: 4 Nov 2026, 09:30."""
    return formatting.moment(value) if value else "—"


@register.filter
def labelled(field, text: str):
    """A form field's widget named for screen readers where the layout (a table) shows no <label>."""
    return field.as_widget(attrs={**field.field.widget.attrs, "aria-label": str(text)})


@register.filter
def labelled_row(field, row: int):
    """A formset cell's widget named with its column and row: "City, row 2"."""
    return labelled(field, f"{field.label}, row {row}")


@register.filter
def day(value) -> str:
    """A date or a moment as every page and email writes it (config.formatting)."""
    return formatting.day(value) if value else "—"
