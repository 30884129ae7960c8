"""Spreadsheet imports in two steps, shared by every kind (a pilot's measurements, the vendor list).

Upload: the file is read and checked (`config.spreadsheets`) and kept as a *previewed* import.
Preview: every row planned as new, correction (old → new), unchanged or error, with its row number.
Confirm: the file is read and planned again inside one transaction, refused when the plan is no
longer what was previewed, and applied whole or not at all; the import is then kept as *applied*
(who, when, the file, the counts) and listed on the page it belongs to.

An `ImportFlow` says what one kind reads and writes; the views below are its configuration.
"""

import datetime
import uuid
from collections import Counter
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import models, transaction
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views import View

from . import spreadsheets
from .formatting import person_name
from .viewsets import model_permission

PREVIEW_LINES = 1000
SHOWN_ERRORS = 50
# What each planned row will do; also the order a preview lists them in (what needs attention first).
ERROR, CORRECTION, NEW, UNCHANGED = "error", "correction", "new", "unchanged"
OUTCOMES = (ERROR, CORRECTION, NEW, UNCHANGED)
PENDING_LIFETIME = datetime.timedelta(days=1)


def import_storage():
    return storages["imports"]


def import_upload_to(instance, filename: str) -> str:
    # The person's file name is kept in `file_name`; the stored name is never guessable or theirs.
    extension = filename.rsplit(".", 1)[-1].lower()
    return f"{instance._meta.model_name}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{extension}"


