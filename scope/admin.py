from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html_join
from simple_history.admin import SimpleHistoryAdmin

from .forms import CriteriaFormSetBase
from .models import Candidate, EvaluationCriterion, Score, SuccessMetric, WorkItem
from .readiness import readiness_problems
from .services import work_item_mark_ready


class SuccessMetricInline(admin.TabularInline):
    model = SuccessMetric
    extra = 0


class EvaluationCriterionInline(admin.TabularInline):
    model = EvaluationCriterion
    formset = CriteriaFormSetBase
    extra = 0


class CandidateInline(admin.TabularInline):
    model = Candidate
    extra = 0
    autocomplete_fields = ["provider"]
    show_change_link = True


class ReadinessFilter(admin.SimpleListFilter):
    title = "readiness"
    parameter_name = "ready"

    def lookups(self, request, model_admin):
        return [("yes", "No problems"), ("no", "Has problems")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        # The check is a Python function; evaluate it over the (already filtered) page's items.
        keep = [item.pk for item in queryset if (not readiness_problems(item)) == (self.value() == "yes")]
        return queryset.filter(pk__in=keep)


@admin.register(WorkItem)
class WorkItemAdmin(SimpleHistoryAdmin):
    list_display = [
        "title",
        "kind",
        "status",
        "service_line",
        "industry",
        "data_sensitivity",
        "monthly_volume",
        "volume_unit",
        "readiness",
        "owner",
    ]
    list_filter = [
        "kind",
        "status",
        ReadinessFilter,
        "data_sensitivity",
        "preferred_delivery",
        "service_line",
        "industry",
    ]
    search_fields = ["title", "description", "business_unit"]
    autocomplete_fields = ["service_line", "industry", "owner"]
    filter_horizontal = ["required_certifications", "required_languages"]
    list_select_related = ["service_line", "industry", "owner"]
    readonly_fields = ["readiness_problems_display", "created_at", "updated_at"]
    inlines = [SuccessMetricInline, EvaluationCriterionInline, CandidateInline]
    actions = ["mark_ready"]
    fieldsets = [
        (None, {"fields": ["title", "description", "kind", "service_line", "industry", "business_unit", "owner"]}),
        (
            "Volume and requirements",
            {
                "fields": [
                    "monthly_volume",
                    "volume_unit",
                    "complexity",
                    "data_sensitivity",
                    "required_certifications",
                    "preferred_delivery",
                    "required_languages",
                ]
            },
        ),
        ("Status", {"fields": ["status", "readiness_problems_display", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("success_metrics", "required_certifications")

    @admin.display(description="Readiness")
    def readiness(self, obj):
        count = len(readiness_problems(obj))
        return "Ready to source" if not count else f"{count} problem{'s' if count > 1 else ''}"

    @admin.display(description="Readiness problems")
    def readiness_problems_display(self, obj):
        problems = readiness_problems(obj)
        if not problems:
            return "None: the work item can go to sourcing."
        return format_html_join("", "<p>• {}</p>", ((p,) for p in problems))

    @admin.action(description="Mark selected draft work items ready")
    def mark_ready(self, request, queryset):
        for item in queryset:
            try:
                work_item_mark_ready(work_item=item)
            except ValidationError as exc:
                self.message_user(request, f"{item}: {' '.join(exc.messages)}", messages.ERROR)
            else:
                self.message_user(request, f"{item} is ready for sourcing.", messages.SUCCESS)


@admin.register(SuccessMetric)
class SuccessMetricAdmin(SimpleHistoryAdmin):
    list_display = ["name", "work_item", "unit", "direction", "target", "critical", "cadence"]
    list_filter = ["direction", "critical", "cadence"]
    search_fields = ["name", "work_item__title"]
    autocomplete_fields = ["work_item"]
    list_select_related = ["work_item"]


class ScoreInline(admin.TabularInline):
    model = Score
    extra = 0
    autocomplete_fields = ["evaluator"]


@admin.register(Candidate)
class CandidateAdmin(SimpleHistoryAdmin):
    list_display = ["provider", "work_item", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["provider__name", "work_item__title"]
    autocomplete_fields = ["work_item", "provider"]
    list_select_related = ["provider", "work_item"]
    inlines = [ScoreInline]


@admin.register(EvaluationCriterion)
class EvaluationCriterionAdmin(SimpleHistoryAdmin):
    list_display = ["name", "work_item", "weight", "basis"]
    list_filter = ["basis"]
    search_fields = ["name", "work_item__title"]
    autocomplete_fields = ["work_item"]
    list_select_related = ["work_item"]


@admin.register(Score)
class ScoreAdmin(SimpleHistoryAdmin):
    list_display = ["candidate", "criterion", "evaluator", "value", "scored_at"]
    list_filter = ["value", "criterion__name"]
    search_fields = ["candidate__provider__name", "candidate__work_item__title", "evaluator__username"]
    autocomplete_fields = ["candidate", "criterion", "evaluator"]
    list_select_related = ["candidate__provider", "candidate__work_item", "criterion", "evaluator"]
