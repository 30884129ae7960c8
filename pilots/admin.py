from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html

from config.admin import HistoryAdmin, LifecycleAdminMixin, ReadOnlyAdminMixin, RefusalAdminMixin, bulk_action

from . import evidence, services
from .choices import MeasurementSource
from .forms import action_form
from .gate import expansion_gate, metric_proofs
from .lifecycle import LIFECYCLE, NOT_STARTED, RECORDABLE
from .models import (
    Decision,
    DigestDelivery,
    DigestPreference,
    Dispute,
    Flag,
    Measurement,
    MeasurementImport,
    OwnerAlert,
    Pilot,
    PilotMetric,
)


class PilotMetricInline(admin.TabularInline):
    """Metrics are editable while the pilot is planned and frozen once it runs."""

    model = PilotMetric
    extra = 0
    show_change_link = True

    @staticmethod
    def _frozen(obj) -> bool:
        return obj is not None and obj.status not in NOT_STARTED

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


# Fixed once a pilot has started: what it is a pilot of, with whom, when and at what share.
LOCKED_AFTER_START = ["provider", "work_items", "owner", "starts_on", "ends_on", "volume_share", "decision_rule"]


@admin.register(Pilot)
class PilotAdmin(LifecycleAdminMixin, HistoryAdmin):
    lifecycle = LIFECYCLE
    status_fields = ("status", "stage", "parent", "candidate", "provider_status_before")
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
    readonly_fields = ["created_at", "updated_at"]
    inlines = [PilotMetricInline, DecisionInline, FlagInline]
    actions = [
        bulk_action("start", "Start selected pilots"),
        bulk_action("pause", "Pause selected pilots"),
        bulk_action("resume", "Resume selected pilots"),
        bulk_action("submit_for_review", "Submit selected pilots for review"),
        bulk_action("close", "Close selected pilots"),
    ]

    def locked_fields(self, obj) -> list[str]:
        return LOCKED_AFTER_START if obj.status not in NOT_STARTED else []

    def locked_message(self, obj, labels):
        if obj.status in NOT_STARTED:
            return super().locked_message(obj, labels)
        return f"Not changed: '{obj}' has started, so its {', '.join(labels)} stay as planned and agreed."

    def has_delete_permission(self, request, obj=None):
        """Only a pilot that never started may be deleted; a started one is closed through its actions."""
        if obj is not None and obj.status not in NOT_STARTED:
            return False
        return super().has_delete_permission(request, obj)

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
            """The planning rules of `pilot_create`: one or two pilotable work items, a provider that
            is not blocked, and a reason when it is not the selected candidate."""

            def clean(self):
                data = super().clean()
                if "provider" not in self.fields:  # started: provider and work items are locked
                    return data
                items = list(data.get("work_items") or [])
                provider = data.get("provider")
                problems = services.pilot_plan_problems(provider=provider, work_items=items)
                if provider is not None and items and not problems:
                    _candidate, unselected = services.selection_for(provider=provider, work_items=items)
                    if unselected and not (data.get("sourcing_note") or "").strip():
                        problems["sourcing_note"] = unselected
                for field, message in problems.items():
                    self.add_error(field if field in self.fields else None, message)
                return data

        return PilotForm

    def save_model(self, request, obj, form, change):
        """A new pilot is planned through `pilot_create`, like one planned in the browser."""
        if change:
            super().save_model(request, obj, form, change)
            if {"provider", "work_items"} & set(form.changed_data):
                # The plan changed before the start: the selected candidate it rests on follows.
                candidate, _ = services.selection_for(
                    provider=obj.provider, work_items=list(form.cleaned_data["work_items"])
                )
                Pilot.objects.filter(pk=obj.pk).update(candidate=candidate)
            return None
        data = form.cleaned_data
        pilot = services.pilot_plan_from(data, by=request.user)
        obj.pk, obj._state.adding = pilot.pk, False
        obj.refresh_from_db()
        return None

    def change_view(self, request, object_id, form_url="", extra_context=None):
        pilot = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if pilot is not None:
            extra_context["gate"] = expansion_gate(pilot)
        return super().change_view(request, object_id, form_url, extra_context)

    def lifecycle_form(self, request, obj, action, data=None):
        return action_form(action, obj, data, user=request.user)

    def action_context(self, request, obj, action):
        if action in {"decide", "expand"}:
            return {"gate": expansion_gate(obj), "proofs": metric_proofs(obj)}
        return {}

    def perform(self, request, obj, action, data):
        return services.pilot_perform(action=action, pilot=obj, by=request.user, data=data)


