from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views import View

from config.viewsets import ObjectCreateView, ObjectDetailView, ObjectEditView, ObjectListView

from .filtersets import WorkItemFilterSet
from .forms import SuccessMetricFormSet, WorkItemForm
from .models import WorkItem
from .readiness import readiness_problems
from .services import PILOTABLE_STATUSES, work_item_apply_default_criteria, work_item_mark_ready
from .tables import WorkItemTable


class WorkItemListView(ObjectListView):
    model = WorkItem
    table_class = WorkItemTable
    filterset_class = WorkItemFilterSet
    add_url_name = "scope:workitem-add"

    def get_queryset(self):
        return WorkItem.objects.select_related("service_line", "industry", "owner").prefetch_related(
            "success_metrics", "required_certifications"
        )


class WorkItemDetailView(ObjectDetailView):
    model = WorkItem

    def get_queryset(self):
        return WorkItem.objects.select_related("service_line", "industry", "owner").prefetch_related(
            "success_metrics", "required_certifications", "required_languages"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        item = self.object
        context.update(
            problems=readiness_problems(item),
            pilots=item.pilots.select_related("provider").order_by("-starts_on"),
            history=item.history.select_related("history_user")[:15],
            can_edit=self.request.user.has_perm("scope.change_workitem"),
            can_plan=self.request.user.has_perm("pilots.add_pilot") and item.status in PILOTABLE_STATUSES,
        )
        return context


class WorkItemFormMixin:
    model = WorkItem
    form_class = WorkItemForm
    formset_classes = {"metrics": SuccessMetricFormSet}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "cancel_url": reverse("scope:workitem-list")}

    def after_save(self, form, formsets):
        work_item_apply_default_criteria(work_item=self.object)


class WorkItemCreateView(WorkItemFormMixin, ObjectCreateView):
    success_message = "Work item created. Its readiness check is below."

    def get_initial(self):
        return {"owner": self.request.user}


class WorkItemEditView(WorkItemFormMixin, ObjectEditView):
    success_message = "Work item saved."


class WorkItemMarkReadyView(PermissionRequiredMixin, View):
    permission_required = "scope.change_workitem"
    http_method_names = ["post"]

    def post(self, request, pk: int):
        item = get_object_or_404(WorkItem, pk=pk)
        try:
            work_item_mark_ready(work_item=item)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, f"'{item}' is ready for sourcing.")
        return redirect(item)
