import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.decorators.http import require_GET
from django.views.generic import FormView

from config.imports import ImportFileView, ImportPreviewView, ImportView
from config.viewsets import ObjectDetailView, ObjectEditView, ObjectListView, add_errors, positive_int, redirect_back
from scope.choices import Cadence

from . import disputes, evidence, services
from .choices import DisputeSide, Severity
from .digest import preview_digest, render_digest
from .filtersets import FlagFilterSet, PilotFilterSet
from .forms import (
    DigestPreferenceForm,
    FlagAcknowledgeForm,
    MeasurementEntryForm,
    PilotCreateForm,
    PilotEditForm,
    PilotMetricFormSet,
    action_form,
)
from .gate import expansion_gate, metric_proofs, pilots_ready_to_expand
from .imports import MeasurementImportFlow, template_response
from .lifecycle import LIFECYCLE, NOT_STARTED, RECORDABLE, UNDER_WAY
from .models import DigestPreference, Flag, MeasurementImport, Pilot
from .periods import last_complete_period
from .selectors import (
    decisions_due,
    expiring_certifications,
    metric_overviews,
    portfolio_counts,
    stage_comparison,
)
from .tables import FlagTable, PilotTable


def open_flag_count(severity: str) -> Coalesce:
    flags = (
        Flag.objects.open()
        .filter(pilot=OuterRef("pk"), severity=severity)
        .order_by()
        .values("pilot")
        .annotate(n=Count("*"))
        .values("n")
    )
    # No open flag counts as zero, so "worst flag first" puts pilots without flags last.
    return Coalesce(Subquery(flags, output_field=IntegerField()), 0)


def pilots_with_flag_counts():
    return Pilot.objects.annotate(
        open_critical=open_flag_count(Severity.CRITICAL), open_warning=open_flag_count(Severity.WARNING)
    )


DASHBOARD_ROWS = 12

# --- Dashboard --------------------------------------------------------------------------------


@login_required
@require_GET
def dashboard(request):
    if not request.user.has_perm("pilots.view_pilot"):
        return render(request, "pilots/no_access.html", status=403)
    today = timezone.localdate()
    under_way = (
        pilots_with_flag_counts()
        .filter(status__in=UNDER_WAY)
        .select_related("provider", "owner")
        .order_by("-open_critical", "-open_warning", "ends_on", "name")[:DASHBOARD_ROWS]
    )
    context = {
        "under_way": under_way,
        "counts": portfolio_counts(today=today),
        "due": decisions_due(today=today)[:DASHBOARD_ROWS],
        "ready": pilots_ready_to_expand(today=today)[:DASHBOARD_ROWS],
        "certifications": expiring_certifications(today=today)[:DASHBOARD_ROWS],
        "today": today,
        "under_way_query": "&".join(f"status={status}" for status in UNDER_WAY),
    }
    return render(request, "pilots/dashboard.html", context)


# --- Pilots -----------------------------------------------------------------------------------


class PilotListView(ObjectListView):
    model = Pilot
    table_class = PilotTable
    filterset_class = PilotFilterSet
    add_url_name = "pilots:pilot-add"

    def get_queryset(self):
        return pilots_with_flag_counts().select_related("provider", "owner").prefetch_related("work_items")


class PilotDetailView(ObjectDetailView):
    model = Pilot

    def get_queryset(self):
        return Pilot.objects.select_related("provider", "owner", "parent").prefetch_related("work_items")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        pilot, user = self.object, self.request.user
        can_change = user.has_perm("pilots.change_pilot")
        flags = pilot.flags.select_related("metric", "acknowledged_by").order_by("resolved_at", "-opened_at")
        context.update(
            overviews=metric_overviews(pilot),
            stage_charts=stage_comparison(pilot),
            gate=expansion_gate(pilot),
            open_flags=[f for f in flags if f.resolved_at is None],
            resolved_flags=[f for f in flags if f.resolved_at is not None][:20],
            decisions=pilot.decisions.select_related("decided_by"),
            next_stages=pilot.next_stages.all(),
            actions=[(t.action, t.label) for t in LIFECYCLE.available(pilot.status)] if can_change else [],
            can_change=can_change,
            not_started=pilot.status in NOT_STARTED,
            can_measure=user.has_perm("pilots.add_measurement") and pilot.status in RECORDABLE,
            history=pilot.history.select_related("history_user")[:20],
            imports=pilot.imports.filter(status=MeasurementImport.Status.APPLIED).select_related(
                "uploaded_by", "submitted_by"
            )[:10],
            evidence_rows=disputes.evidence_rows(pilot, side=DisputeSide.BUYER, url_for=buyer_dispute_url),
            evidence_can_act=user.has_perm("pilots.add_dispute"),
            disputes=disputes.recent_disputes(pilot),
        )
        return context


