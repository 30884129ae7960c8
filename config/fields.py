"""Field rules every app shares: names that read as they look, dates in a sensible range."""

import datetime
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

# Joiners shape Arabic and Indic names; every other format character (bidi controls such as
# U+202E, which makes "exe.pdf" read "fdp.exe", zero-width spaces, the word joiner, soft hyphens,
# byte-order marks) only hides what a name says, and so do control characters.
KEPT_FORMAT = frozenset("\u200c\u200d")
# Line breaks and tabs count as spaces (str.split() below treats them so); other controls go.
BREAKS = frozenset("\t\r\n\u2028\u2029\x85")
# Letters and marks that print as nothing (a grapheme joiner, variation selectors, Hangul and
# Braille blanks): two names differing only by them would look the same.
BLANKS = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0"
    + "".join(map(chr, range(0x180B, 0x1810)))
    + "".join(map(chr, range(0xFE00, 0xFE10)))
)


def one_line(text: str) -> str:
    """`text` in its composed form (NFC: "a" + combining acute is "á"), without invisible format,
    control or blank characters, every run of spaces (no-break ones and line breaks included) one
    space, trimmed."""
    if text.isascii() and text.isprintable() and "  " not in text and text == text.strip():
        return text  # the common case, already clean: it runs for every name a bulk write saves
    kept = "".join(
        ch
        for ch in unicodedata.normalize("NFC", text)
        if ch in BREAKS or ch in KEPT_FORMAT or (ch not in BLANKS and unicodedata.category(ch) not in {"Cc", "Cf"})
    )
    return " ".join(kept.split())


class TextLine(models.CharField):
    """A name or title. Cleaning it (forms, the admin, services' full_clean) removes what could
    disguise it, so what is stored reads as it looks."""

    def to_python(self, value):
        value = super().to_python(value)
        return one_line(value) if isinstance(value, str) else value

    def formfield(self, **kwargs):
        if self.choices:
            return super().formfield(**kwargs)
        return super().formfield(**{"form_class": OneLineFormField, **kwargs})


# Every formset's bound: more rows than a person edits at once, far fewer than a tampered
# TOTAL_FORMS of a hundred million would make the server build.
FORMSET_LIMITS = {"max_num": 50, "absolute_max": 50, "validate_max": True}

EARLIEST_DATE, LATEST_DATE = datetime.date(2000, 1, 1), datetime.date(2099, 12, 31)


def validate_sensible_date(value: datetime.date) -> None:
    """Pilots, periods and certificates fall in this century: a year 1 or 9999 is a typing
    slip, and would overflow the period arithmetic."""
    if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValidationError(f"Give a date between {EARLIEST_DATE:%Y} and {LATEST_DATE:%Y}.")


class OneLineFormField(forms.CharField):
    """The form side of TextLine: cleaned the same way, so rows that differ only by an invisible
    character are seen as the same row by the form's own duplicate checks."""

    def to_python(self, value):
        value = super().to_python(value)
        return one_line(value) if isinstance(value, str) else value


MAX_ID = 2**63 - 1


def _id_in_range(field, value) -> None:
    """A number no row can have (beyond 64 bits) is an invalid choice, before any database sees it."""
    text = str(value).strip()
    if text.lstrip("-").isascii() and text.lstrip("-").isdigit() and not -MAX_ID <= int(text) <= MAX_ID:
        raise ValidationError(field.error_messages["invalid_choice"], code="invalid_choice", params={"value": text})


class IdChoiceField(forms.ModelChoiceField):
    def to_python(self, value):
        if value not in self.empty_values:
            _id_in_range(self, value)
        return super().to_python(value)


class IdsChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        for each in value if isinstance(value, list | tuple) else [value]:
            _id_in_range(self, each)
        return super()._check_values(value)


class CheckboxList(forms.CheckboxSelectMultiple):
    """Several choices as a group of tick boxes, never a Ctrl-click list box; a long list gains a
    box that filters it as one types (static/js/app.js), so a few thousand stay usable."""

    def __init__(self, attrs=None, choices=()):
        super().__init__({"class": "checklist", **(attrs or {})}, choices)


def formfield_in_range(field, **kwargs):
    if isinstance(field, models.ManyToManyField):
        kwargs.setdefault("form_class", IdsChoiceField)
        kwargs.setdefault("widget", CheckboxList)
    elif isinstance(field, models.ForeignKey):
        kwargs.setdefault("form_class", IdChoiceField)
    return field.formfield(**kwargs)


class ModelForm(forms.ModelForm):
    """The project's model forms: related ids are checked for range before they reach a query."""

    class Meta:
        formfield_callback = formfield_in_range


def delete_unreferenced_file(field: models.FileField, name: str) -> None:
    """Remove a stored file that no row of `field`'s model points at any more (a replaced or
    removed upload, or one written by a save that was rolled back)."""
    if name and not field.model._default_manager.filter(**{field.name: name}).exists():
        field.storage.delete(name)