class MeasurementInline(admin.TabularInline):
    model = Measurement
    extra = 0
    fields = ["period_start", "value", "sample_size", "source", "note", "recorded_by", "recorded_at"]
    readonly_fields = ["recorded_by", "recorded_at"]


@admin.register(PilotMetric)
class PilotMetricAdmin(HistoryAdmin):
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
        if obj is not None and obj.pilot.status not in NOT_STARTED:
            return [f.name for f in PilotMetric._meta.fields if f.name != "id"]
        return super().get_readonly_fields(request, obj)

    def has_delete_permission(self, request, obj=None):
        """A started pilot's metrics are what it is judged on: they stay."""
        if obj is not None and obj.pilot.status not in NOT_STARTED:
            return False
        return super().has_delete_permission(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        base = super().get_form(request, obj, **kwargs)

        class PilotMetricForm(base):
            def clean(self):
                data = super().clean()
                pilot = data.get("pilot")
                if obj is None and pilot is not None and pilot.status not in NOT_STARTED:
                    raise ValidationError(
                        f"The metrics of '{pilot}' are frozen since it started; targets agreed up front stay as agreed."
                    )
                return data

        return PilotMetricForm

    def save_formset(self, request, form, formset, change):
        """Measurements go through the recording service: period rules, corrections kept in history."""
        for inline_form in formset.deleted_forms:
            if inline_form.instance.pk:
                inline_form.instance.delete()
                evidence.evaluate_on_commit(pilot_id=form.instance.pilot_id)
        for inline_form in formset.forms:
            if inline_form in formset.deleted_forms or not inline_form.has_changed():
                continue
            data = inline_form.cleaned_data
            try:
                evidence.measurement_record(
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
        # What the admin's change message reads; the rows were written by the service above.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


@admin.register(Measurement)
class MeasurementAdmin(RefusalAdminMixin, HistoryAdmin):
    list_display = ["metric", "pilot", "period_start", "value", "sample_size", "source", "recorded_by"]
    list_filter = ["source", "period_start"]
    search_fields = ["metric__name", "metric__pilot__name"]
    autocomplete_fields = ["metric"]
    list_select_related = ["metric__pilot", "recorded_by"]
    date_hierarchy = "period_start"

    def get_readonly_fields(self, request, obj=None):
        # A correction edits the value of its period; another period is another measurement.
        fixed = ["metric", "period_start"] if obj is not None else []
        return [*fixed, "recorded_by", "submitted_by", "recorded_at"]

    def has_delete_permission(self, request, obj=None):
        """Evidence is removed only while its pilot is under way, as it is recorded then."""
        if obj is not None and obj.metric.pilot.status not in RECORDABLE:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        pilot_id = obj.metric.pilot_id
        super().delete_model(request, obj)
        evidence.evaluate_on_commit(pilot_id=pilot_id)

    def delete_queryset(self, request, queryset):
        if queryset.exclude(metric__pilot__status__in=RECORDABLE).exists():
            raise ValidationError("Evidence of a pilot that is not under way is kept: nothing was deleted.")
        pilot_ids = set(queryset.values_list("metric__pilot_id", flat=True))
        super().delete_queryset(request, queryset)
        for pilot_id in pilot_ids:
            evidence.evaluate_on_commit(pilot_id=pilot_id)

    @admin.display(description="Pilot", ordering="metric__pilot__name")
    def pilot(self, obj):
        return obj.metric.pilot

    def get_form(self, request, obj=None, **kwargs):
        base = super().get_form(request, obj, **kwargs)

        class MeasurementForm(base):
            def clean(self):
                data = super().clean()
                if data.get("source") == MeasurementSource.PROVIDER:
                    # A provider's figure is one its contact sent through the link; an administrator's is not.
                    self.add_error("source", "Only the provider's link records provider figures.")
                metric = data.get("metric") or (obj.metric if obj else None)
                period = data.get("period_start") or (obj.period_start if obj else None)
                if metric and period:
                    problems = evidence.measurement_problems(metric=metric, period=period)
                    for field, message in problems.items():
                        self.add_error(field if field in self.fields else None, message)
                return data

        return MeasurementForm

    def save_model(self, request, obj, form, change):
        """Through the recording service, so the period is normalised and who recorded it is kept."""
        measurement, _ = evidence.measurement_record(
            metric=obj.metric,
            period=obj.period_start,
            value=obj.value,
            by=request.user,
            sample_size=obj.sample_size,
            note=obj.note,
            source=obj.source,
        )
        obj.pk = measurement.pk


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    """Disputes are raised, corrected and withdrawn by the two sides on the pilot's page and through
    the provider's link; here they are read."""

    list_display = ["measurement", "side", "status", "raised_at", "resolved_at"]
    list_filter = ["status", "side"]
    search_fields = ["reason", "measurement__metric__name", "measurement__metric__pilot__name"]
    list_select_related = ["measurement__metric"]
    readonly_fields = [f.name for f in Dispute._meta.fields if f.name != "id"]


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
class FlagAdmin(HistoryAdmin):
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
        "acknowledgement_note",
        "owner_notified_at",
    ]
    actions = ["acknowledge_selected"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the evaluation resolves flags; deleting one would open a gate behind its back

    @admin.action(description="Acknowledge selected flags", permissions=["change"])
    def acknowledge_selected(self, request, queryset):
        count = evidence.flags_acknowledge(flag_ids=list(queryset.values_list("pk", flat=True)), by=request.user)
        self.message_user(request, f"{count} flag{'s' if count != 1 else ''} acknowledged.", messages.SUCCESS)


@admin.register(Decision)
class DecisionAdmin(HistoryAdmin):
    """Decisions are recorded from the pilot with the "Record decision" action."""

    list_display = ["pilot", "outcome", "decided_by", "decided_at"]
    list_filter = ["outcome"]
    search_fields = ["pilot__name", "rationale"]
    list_select_related = ["pilot", "decided_by"]
    readonly_fields = ["pilot", "outcome", "rationale", "decided_by", "decided_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # decisions are the audit record


@admin.register(DigestPreference)
class DigestPreferenceAdmin(HistoryAdmin):
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


@admin.register(OwnerAlert)
class OwnerAlertAdmin(admin.ModelAdmin):
    """The outbox of critical-flag emails to pilot owners; read-only, written by the evaluation and
    the sending sweep. One that stays pending after many attempts shows its last error here."""

    list_display = ["owner", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status"]
    search_fields = ["owner__username", "owner__email", "last_error"]
    list_select_related = ["owner"]
    readonly_fields = ["owner", "status", "created_at", "claimed_at", "sent_at", "attempts", "last_error"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MeasurementImport)
class MeasurementImportAdmin(admin.ModelAdmin):
    """Spreadsheet imports of measurements: who applied which file when; applied through the pilot's page."""

    list_display = ["file_name", "pilot", "status", "uploader_name", "uploaded_at", "new_count", "corrected_count"]
    list_filter = ["status"]
    search_fields = ["file_name", "pilot__name"]
    list_select_related = ["pilot", "uploaded_by", "submitted_by"]
    readonly_fields = [
        "status",
        "uploaded_by",
        "submitted_by",
        "uploaded_at",
        "applied_at",
        "new_count",
        "corrected_count",
    ]