def buyer_dispute_url(action: str, pk: int) -> str:
    if action == "dispute":
        return reverse("pilots:measurement-dispute", args=[pk])
    return reverse("pilots:dispute-action", kwargs={"pk": pk, "action": action})


class PilotCreateView(PermissionRequiredMixin, FormView):
    permission_required = "pilots.add_pilot"
    form_class = PilotCreateForm
    template_name = "generic/object_form.html"

    def get_initial(self):
        initial = {"owner": self.request.user, "starts_on": timezone.localdate(), "volume_share": 10}
        if self.request.GET.get("work_items"):
            initial["work_items"] = self.request.GET.getlist("work_items")
        if positive_int(self.request.GET.get("provider")):
            initial["provider"] = self.request.GET["provider"]
        return initial

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            pilot = services.pilot_plan_from(data, by=self.request.user)
        except ValidationError as error:
            add_errors(form, error)
            return self.form_invalid(form)
        except IntegrityError:
            # The unique name: a double submit whose first request saved a moment ago is that
            # pilot, not a new one; anyone else's pilot of that name is named on the field.
            twin = Pilot.objects.filter(name=data["name"]).first()
            if twin and twin.history.filter(history_type="+", history_user=self.request.user).exists():
                messages.info(self.request, "This pilot was saved already.")
                return redirect(twin)
            form.add_error("name", "A pilot with this name exists already.")
            return self.form_invalid(form)
        messages.success(self.request, "Pilot planned. Check its metrics and targets, then start it.")
        return redirect(pilot)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "view_model_name": "pilot",
            "cancel_url": reverse("pilots:pilot-list"),
            "form_title": "Plan a pilot",
            "form_intro": "Start small: one or two work items, a share of the volume and targets agreed up front.",
        }


class PilotEditView(ObjectEditView):
    model = Pilot
    form_class = PilotEditForm

    def get_formsets(self):
        # Targets are agreed before the start and frozen after it.
        if self.object and self.object.status in NOT_STARTED:
            self.formset_classes = {"metrics": PilotMetricFormSet}
        else:
            self.formset_classes = {}
        return super().get_formsets()


class PilotActionView(PermissionRequiredMixin, View):
    """A lifecycle action: a form for the ones that need input, a confirmation for the others."""

    permission_required = "pilots.change_pilot"

    def dispatch(self, request, *args, **kwargs):
        if kwargs["action"] not in LIFECYCLE:
            raise Http404("No such action.")
        return super().dispatch(request, *args, **kwargs)

    @staticmethod
    def gate_for(pilot, action: str):
        """The gate's answer where the action decides on the evidence (the form and the page share it)."""
        return expansion_gate(pilot) if action in {"decide", "expand"} else None

    def get(self, request, pk: int, action: str):
        pilot = get_object_or_404(Pilot.objects.select_related("provider"), pk=pk)
        gate = self.gate_for(pilot, action)
        return self.render(pilot, action, action_form(action, pilot, user=request.user, gate=gate), gate)

    def post(self, request, pk: int, action: str):
        pilot = get_object_or_404(Pilot.objects.select_related("provider"), pk=pk)
        gate = self.gate_for(pilot, action)
        form = action_form(action, pilot, request.POST, user=request.user, gate=gate)
        if form.is_valid():
            try:
                result = services.pilot_perform(action=action, pilot=pilot, by=request.user, data=form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, result)
                if action == "expand":
                    return redirect(pilot.next_stages.order_by("-pk").first())
                return redirect(pilot)
        return self.render(pilot, action, form, gate, status=400)

    def render(self, pilot, action, form, gate, status=200):
        shows_evidence = gate is not None
        context = {
            "pilot": pilot,
            "action": action,
            "action_label": LIFECYCLE[action].label,
            "form": form,
            "allowed": LIFECYCLE.allows(action, pilot.status),
            "gate": gate,
            "proofs": metric_proofs(pilot) if shows_evidence else None,
            "open_flags": pilot.flags.open().select_related("metric").order_by("severity", "kind")
            if shows_evidence
            else None,
            "is_owner": pilot.owner_id == self.request.user.pk,
        }
        return render(self.request, "pilots/pilot_action.html", context, status=status)


