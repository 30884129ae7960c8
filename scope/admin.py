from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.html import format_html_join

from config.admin import HistoryAdmin, LifecycleAdminMixin, ReadOnlyAdminMixin, RefusalAdminMixin, bulk_action
from config.viewsets import add_errors

from .forms import CriteriaFormSetBase
from .lifecycle import CANDIDATE, WORK_ITEM
from .models import Candidate, EvaluationCriterion, Score, SuccessMetric, WorkItem
from .readiness import readiness_problems
from .services import (
    candidate_add,
    candidate_add_problem,
    candidate_set_status,
    score_check,
    score_record,
    work_item_perform,
    work_item_readiness_kept,
)


class SuccessMetricInline(admin.TabularInline):
    model = SuccessMetric
    extra = 0


class EvaluationCriterionInline(admin.TabularInline):
    model = EvaluationCriterion
    formset = CriteriaFormSetBase
    extra = 0


class CandidateInline(admin.TabularInline):
    """Candidates are added and moved on the sourcing page or in the candidate admin, through the
    sourcing services; here they are listed."""

    model = Candidate
    extra = 0
    fields = ["provider", "status", "notes"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


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
class WorkItemAdmin(RefusalAdminMixin, LifecycleAdminMixin, HistoryAdmin):
    lifecycle = WORK_ITEM
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
    actions = [
        bulk_action("mark_ready", "Mark selected draft work items ready"),
        bulk_action("retire", "Retire selected work items"),
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "description",
                    "kind",
                    "service_line",
                    "service_line_required",
                    "industry",
                    "business_unit",
                    "owner",
                ]
            },
        ),
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

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        work_item_readiness_kept(work_item=form.instance)

    def has_delete_permission(self, request, obj=None):
        """A work item with pilots is kept (retire it instead): its pilots are judged against it."""
        if obj is not None and obj.pilots.exists():
            return False
        return super().has_delete_permission(request, obj)

    def perform(self, request, obj, action, data):
        item = work_item_perform(work_item=obj, action=action, by=request.user)
        return f"{item}: {item.get_status_display().lower()}."


@admin.register(SuccessMetric)
class SuccessMetricAdmin(RefusalAdminMixin, HistoryAdmin):
    list_display = ["name", "work_item", "unit", "direction", "target", "critical", "cadence"]
    list_filter = ["direction", "critical", "cadence"]
    search_fields = ["name", "work_item__title"]
    autocomplete_fields = ["work_item"]
    list_select_related = ["work_item"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        work_item_readiness_kept(work_item=obj.work_item)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        work_item_readiness_kept(work_item=obj.work_item)

    def delete_queryset(self, request, queryset):
        items = {metric.work_item for metric in queryset.select_related("work_item")}
        super().delete_queryset(request, queryset)
        for item in items:
            work_item_readiness_kept(work_item=item)


class ScoreInline(admin.TabularInline):
    """Scores are given by evaluators on the scoring page (through the scoring service); listed here."""

    model = Score
    extra = 0
    fields = ["criterion", "evaluator", "value", "comment", "scored_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Candidate)
class CandidateAdmin(LifecycleAdminMixin, HistoryAdmin):
    lifecycle = CANDIDATE
    list_display = ["provider", "work_item", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["provider__name", "work_item__title"]
    autocomplete_fields = ["work_item", "provider"]
    list_select_related = ["provider", "work_item"]
    inlines = [ScoreInline]
    actions = [
        bulk_action("shortlist", "Shortlist selected candidates"),
        bulk_action("reject", "Reject selected candidates"),
        bulk_action("back_to_long_list", "Move selected candidates back to the long list"),
    ]

    def locked_fields(self, obj) -> list[str]:
        return ["work_item", "provider"]

    def get_form(self, request, obj=None, **kwargs):
        base = super().get_form(request, obj, **kwargs)

        class CandidateForm(base):
            def clean(self):
                data = super().clean()
                if obj is None and data.get("work_item") and data.get("provider"):
                    problem = candidate_add_problem(work_item=data["work_item"], provider=data["provider"])
                    if problem:
                        self.add_error(None, problem)
                return data

        return CandidateForm

    def save_model(self, request, obj, form, change):
        """A new candidate goes on the long list through `candidate_add`."""
        if change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        candidate = candidate_add(
            work_item=data["work_item"], provider=data["provider"], notes=data.get("notes", ""), by=request.user
        )
        obj.pk, obj._state.adding = candidate.pk, False
        obj.refresh_from_db()
        return None

    def perform(self, request, obj, action, data):
        candidate = candidate_set_status(candidate=obj, status=CANDIDATE[action].target, by=request.user)
        return f"{candidate.provider}: {candidate.get_status_display().lower()}."


@admin.register(EvaluationCriterion)
class EvaluationCriterionAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    """Read-only here: a work item's criteria are edited together, as a set whose weights total 100,
    on the work item (in the browser or its admin page)."""

    list_display = ["name", "work_item", "weight", "basis"]
    list_filter = ["basis"]
    search_fields = ["name", "work_item__title"]
    list_select_related = ["work_item"]


@admin.register(Score)
class ScoreAdmin(HistoryAdmin):
    """Scores go through the scoring service: manual criteria only, 1–5, eligible candidates."""

    list_display = ["candidate", "criterion", "evaluator", "value", "scored_at"]
    list_filter = ["value", "criterion__name"]
    search_fields = ["candidate__provider__name", "candidate__work_item__title", "evaluator__username"]
    autocomplete_fields = ["candidate", "criterion", "evaluator"]
    list_select_related = ["candidate__provider", "candidate__work_item", "criterion", "evaluator"]

    def get_readonly_fields(self, request, obj=None):
        return ["candidate", "criterion", "evaluator"] if obj is not None else []

    def get_form(self, request, obj=None, **kwargs):
        base = super().get_form(request, obj, **kwargs)

        class ScoreForm(base):
            def clean(self):
                data = super().clean()
                candidate = data.get("candidate") or (obj.candidate if obj else None)
                criterion = data.get("criterion") or (obj.criterion if obj else None)
                evaluator = data.get("evaluator") or (obj.evaluator if obj else None)
                if candidate and criterion and evaluator:
                    try:
                        score_check(candidate=candidate, criterion=criterion)
                    except ValidationError as error:
                        add_errors(self, error)
                return data

        return ScoreForm

    def save_model(self, request, obj, form, change):
        score = score_record(
            candidate=obj.candidate,
            criterion=obj.criterion,
            evaluator=obj.evaluator,
            value=obj.value,
            comment=obj.comment,
        )
        obj.pk, obj._state.adding = score.pk, False
