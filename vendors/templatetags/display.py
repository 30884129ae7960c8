"""Display helpers shared by every app's templates."""

from django import template

from config.formatting import number

register = template.Library()


@register.filter
def person(user, empty: str = "—") -> str:
    """A user's full name, else the username; `empty` when there is nobody."""
    if user is None:
        return empty
    return user.get_full_name() or user.username


@register.filter
def num(value) -> str:
    """98.5000 → 98.5; 30 stays 30 (never 3E+1)."""
    return number(value)