class MeasurementEntryView(PermissionRequiredMixin, View):
    """Enter one period's measurements for every metric of a pilot at once."""

    permission_required = "pilots.add_measurement"

    def get(self, request, pk: int):
        pilot = get_object_or_404(Pilot, pk=pk)
        return self.render(pilot, period_entry_form(request, pilot, pilot.metrics.all()))

    def post(self, request, pk: int):
        pilot = get_object_or_404(Pilot, pk=pk)
        form = period_entry_form(request, pilot, pilot.metrics.all())
        saved, corrections = record_period_form(request, form, pilot, by=request.user)
        if corrections:
            return self.render(pilot, form, status=409, corrections=corrections)
        if saved is None:
            return self.render(pilot, form, status=400)
        messages.success(request, f"{saved} measurement{'s' if saved != 1 else ''} recorded.")
        return redirect(pilot)

    def render(self, pilot, form, status=200, corrections=()):
        context = {"pilot": pilot, "form": form, "corrections": corrections}
        return render(self.request, "pilots/measurement_form.html", context, status=status)


def record_period_form(request, form, pilot, **who) -> tuple[int | None, list]:
    """A period form's values recorded, for the editors' page and the provider's link alike: the
    number recorded, or None with the form's errors added; or the corrections to confirm first
    (values for a recorded period replace nothing until the person has seen the old ones)."""
    if not form.is_valid():
        return None, []
    try:
        saved = evidence.measurements_record_period(
            pilot=pilot,
            period=form.cleaned_data["period"],
            entries=form.entries(),
            confirmed=set(request.POST.getlist("confirm")),
            **who,
        )
    except ValidationError as error:
        add_errors(form, error)
        return None, []
    except evidence.CorrectionsToConfirm as pending:
        return None, pending.corrections
    return saved, []


def default_period() -> datetime.date:
    """Last week: the period most often being reported."""
    return last_complete_period(timezone.localdate(), Cadence.WEEKLY)


def period_entry_form(request, pilot, metrics) -> MeasurementEntryForm:
    """The period form of the editors' page and the provider's link: bound on POST; on GET for the
    period a link asked for (`?period=`, e.g. a missing one) or last week; with each metric's last
    value and missing periods beside its inputs (as the pilot page's metric cards show them)."""
    metrics = list(metrics)
    if request.method == "POST":
        form = MeasurementEntryForm(request.POST, metrics=metrics)
    else:
        asked = forms.DateField().clean  # the same parsing as the form's own field
        try:
            period = asked(request.GET.get("period")) or default_period()
        except ValidationError:
            period = default_period()
        form = MeasurementEntryForm(metrics=metrics, initial={"period": period})
    form.status = {overview.metric.pk: overview for overview in metric_overviews(pilot)}
    return form


# --- Flags ------------------------------------------------------------------------------------


