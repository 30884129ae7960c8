"""Edit forms that notice a change made since they were opened.

The form carries a signed fingerprint of what it showed (each field, each inline row set). On
save, with the stored row locked, the fingerprint of what is stored now is compared with it:
when someone else saved in between, the save stops and the form shows what they changed, so
nobody overwrites a colleague's work without seeing it. Saving again after that overwrites on
purpose; both saves are in the history.
"""

import hashlib
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.core import signing
from django.db import connection, models
from django.db.models.fields.files import FieldFile
from django.utils import timezone

SALT = "pilotgate.form-version"
STATUS = "status:"
FIELD = "_version"


def _plain(value):
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, FieldFile):
        return value.name
    if isinstance(value, list | tuple | set | models.QuerySet):
        return sorted(str(_plain(v)) for v in value)
    return str(value) if value is not None else None


def _digest(value) -> str:
    return hashlib.sha256(repr(_plain(value)).encode()).hexdigest()[:12]


def fingerprint(form, formsets: dict) -> dict[str, str]:
    """What an unbound form and its formsets show from the stored rows, one digest per field and
    one per formset (its rows and their values)."""
    parts = {name: _digest(form.initial.get(name, field.initial)) for name, field in form.fields.items()}
    # A status change (a pilot started) changes what may be edited: it is part of the version.
    if hasattr(getattr(form, "instance", None), "status"):
        parts[STATUS] = _digest(form.instance.status)
    for prefix, formset in formsets.items():
        rows = sorted(
            (str(f.instance.pk), sorted((n, _digest(f.initial.get(n, f.fields[n].initial))) for n in f.fields))
            for f in formset.initial_forms
        )
        parts[f"formset:{prefix}"] = _digest(rows)
    return parts


def sign(parts: dict[str, str]) -> str:
    return signing.dumps(parts, salt=SALT, compress=True)


def _shown(value) -> str:
    if isinstance(value, list | tuple | set | models.QuerySet):
        return ", ".join(sorted(str(v) for v in value)) or "nothing"
    if isinstance(value, FieldFile):
        return value.name or "no file"
    return "blank" if value in (None, "") else str(value)


@dataclass
class Conflict(Exception):
    """The stored rows changed since the form was opened: `changed` names what."""

    changed: list[str]
    by: str
    at: object

    def message(self, form, formsets: dict) -> str:
        """In words, with the stored values: `form` and `formsets` are built from the stored rows."""
        parts = []
        for name in self.changed:
            if name == STATUS:
                parts.append(f"it is now {form.instance.get_status_display().lower()}")
            elif name.startswith("formset:"):
                formset = formsets.get(name.removeprefix("formset:"))
                parts.append(f"{getattr(formset, 'legend', 'the rows below').split(' (')[0]} changed")
            elif name in form.fields:
                value = form.initial.get(name)
                if isinstance(value, list | tuple | set) and value and isinstance(next(iter(value)), int | str):
                    choices = dict(getattr(form.fields[name], "choices", []) or [])
                    value = [choices.get(v, v) for v in value]
                parts.append(f"{form.fields[name].label or name} is now “{_shown(value)}”")
        who = f" by {self.by}" if self.by else ""
        when = f" at {timezone.localtime(self.at):%H:%M}" if self.at else ""
        return (
            f"Someone else saved this{who}{when} after you opened the form: {'; '.join(parts) or 'it changed'}. "
            "Your entries are below and are not saved yet; save again to replace theirs with yours."
        )


def posted_fingerprint(form) -> dict[str, str]:
    """The digests of a valid bound form's own values, to compare with what is stored."""
    return {name: _digest(form.cleaned_data.get(name)) for name in form.fields if name in form.cleaned_data}


def check(posted: str | None, current: dict[str, str], *, history, submitted: dict[str, str] | None = None) -> None:
    """Raise Conflict when the posted fingerprint differs from what is stored now (a form posted
    without one, e.g. by a script, is not checked); `history` (historical records) says who
    changed it last. A field that is stored exactly as this form submits it is no conflict: that
    is a double submit of the same save, or two people agreeing."""
    if posted is None:
        return
    try:
        opened = signing.loads(posted, salt=SALT)
    except signing.BadSignature:
        opened = {}
    submitted = submitted or {}
    changed = [name for name in current if opened.get(name) != current[name] and submitted.get(name) != current[name]]
    if changed:
        last = history.select_related("history_user").order_by("-history_date").first()
        raise Conflict(
            changed=changed,
            by=str(last.history_user) if last and last.history_user else "",
            at=last.history_date if last else None,
        )


# --- One record per submitted form ------------------------------------------------------------

SUBMISSION_FIELD = "_submission"


def new_submission() -> str:
    return uuid.uuid4().hex


def submission_reason(token: str | None) -> str | None:
    """The history reason that marks a record as created by this submitted form."""
    if token and len(token) == 32 and all(c in "0123456789abcdef" for c in token):
        return f"Created (form {token})"
    return None


def created_by_submission(model, reason: str):
    """The record this form created already, if any. Inside the transaction that will create it,
    the lock makes a concurrent double submit wait for the first, then find its record; after a
    refusal, it tells a repeat from a real clash."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [reason])
    record = model.history.filter(history_type="+", history_change_reason=reason).first()
    return model.objects.filter(pk=record.id).first() if record else None
