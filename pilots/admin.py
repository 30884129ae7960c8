from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from config.viewsets import add_errors

from . import services
from .choices import PilotStatus
from .forms import action_form
from .models import (
    MAX_WORK_ITEMS_PER_PILOT,
    Decision,
    DigestDelivery,
    DigestPreference,
    Flag,
    Measurement,
    Pilot,
    PilotMetric,
)
from .selectors import ACTION_LABELS, available_actions, gate_status


class PilotMetricInline(admin.TabularInline):
    """Metrics are editable while the pilot is planned and frozen once it runs."""

    model = PilotMetric
    extra = 0
    show_change_link = True

    @staticmethod
    def _frozen(obj) -> bool:
        return obj is not None and obj.status != PilotStatus.PLANNED

    def get_readonly_fields(self, request, obj=None):
        if self._frozen(obj):
            return [f.name for f in PilotMetric._meta.fields if f.name not in {"id", "pilot"}]
        return super().get_readonly_fields(request, obj)

    def has_add_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._frozen(obj) and super().has_delete_permission(request, obj)


class DecisionInline(admin.TabularInline):
    """Decisions are recorded with the "Record decision" action, never typed in here."""

    model = Decision
    extra = 0
    can_delete = False
    fields = ["outcome", "rationale", "decided_by", "decided_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class FlagInline(admin.TabularInline):
    model = Flag
    extra = 0
    can_delete = False
    fields = ["kind", "severity", "metric", "message", "opened_at", "resolved_at", "acknowledged_by"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Pilot)
class PilotAdmin(SimpleHistoryAdmin):
    list_display = [
        "name",
        "provider",
        "status",
        "stage",
        "starts_on",
        "ends_on",
        "volume_share",
        "open_flags",
        "owner",
    ]
    list_filter = ["status", "stage", "starts_on", "ends_on"]
    search_fields = ["name", "provider__name", "work_items__title"]
    autocomplete_fields = ["provider", "work_items", "owner", "parent"]
    list_select_related = ["provider", "owner"]
    date_hierarchy = "ends_on"
    readonly_fields = ["status", "created_at", "updated_at"]
    inlines = [PilotMetricInline, DecisionInline, FlagInline]
    actions = ["start_selected", "pause_selected", "resume_selected", "submit_selected", "close_selected"]
    change_form_template = "admin/pilots/pilot/change_form.html"

    def get_readonly_fields(self, request, obj=None):
        # Status moves only through the lifecycle actions; stages are made by expanding.
        return [*self.readonly_fields, "stage", "parent"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(open_flag_total=Count("flags", filter=Q(flags__resolved_at__isnull=True)))
        )

    @admin.display(description="Open flags", ordering="open_flag_total")
    def open_flags(self, obj):
        return obj.open_flag_total

    def get_form(self, request, obj=None, **kwargs):
        base = super().get_form(request, obj, **kwargs)

        class PilotForm(base):
            def clean(self):
                data = super().clean()
                items = list(data.get("work_items") or [])
                if obj is None:
                    problems = services.pilot_plan_problems(provider=data.get("provider"), work_items=items)
                elif len(items) > MAX_WORK_ITEMS_PER_PILOT:
                    problems = {"work_items": "A pilot covers one or two work items."}
                else:
                    problems = {}
                for field, message in problems.items():
                    self.add_error(field, message)
                return data

        return PilotForm

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change and not form.instance.metrics.exists():
            services.pilot_copy_success_metrics(pilot=form.instance)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        pilot = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if pilot is not None:
            extra_context["gate_reasons"] = gate_status(pilot)
            if self.has_change_permission(request, pilot):
                extra_context["lifecycle_actions"] = [
                    (ACTION_LABELS[action], reverse("admin:pilots_pilot_lifecycle", args=[pilot.pk, action]))
                    for action in available_actions(pilot)
                ]
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            path(
                "<int:object_id>/lifecycle/<str:action>/",
                self.admin_site.admin_view(self.lifecycle_view),
                name="pilots_pilot_lifecycle",
            ),
            *super().get_urls(),
        ]

    def lifecycle_view(self, request, object_id: int, action: str):
        if action not in ACTION_LABELS:
            raise Http404("No such action.")
        pilot = get_object_or_404(Pilot.objects.select_related("provider", "owner"), pk=object_id)
        if not self.has_change_permission(request, pilot):
            raise PermissionDenied
        form = action_form(action, pilot, request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                result = services.pilot_perform(action=action, pilot=pilot, by=request.user, data=form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error)
            else:
                self.message_user(request, result, messages.SUCCESS)
                return redirect("admin:pilots_pilot_change", pilot.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": pilot,
            "form": form,
            "action_label": ACTION_LABELS[action],
            "gate_reasons": gate_status(pilot) if action in {"decide", "expand"} else None,
            "title": f"{ACTION_LABELS[action]}: {pilot}",
        }
        return TemplateResponse(request, "admin/pilots/pilot/lifecycle.html", context)

    def _bulk(self, request, queryset, action: str):
        for pilot in queryset:
            try:
                result = services.pilot_perform(action=action, pilot=pilot, by=request.user, data={})
            except ValidationError as error:
                self.message_user(request, f"{pilot}: {' '.join(error.messages)}", messages.ERROR)
            else:
                self.message_user(request, result, messages.SUCCESS)

    @admin.action(description="Start selected pilots", permissions=["change"])
    def start_selected(self, request, queryset):
        self._bulk(request, queryset, "start")

    @admin.action(description="Pause selected pilots", permissions=["change"])
    def pause_selected(self, request, queryset):
        self._bulk(request, queryset, "pause")

    @admin.action(description="Resume selected pilots", permissions=["change"])
    def resume_selected(self, request, queryset):
        self._bulk(request, queryset, "resume")

    @admin.action(description="Submit selected pilots for review", permissions=["change"])
    def submit_selected(self, request, queryset):
        self._bulk(request, queryset, "submit_for_review")

    @admin.action(description="Close selected pilots", permissions=["change"])
    def close_selected(self, request, queryset):
        self._bulk(request, queryset, "close")


class MeasurementInline(admin.TabularInline):
    model = Measurement
    extra = 0
    fields = ["period_start", "value", "sample_size", "source", "note", "recorded_by", "recorded_at"]
    readonly_fields = ["recorded_by", "recorded_at"]


@admin.register(PilotMetric)
class PilotMetricAdmin(SimpleHistoryAdmin):
    list_display = [
        "name",
        "pilot",
        "unit",
        "direction",
        "target",
        "warning_margin",
        "critical",
        "cadence",
        "min_samples",
    ]
    list_filter = ["direction", "critical", "cadence"]
    search_fields = ["name", "pilot__name"]
    autocomplete_fields = ["pilot"]
    list_select_related = ["pilot"]
    inlines = [MeasurementInline]

    def get_readonly_fields(self, request, obj=None):
        # A running pilot's targets are frozen; its measurements are still entered below.
        if obj is not None and obj.pilot.status != PilotStatus.PLANNED:
            return [f.name for f in PilotMetric._meta.fields if f.name != "id"]
        return super().get_readonly_fields(request, obj)

    def save_formset(self, request, form, formset, change):
        """Measurements go through the recording service: period rules, corrections kept in history."""
        for inline_form in formset.deleted_forms:
            if inline_form.instance.pk:
                inline_form.instance.delete()
        for inline_form in formset.forms:
            if inline_form in formset.deleted_forms or not inline_form.has_changed():
                continue
            data = inline_form.cleaned_data
            try:
                services.measurement_record(
                    metric=form.instance,
                    period=data["period_start"],
                    value=data["value"],
                    by=request.user,
                    sample_size=data.get("sample_size"),
                    note=data.get("note", ""),
                    source=data["source"],
                )
            except ValidationError as error:
                self.message_user(request, f"{data['period_start']}: {' '.join(error.messages)}", messages.ERROR)


@admin.register(Measurement)
class MeasurementAdmin(SimpleHistoryAdmin):
    list_display = ["metric", "pilot", "period_start", "value", "sample_size", "source", "recorded_by"]
    list_filter = ["source", "period_start"]
    search_fields = ["metric__name", "metric__pilot__name"]
    autocomplete_fields = ["metric"]
    list_select_related = ["metric__pilot", "recorded_by"]
    date_hierarchy = "period_start"
    readonly_fields = ["recorded_by", "recorded_at"]

    @admin.display(description="Pilot", ordering="metric__pilot__name")
    def pilot(self, obj):
        return obj.metric.pilot

    def get_form(self, request, obj=None, **kwargs):
        base = super().get_form(request, obj, **kwargs)

        class MeasurementForm(base):
            def clean(self):
                data = super().clean()
                if data.get("metric") and data.get("period_start"):
                    problems = services.measurement_problems(metric=data["metric"], period=data["period_start"])
                    for field, message in problems.items():
                        self.add_error(field if field in self.fields else None, message)
                return data

        return MeasurementForm

    def save_model(self, request, obj, form, change):
        """Through the recording service, so the period is normalised and who recorded it is kept."""
        measurement, _ = services.measurement_record(
            metric=obj.metric,
            period=obj.period_start,
            value=obj.value,
            by=request.user,
            sample_size=obj.sample_size,
            note=obj.note,
            source=obj.source,
        )
        obj.pk = measurement.pk


class OpenFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("resolved", "Resolved")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "resolved":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(Flag)
class FlagAdmin(SimpleHistoryAdmin):
    """Flags are raised and resolved by the evaluation job; people acknowledge them."""

    list_display = [
        "kind",
        "severity",
        "pilot",
        "metric",
        "opened_at",
        "last_seen_at",
        "resolved_at",
        "acknowledged_by",
    ]
    list_filter = [OpenFilter, "kind", "severity"]
    search_fields = ["message", "pilot__name", "metric__name"]
    list_select_related = ["pilot", "metric", "acknowledged_by"]
    date_hierarchy = "opened_at"
    readonly_fields = [
        "pilot",
        "metric",
        "kind",
        "severity",
        "message",
        "opened_at",
        "last_seen_at",
        "resolved_at",
        "acknowledged_by",
        "acknowledged_at",
        "owner_notified_at",
    ]
    actions = ["acknowledge_selected"]

    @admin.action(description="Acknowledge selected flags", permissions=["change"])
    def acknowledge_selected(self, request, queryset):
        count = sum(1 for flag in queryset if services.flag_acknowledge(flag=flag, by=request.user))
        self.message_user(request, f"{count} flag{'s' if count != 1 else ''} acknowledged.", messages.SUCCESS)


@admin.register(Decision)
class DecisionAdmin(SimpleHistoryAdmin):
    """Decisions are recorded from the pilot with the "Record decision" action."""

    list_display = ["pilot", "outcome", "decided_by", "decided_at"]
    list_filter = ["outcome"]
    search_fields = ["pilot__name", "rationale"]
    list_select_related = ["pilot", "decided_by"]
    readonly_fields = ["pilot", "outcome", "rationale", "decided_by", "decided_at"]

    def has_add_permission(self, request):
        return False


@admin.register(DigestPreference)
class DigestPreferenceAdmin(SimpleHistoryAdmin):
    list_display = ["user", "weekly_digest", "skip_when_all_clear", "preview"]
    list_filter = ["weekly_digest", "skip_when_all_clear"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]
    list_select_related = ["user"]

    @admin.display(description="This week")
    def preview(self, obj):
        return format_html('<a href="{}">Preview digest</a>', reverse("pilots:digest-preview", args=[obj.user_id]))


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(admin.ModelAdmin):
    """The exactly-once record of each weekly digest; read-only, written by the sending job."""

    list_display = ["user", "week_start", "status", "attempts", "claimed_at", "sent_at", "preview"]
    list_filter = ["status", "week_start"]
    search_fields = ["user__username", "user__email", "last_error"]
    list_select_related = ["user"]
    date_hierarchy = "week_start"
    readonly_fields = ["user", "week_start", "status", "claimed_at", "sent_at", "attempts", "last_error"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="This week")
    def preview(self, obj):
        return format_html('<a href="{}">Preview digest</a>', reverse("pilots:digest-preview", args=[obj.user_id]))
