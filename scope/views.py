import datetime
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from config import versions
from config.viewsets import (
    LifecycleActionView,
    ObjectCreateView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    add_errors,
    positive_int,
    redirect_back,
    unique_rule_message,
)
from vendors.models import Provider, ProviderCertification

from .choices import CandidateStatus
from .filtersets import WorkItemFilterSet
from .forms import CriteriaFormSet, ScoreForm, SuccessMetricFormSet, WorkItemForm, suggested_metric_formset
from .lifecycle import CANDIDATE, GATED_MOVES, PILOTABLE, SOURCEABLE, WORK_ITEM
from .models import Candidate, EvaluationCriterion, WorkItem
from .readiness import readiness_problems
from .selectors import default_valid_through, gate_problems_by_provider, rank_providers
from .services import (
    candidate_add,
    candidate_set_status,
    criteria_check_total,
    criteria_removal_problem,
    score_record,
    work_item_apply_default_criteria,
    work_item_mark_ready,
    work_item_perform,
    work_item_readiness_kept,
)
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
            can_plan=self.request.user.has_perm("pilots.add_pilot") and item.status in PILOTABLE,
            can_source=item.status in SOURCEABLE,
            actions=WORK_ITEM.available(item.status) if self.request.user.has_perm("scope.change_workitem") else [],
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
        work_item_readiness_kept(work_item=self.object)


class WorkItemCreateView(WorkItemFormMixin, ObjectCreateView):
    success_message = "Work item created. Its readiness check is below."

    def kind(self) -> str:
        source = self.request.POST if self.request.method == "POST" else self.request.GET
        return source.get("kind") if source.get("kind") in {"process", "knowledge"} else "process"

    def get_initial(self):
        return {"owner": self.request.user, "kind": self.kind()}

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        # Changing the kind reloads the suggested metrics for that kind of work.
        form.fields["kind"].widget.attrs.update(
            {
                "hx-get": reverse("scope:workitem-add"),
                "hx-target": "#formset-metrics",
                "hx-select": "#formset-metrics",
                "hx-swap": "outerHTML",
            }
        )
        return form

    def get_formsets(self):
        data = self.request.POST if self.request.method == "POST" else None
        return {"metrics": suggested_metric_formset(self.kind(), data=data, instance=getattr(self, "object", None))}


class WorkItemEditView(WorkItemFormMixin, ObjectEditView):
    success_message = "Work item saved."


class WorkItemMarkReadyView(PermissionRequiredMixin, View):
    permission_required = "scope.change_workitem"
    http_method_names = ["post"]

    def post(self, request, pk: int):
        item = get_object_or_404(WorkItem, pk=pk)
        try:
            work_item_mark_ready(work_item=item, by=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, f"'{item}' is ready for sourcing.")
        return redirect(item)


# --- Sourcing ----------------------------------------------------------------------------------

SHOWN = 25  # eligible providers on the page before "Show 50 more"
INELIGIBLE_SHOWN = 50


def _until(params) -> datetime.date:
    """The planned pilot end that certificates must last through (`until=`, default 12 weeks out)."""
    try:
        return datetime.date.fromisoformat(params.get("until", ""))
    except ValueError:
        return default_valid_through()


class SourcingView(PermissionRequiredMixin, View):
    """ "Find providers": everyone who passes the hard gates, ranked by fit, and who fails and why."""

    permission_required = "scope.view_candidate"

    def get(self, request, pk: int):
        item = get_object_or_404(WorkItem.objects.select_related("industry", "service_line"), pk=pk)
        until = _until(request.GET)
        ranking = rank_providers(work_item=item, valid_through=until)
        shown = positive_int(request.GET.get("show"), upper=5000) or SHOWN
        candidates = list(item.candidates.select_related("provider").order_by("status", "provider__name"))
        # Each candidate's hard gates, so an ineligible one shows why before anyone tries to move it.
        reasons = gate_problems_by_provider(
            work_item=item, provider_ids=[c.provider_id for c in candidates], valid_through=until
        )
        for candidate in candidates:
            candidate.gate_problems = reasons.get(candidate.provider_id, [])
            # Selecting happens on the comparison page; an ineligible candidate is not offered a gated move.
            candidate.actions = [
                t
                for t in CANDIDATE.available(candidate.status)
                if t.action != "select" and not (candidate.gate_problems and t.action in GATED_MOVES)
            ]
        return render(
            request,
            "scope/sourcing.html",
            {
                "item": item,
                "ranking": ranking,
                "eligible": ranking.eligible[:shown],
                "total": len(ranking.eligible) + len(ranking.ineligible),
                "shown": shown,
                "ineligible": ranking.ineligible[:INELIGIBLE_SHOWN],
                "until": until,
                "candidates": candidates,
                "criteria": ranking.criteria,
                "problems": readiness_problems(item),
                "can_edit": request.user.has_perm("scope.add_candidate"),
            },
        )