class ImportRecord(models.Model):
    """An uploaded spreadsheet: previewed, then applied (kept with its counts and the file)."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", "Previewed"
        APPLIED = "applied", "Applied"

    file = models.FileField(upload_to=import_upload_to, storage=import_storage, max_length=200)
    file_name = models.CharField(max_length=255)
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.PREVIEWED)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    applied_at = models.DateTimeField(null=True, blank=True)
    new_count = models.PositiveIntegerField(default=0)
    corrected_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["-uploaded_at"]

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display().lower()} {self.uploaded_at:%Y-%m-%d %H:%M})"

    @property
    def uploader_name(self) -> str:
        return person_name(self.uploaded_by)

    def read(self) -> list[spreadsheets.Sheet]:
        with self.file.open("rb") as stored:
            return spreadsheets.read(ContentFile(stored.read(), name=self.file_name))


@dataclass
class Plan:
    """Every row of an import or a batch with its planned outcome; each kind adds its fingerprint
    (what confirming would write) and what it writes."""

    entries: list

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(entry.outcome for entry in self.entries)
        return {outcome: found.get(outcome, 0) for outcome in OUTCOMES}

    @property
    def errors(self) -> list:
        return [entry for entry in self.entries if entry.outcome == ERROR]

    def refusal(self, where) -> "PlanRefused":
        """The rows in error as one refusal, each introduced by `where(entry)` ("Row 7"); the first
        SHOWN_ERRORS named, the rest counted."""
        errors = self.errors
        messages = [f"{where(e)}: {e.describe()}" for e in errors[:SHOWN_ERRORS]]
        if len(errors) > SHOWN_ERRORS:
            messages.append(f"… and {len(errors) - SHOWN_ERRORS} more rows with errors.")
        return PlanRefused(self, messages)


@dataclass
class PreviewLine:
    row: int
    outcome: str  # new, correction, unchanged, error
    subject: str  # what the row is about: "Accuracy, week of 2 Nov 2026", a provider's name
    detail: str  # old → new, or the reasons
    sheet: str = ""


class ImportFlow:
    """One kind of import: its record model, what it reads, how it plans and applies."""

    record_model: type[ImportRecord]
    permission_required: tuple[str, ...] = ()
    title = "Import"

    def target(self, pk: int | None):
        """The record the import belongs to (a pilot), or None for a list-wide import."""
        return None

    def records(self, target):
        return self.record_model.objects.select_related("uploaded_by")

    def new_record(self, target, **fields) -> ImportRecord:
        return self.record_model(**fields)

    def refusal(self, target) -> str | None:
        """Why nothing can be imported here now (a pilot that is not running), else None."""
        return None

    def check(self, target, sheets) -> None:
        """Refuse a file whose sheets or headers this kind cannot read (ValidationError), before it is kept."""

    def plan(self, record: ImportRecord, sheets) -> Plan:
        raise NotImplementedError

    def lines(self, plan: Plan) -> list["PreviewLine"]:
        """The plan's rows as the preview lists them."""
        raise NotImplementedError

    def apply(self, record: ImportRecord, *, by, expected: str):
        """Plan again and write, in the caller's transaction; PlanChanged or ValidationError refuse."""
        raise NotImplementedError

    def done_url(self, target) -> str:
        raise NotImplementedError

    def template_url(self, target) -> str:
        """Where this kind's template downloads (with ?format=xlsx or csv), or "" for none."""
        return ""

    def templates(self, target) -> list[tuple[str, str]]:
        """(label, url) of the templates to download."""
        url = self.template_url(target)
        return [("Template (XLSX)", f"{url}?format=xlsx"), ("Template (CSV)", f"{url}?format=csv")] if url else []

    def help_text(self, target) -> str:
        return ""


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Spreadsheet (.csv or .xlsx)", widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"})
    )

    def __init__(self, *args, max_rows: int | None = None, max_bytes: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.limits = {"max_rows": max_rows, "max_bytes": max_bytes}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        self.sheets = spreadsheets.read(upload, **self.limits)
        upload.seek(0)
        return upload


class PlanRefused(ValidationError):
    """Rows in error: nothing is written; `plan` says which rows and why."""

    def __init__(self, plan, messages: list[str]):
        super().__init__(messages)
        self.plan = plan


class PlanChanged(Exception):
    """What confirming would write is no longer what the person previewed."""

    def __init__(self, plan):
        super().__init__("The stored data changed since the preview.")
        self.plan = plan


class ImportView(PermissionRequiredMixin, View):
    """Upload a file (GET: the form, the templates and the imports so far; POST: read and preview)."""

    flow: ImportFlow
    template_name = "generic/import_upload.html"

    def get_permission_required(self):
        return self.flow.permission_required

    def get_target(self, pk):
        return self.flow.target(pk)

    def upload_form(self, *args) -> UploadForm:
        return UploadForm(*args)

    def uploader(self) -> dict:
        """Who the kept file is recorded as uploaded by."""
        return {"uploaded_by": self.request.user}

    def listed(self, target):
        """The imports the page lists: the team's applied ones and this person's previews."""
        return visible_records(self.flow.records(target), self.request.user)[:20]

    def extra_context(self) -> dict:
        return {}

    def get(self, request, pk: int | None = None):
        target = self.get_target(pk)
        return self.render(target, self.upload_form())

    def post(self, request, pk: int | None = None):
        target = self.get_target(pk)
        if self.flow.refusal(target):  # shown on the page; the file is not even read
            return self.render(target, self.upload_form(), status=400)
        form = self.upload_form(request.POST, request.FILES)
        if form.is_valid():
            try:
                self.flow.check(target, form.sheets)
            except ValidationError as error:
                form.add_error("file", error)
        if not form.is_valid():
            return self.render(target, form, status=400)
        record = keep_upload(self.flow, target, form.cleaned_data["file"], **self.uploader())
        self.kept(record)
        return HttpResponseRedirect(f"{request.path}{record.pk}/")

    def kept(self, record) -> None:
        """After a file is kept as a preview."""

    def render(self, target, form, status=200):
        context = {
            "flow": self.flow,
            "target": target,
            "form": form,
            "templates": self.flow.templates(target),
            "refusal": self.flow.refusal(target),
            "help_text": self.flow.help_text(target),
            "imports": self.listed(target),
            "back_url": self.flow.done_url(target),
            **self.extra_context(),
        }
        return render(self.request, self.template_name, context, status=status)


class ImportPreviewView(PermissionRequiredMixin, View):
    """The preview of a previewed import (GET) and its confirmation (POST)."""

    flow: ImportFlow
    template_name = "generic/import_preview.html"

    def get_permission_required(self):
        return self.flow.permission_required

    def applier(self):
        """The user recorded as applying the import."""
        return self.request.user

    def get_record(self, pk, record_pk) -> tuple[object, ImportRecord]:
        target = self.flow.target(pk)
        # A preview is its uploader's draft until confirmed: nobody else sees, confirms or discards it.
        record = get_object_or_404(
            self.flow.records(target), pk=record_pk, status=ImportRecord.Status.PREVIEWED, uploaded_by=self.request.user
        )
        return target, record

    def extra_context(self) -> dict:
        return {}

    def get(self, request, record_pk: int, pk: int | None = None):
        target, record = self.get_record(pk, record_pk)
        return self.render(target, record, self.plan(record))

    def plan(self, record):
        plan, problem = read_plan(self.flow, record)
        if problem:
            messages.error(self.request, problem)
        return plan

    def post(self, request, record_pk: int, pk: int | None = None):
        target, record = self.get_record(pk, record_pk)
        if "discard" in request.POST:
            discard(record)
            messages.info(request, f"{record.file_name} was discarded; nothing was changed.")
            return HttpResponseRedirect(self.flow.done_url(target))
        try:
            record = confirm(self.flow, record, by=self.applier(), expected=request.POST.get("fingerprint", ""))
        except PlanChanged as changed:
            messages.warning(
                request,
                "The stored data changed since this preview, so nothing was applied: "
                "check the preview again and confirm.",
            )
            return self.render(target, record, changed.plan, status=409)
        except ValidationError as error:
            messages.error(request, "Nothing was applied: " + " ".join(error.messages))
            return self.render(target, record, self.plan(record), status=400)
        except FileNotFoundError:
            messages.error(request, f"{record.file_name} is no longer stored; nothing was applied. Upload it again.")
            return self.render(target, record, None, status=400)
        messages.success(
            request,
            f"{record.file_name} applied: {record.new_count} new, {record.corrected_count} corrected, "
            f"{record.unchanged_count} unchanged.",
        )
        return HttpResponseRedirect(self.flow.done_url(target))

    def render(self, target, record, plan, status=200):
        context = {
            "flow": self.flow,
            "target": target,
            "record": record,
            "plan": plan,
            "back_url": self.flow.done_url(target),
            **preview_lines(self.flow, plan),
            **self.extra_context(),
        }
        return render(self.request, self.template_name, context, status=status if plan else 400)


class ImportFileView(PermissionRequiredMixin, View):
    """The original file of an import, to those who may see the import (its model's view
    permission); never a public URL."""

    flow: ImportFlow

    def get_permission_required(self):
        return (model_permission(self.flow.record_model, "view"),)

    def get(self, request, record_pk: int, pk: int | None = None):
        target = self.flow.target(pk)
        record = get_object_or_404(visible_records(self.flow.records(target), request.user), pk=record_pk)
        try:
            stored = record.file.open("rb")
        except FileNotFoundError:
            raise Http404("The file is no longer stored.") from None
        return FileResponse(stored, as_attachment=True, filename=record.file_name)


def keep_upload(flow: ImportFlow, target, upload, **fields) -> ImportRecord:
    """Keep an uploaded file as a previewed import of `target` (nothing is applied yet)."""
    with transaction.atomic():
        discard_stale_previews(flow.record_model)
        record = flow.new_record(target, file_name=upload.name[:255], status=ImportRecord.Status.PREVIEWED, **fields)
        record.file.save(upload.name, upload, save=False)
        try:
            record.save()
        except Exception:
            record.file.delete(save=False)  # nothing refers to it
            raise
    return record


@transaction.atomic
def confirm(flow: ImportFlow, record: ImportRecord, *, by, expected: str) -> ImportRecord:
    """Apply a previewed import as it was previewed (`expected`: the preview's fingerprint), whole or
    not at all, and keep it as applied with its counts. PlanChanged or ValidationError refuse."""
    record = type(record).objects.select_for_update().get(pk=record.pk)
    if record.status != ImportRecord.Status.PREVIEWED:
        raise Http404("This import has been applied already.")
    counts = flow.apply(record, by=by, expected=expected).counts
    record.status = ImportRecord.Status.APPLIED
    record.applied_at = timezone.now()
    record.new_count = counts[NEW]
    record.corrected_count = counts[CORRECTION]
    record.unchanged_count = counts[UNCHANGED]
    record.save()
    return record


def read_plan(flow: ImportFlow, record: ImportRecord) -> tuple[Plan | None, str]:
    """The stored file planned again, or why it cannot be."""
    try:
        return flow.plan(record, record.read()), ""
    except (ValidationError, FileNotFoundError) as error:
        return None, f"{record.file_name}: {' '.join(getattr(error, 'messages', [str(error)]))}"


def preview_lines(flow: ImportFlow, plan: Plan | None) -> dict:
    """The preview's rows, what needs attention first, at most PREVIEW_LINES of them."""
    lines = flow.lines(plan) if plan else []
    lines = sorted(lines, key=lambda line: (OUTCOMES.index(line.outcome), line.sheet, line.row))
    return {"lines": lines[:PREVIEW_LINES], "hidden_lines": max(0, len(lines) - PREVIEW_LINES)}


def visible_records(records, user):
    """Applied imports are the team's record; an unconfirmed preview is its uploader's draft."""
    return records.filter(Q(status=ImportRecord.Status.APPLIED) | Q(uploaded_by=user))


def discard(record: ImportRecord) -> None:
    name = record.file.name
    storage = record.file.storage
    record.delete()
    transaction.on_commit(lambda: storage.delete(name))


def discard_stale_previews(model: type[ImportRecord]) -> None:
    """Previews nobody confirmed within a day go, with their files."""
    cutoff = timezone.now() - PENDING_LIFETIME
    for record in model.objects.filter(status=ImportRecord.Status.PREVIEWED, uploaded_at__lt=cutoff)[:100]:
        discard(record)