class FlagListView(ObjectListView):
    model = Flag
    table_class = FlagTable
    filterset_class = FlagFilterSet
    title = "Flags"
    template_name = "pilots/flag_list.html"

    def get_table_kwargs(self):
        # Only those who may acknowledge get the tick boxes; exports never have them.
        can_acknowledge = self.request.user.has_perm("pilots.change_flag")
        return {**super().get_table_kwargs(), "exclude": () if can_acknowledge else ("select",)}

    def get_queryset(self):
        return Flag.objects.select_related("pilot__provider", "metric", "acknowledged_by")

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        data = kwargs["data"]
        # What needs attention, unless asked otherwise ("Open and resolved" sends an empty state):
        # also while sorting, paging or exporting, whose links carry no state.
        if data is None or "state" not in data:
            data = data.copy() if data is not None else QueryDict(mutable=True)
            data["state"] = "open"
            kwargs["data"] = data
        return kwargs


class FlagAcknowledgeView(PermissionRequiredMixin, View):
    """Acknowledge flags, with an optional note: one from its row (`pk` in the URL, htmx swaps the
    cell) or the ones ticked on the flag list. A refused form is shown again with its errors and
    what was typed, never lost in a redirect."""

    permission_required = "pilots.change_flag"
    http_method_names = ["post"]

    def post(self, request, pk: int | None = None):
        data = request.POST.copy()
        if pk is not None:
            get_object_or_404(Flag, pk=pk)
            data.setlist("flag", [str(pk)])
        form = FlagAcknowledgeForm(data)
        if not form.is_valid():
            context = {"form": form, "next": data.get("next", "")}
            return render(request, "pilots/flag_acknowledge.html", context, status=400)
        flags = form.cleaned_data["flag"]
        count = evidence.flags_acknowledge(
            flag_ids=[flag.pk for flag in flags], by=request.user, note=form.cleaned_data["note"]
        )
        if request.htmx and pk is not None:
            flag = Flag.objects.select_related("acknowledged_by").get(pk=pk)
            return HttpResponse(render_to_string("pilots/includes/flag_state.html", {"record": flag}, request))
        earlier = len(flags) - count
        text = f"{count} flag{'s' if count != 1 else ''} acknowledged."
        if earlier:
            left = "is left as it was" if earlier == 1 else "are left as they were"
            text += f" {earlier} had been acknowledged or resolved already and {left}."
        messages.success(request, text)
        fallback = flags[0].pilot.get_absolute_url() if pk is not None else reverse("pilots:flag-list")
        return redirect_back(request, data.get("next"), fallback)


# --- Digest -----------------------------------------------------------------------------------


@login_required
def digest_settings(request):
    """Each person's own weekly digest settings, with a preview of this week's email."""
    preference, _ = DigestPreference.objects.get_or_create(user=request.user)
    form = DigestPreferenceForm(request.POST if request.method == "POST" else None, instance=preference)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your digest settings are saved.")
        return redirect("pilots:digest-settings")
    return render(request, "pilots/digest_settings.html", {"form": form, "preference": preference})


@login_required
@require_GET
def digest_preview(request, user_id: int):
    """This week's digest for any person, as an administrator would check it (or your own)."""
    if not (request.user.is_staff or request.user.pk == user_id):
        raise PermissionDenied
    person = get_object_or_404(get_user_model(), pk=user_id)
    message = render_digest(preview_digest(person))
    html = message.alternatives[0][0]
    if request.GET.get("format") == "text":
        return HttpResponse(message.body, content_type="text/plain; charset=utf-8")
    return render(request, "pilots/digest_preview.html", {"person": person, "message": message, "html": html})


# --- Imports ----------------------------------------------------------------------------------


class MeasurementImportView(ImportView):
    flow = MeasurementImportFlow()


class MeasurementImportPreviewView(ImportPreviewView):
    flow = MeasurementImportFlow()


class MeasurementImportFileView(ImportFileView):
    flow = MeasurementImportFlow()


@login_required
@require_GET
def measurement_template(request, pk: int):
    """The pilot's spreadsheet template: one row per period so far, one column per metric."""
    if not request.user.has_perm("pilots.view_pilot"):
        raise PermissionDenied
    pilot = get_object_or_404(Pilot, pk=pk)
    file_format = request.GET.get("format", "xlsx")
    if file_format not in {"csv", "xlsx"}:
        return HttpResponseBadRequest("The template comes as csv or xlsx.")
    return template_response(pilot, file_format)
