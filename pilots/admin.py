from django.contrib import admin
from django.db.models import Count, Q
from simple_history.admin import SimpleHistoryAdmin

from .models import Decision, Flag, Measurement, Pilot, PilotMetric


class PilotMetricInline(admin.TabularInline):
    model = PilotMetric
    extra = 0
    show_change_link = True


class DecisionInline(admin.TabularInline):
    model = Decision
    extra = 0
    autocomplete_fields = ["decided_by"]


class OpenFlagInline(admin.TabularInline):
    model = Flag
    extra = 0
    can_delete = False
    verbose_name_plural = "flags"
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
    readonly_fields = ["created_at", "updated_at"]
    inlines = [PilotMetricInline, DecisionInline, OpenFlagInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(open_flag_total=Count("flags", filter=Q(flags__resolved_at__isnull=True)))
        )

    @admin.display(description="Open flags", ordering="open_flag_total")
    def open_flags(self, obj):
        return obj.open_flag_total


class MeasurementInline(admin.TabularInline):
    model = Measurement
    extra = 0
    fields = ["period_start", "value", "sample_size", "source", "note", "recorded_by", "recorded_at"]
    autocomplete_fields = ["recorded_by"]


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


@admin.register(Measurement)
class MeasurementAdmin(SimpleHistoryAdmin):
    list_display = ["metric", "pilot", "period_start", "value", "sample_size", "source", "recorded_by"]
    list_filter = ["source", "period_start"]
    search_fields = ["metric__name", "metric__pilot__name"]
    autocomplete_fields = ["metric", "recorded_by"]
    list_select_related = ["metric__pilot", "recorded_by"]
    date_hierarchy = "period_start"

    @admin.display(description="Pilot", ordering="metric__pilot__name")
    def pilot(self, obj):
        return obj.metric.pilot


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
    autocomplete_fields = ["pilot", "metric", "acknowledged_by"]
    list_select_related = ["pilot", "metric", "acknowledged_by"]
    date_hierarchy = "opened_at"


@admin.register(Decision)
class DecisionAdmin(SimpleHistoryAdmin):
    list_display = ["pilot", "outcome", "decided_by", "decided_at"]
    list_filter = ["outcome"]
    search_fields = ["pilot__name", "rationale"]
    autocomplete_fields = ["pilot", "decided_by"]
    list_select_related = ["pilot", "decided_by"]