class CandidateAddView(PermissionRequiredMixin, View):
    permission_required = "scope.add_candidate"
    http_method_names = ["post"]

    def post(self, request, pk: int):
        item = get_object_or_404(WorkItem, pk=pk)
        provider_id = positive_int(request.POST.get("provider"))
        if provider_id is None:
            raise Http404("No such provider.")
        provider = get_object_or_404(Provider, pk=provider_id)
        try:
            candidate_add(work_item=item, provider=provider, by=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, f"{provider} is on the long list.")
        return redirect(reverse("scope:workitem-sourcing", args=[item.pk]) + "#candidates")


class CandidateStatusView(PermissionRequiredMixin, View):
    permission_required = "scope.change_candidate"
    http_method_names = ["post"]

    def post(self, request, pk: int):
        candidate = get_object_or_404(Candidate.objects.select_related("provider", "work_item"), pk=pk)
        status = request.POST.get("status", "")
        try:
            candidate_set_status(
                candidate=candidate,
                status=status,
                by=request.user,
                notes=request.POST.get("notes") if "notes" in request.POST else None,
                valid_through=_until(request.POST),
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect(reverse("scope:workitem-sourcing", args=[candidate.work_item_id]) + "#candidates")
        messages.success(request, f"{candidate.provider}: {CandidateStatus(status).label.lower()}.")
        if status == CandidateStatus.SELECTED and request.POST.get("plan"):
            # Planning the pilot is the pilots app's page; this page only links to it.
            query = urlencode({"work_items": candidate.work_item_id, "provider": candidate.provider_id})
            return redirect(f"{reverse('pilots:pilot-add')}?{query}")
        return redirect_back(
            request, request.POST.get("back"), reverse("scope:workitem-sourcing", args=[candidate.work_item_id])
        )


class ScoreView(PermissionRequiredMixin, View):
    """The signed-in evaluator scores a candidate on each manual criterion."""

    permission_required = "scope.add_score"

    def _context(self, candidate):
        existing = {s.criterion_id: s for s in candidate.scores.filter(evaluator=self.request.user)}
        return candidate.work_item.criteria.all(), existing

    def get(self, request, pk: int):
        candidate = get_object_or_404(Candidate.objects.select_related("provider", "work_item"), pk=pk)
        criteria, existing = self._context(candidate)
        return self.render(candidate, ScoreForm(criteria=criteria, existing=existing))

    def post(self, request, pk: int):
        candidate = get_object_or_404(Candidate.objects.select_related("provider", "work_item"), pk=pk)
        criteria, existing = self._context(candidate)
        form = ScoreForm(request.POST, criteria=criteria, existing=existing)
        if form.is_valid():
            try:
                with transaction.atomic():
                    for criterion, value, comment in form.entries():
                        score_record(
                            candidate=candidate,
                            criterion=criterion,
                            evaluator=request.user,
                            value=value,
                            comment=comment,
                        )
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, f"Your scores for {candidate.provider} are saved.")
                return redirect("scope:workitem-compare", candidate.work_item_id)
        return self.render(candidate, form, status=400)

    def render(self, candidate, form, status=200):
        others = candidate.scores.exclude(evaluator=self.request.user).select_related("criterion", "evaluator")
        return render(
            self.request,
            "scope/score_form.html",
            {"candidate": candidate, "form": form, "others": others},
            status=status,
        )


class CompareView(PermissionRequiredMixin, View):
    """Candidates side by side: every criterion, the hard gates, delivery, pricing, certificates, total."""

    permission_required = "scope.view_candidate"

    def get(self, request, pk: int):
        item = get_object_or_404(WorkItem.objects.select_related("industry"), pk=pk)
        include_rejected = request.GET.get("rejected") == "1"
        candidates = item.candidates.select_related("provider")
        if not include_rejected:
            candidates = candidates.exclude(status=CandidateStatus.REJECTED)
        candidates = {c.provider_id: c for c in candidates}
        until = _until(request.GET)
        ranking = rank_providers(work_item=item, valid_through=until, provider_ids=list(candidates))
        fits = sorted([*ranking.eligible, *ranking.ineligible], key=lambda f: (-f.total, f.facts.name))
        providers = {
            p.pk: p
            for p in Provider.objects.filter(pk__in=list(candidates)).prefetch_related(
                "pricing_models",
                "delivery_centers",
                Prefetch("certifications", queryset=ProviderCertification.objects.select_related("certification_type")),
            )
        }
        columns = [
            {
                "fit": fit,
                "candidate": candidates[fit.facts.id],
                "provider": providers[fit.facts.id],
                "can_select": fit.eligible and CANDIDATE.allows("select", candidates[fit.facts.id].status),
                "can_shortlist": fit.eligible and CANDIDATE.allows("shortlist", candidates[fit.facts.id].status),
                "selected": candidates[fit.facts.id].status == CANDIDATE["select"].target,
            }
            for fit in fits
        ]
        rows = [
            {"criterion": criterion, "cells": [column["fit"].scores[i] for column in columns]}
            for i, criterion in enumerate(ranking.criteria)
        ]
        return render(
            request,
            "scope/compare.html",
            {
                "item": item,
                "columns": columns,
                "rows": rows,
                "until": until,
                "include_rejected": include_rejected,
                "can_edit": request.user.has_perm("scope.change_candidate"),
                "can_score": request.user.has_perm("scope.add_score"),
                "can_plan": request.user.has_perm("pilots.add_pilot"),
            },
        )


class CriteriaEditView(PermissionRequiredMixin, View):
    permission_required = "scope.change_evaluationcriterion"

    """The weights are saved with the work item locked and checked again once written: two people
    editing at once never leave them off 100, and the second is shown the first one's change."""

    @staticmethod
    def version_of(item) -> dict:
        return versions.fingerprint(forms.Form(), {"criteria": CriteriaFormSet(instance=item, prefix="criteria")})

    def get(self, request, pk: int):
        item = get_object_or_404(WorkItem, pk=pk)
        return self.render(item, CriteriaFormSet(instance=item, prefix="criteria"))

    def post(self, request, pk: int):
        item = get_object_or_404(WorkItem, pk=pk)
        formset = CriteriaFormSet(request.POST, instance=item, prefix="criteria")
        if formset.is_valid():
            try:
                with transaction.atomic():
                    locked = WorkItem.objects.select_for_update().get(pk=item.pk)
                    versions.check(
                        request.POST.get(versions.FIELD),
                        self.version_of(locked),
                        history=EvaluationCriterion.history.filter(work_item_id=item.pk),
                    )
                    problem = criteria_removal_problem(f.instance for f in formset.deleted_forms)
                    if problem:  # a score may have arrived since the form was checked
                        raise ValidationError(problem)
                    formset.save()
                    criteria_check_total(work_item=locked)
            except versions.Conflict as conflict:
                stored = CriteriaFormSet(instance=item, prefix="criteria")
                formset._non_form_errors = formset.error_class([conflict.message(forms.Form(), {"criteria": stored})])
                return self.render(item, formset, status=409)
            except ValidationError as error:
                formset._non_form_errors = formset.error_class(error.messages[:1])
            except IntegrityError as error:  # two criteria renamed into each other's names
                formset._non_form_errors = formset.error_class([unique_rule_message(error)])
            else:
                messages.success(request, "Criteria and weights saved.")
                return redirect("scope:workitem-compare", item.pk)
        return self.render(item, formset, status=400)

    def render(self, item, formset, status=200, version=None):
        # Shown again with errors, the form keeps the version it was opened with.
        posted = self.request.POST.get(versions.FIELD) if status == 400 else None
        version = version or posted or versions.sign(self.version_of(item))
        context = {"item": item, "formset": formset, "version": version}
        return render(self.request, "scope/criteria_form.html", context, status=status)


class WorkItemActionView(LifecycleActionView):
    """Mark ready, retire or reopen a work item; the rest of its moves follow from sourcing and pilots."""

    model = WorkItem
    lifecycle = WORK_ITEM

    def perform(self, obj, action, data):
        item = work_item_perform(work_item=obj, action=action, by=self.request.user)
        return f"'{item}' is {item.get_status_display().lower()}."
