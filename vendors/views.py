import mimetypes

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery
from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_GET

from config.imports import ImportFileView, ImportPreviewView, ImportView
from config.viewsets import (
    ConfirmForm,
    LifecycleActionView,
    ObjectCreateView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
)

from .filtersets import ProviderFilterSet
from .forms import CertificationFormSet, ContactFormSet, DeliveryCenterFormSet, IndustryExperienceFormSet, ProviderForm
from .imports import ProviderImportFlow, template_response
from .lifecycle import LIFECYCLE
from .models import IndustryExperience, Provider, ProviderCertification
from .services import provider_perform
from .tables import ProviderTable


def providers_for_list():
    # The pilots app says which of its pilots are open; this app reads them through the reverse
    # relation and imports nothing of it.
    open_pilots = (
        Provider.pilots.rel.related_model.objects.open()
        .filter(provider=OuterRef("pk"))
        .order_by()
        .values("provider")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Provider.objects.annotate(open_pilots=Subquery(open_pilots, output_field=IntegerField())).prefetch_related(
        "delivery_centers",
        "service_lines",
        Prefetch("industry_experience", queryset=IndustryExperience.objects.select_related("industry")),
        Prefetch(
            "certifications",
            queryset=ProviderCertification.objects.only("id", "provider_id", "expires_on", "verified_at"),
        ),
    )


class ProviderListView(ObjectListView):
    model = Provider
    table_class = ProviderTable
    filterset_class = ProviderFilterSet
    add_url_name = "vendors:provider-add"
    import_url_name = "vendors:provider-import"

    def get_queryset(self):
        return providers_for_list()


class ProviderDetailView(ObjectDetailView):
    model = Provider

    def get_queryset(self):
        return Provider.objects.select_related("owner").prefetch_related(
            "service_lines",
            "languages",
            "pricing_models",
            "delivery_centers",
            "contacts",
            Prefetch("industry_experience", queryset=IndustryExperience.objects.select_related("industry")),
            Prefetch(
                "certifications",
                queryset=ProviderCertification.objects.select_related("certification_type", "verified_by"),
            ),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        provider = self.object
        context["pilots"] = provider.pilots.select_related("owner").order_by("-starts_on")
        context["history"] = provider.history.select_related("history_user")[:15]
        context["can_edit"] = self.request.user.has_perm("vendors.change_provider")
        context["actions"] = LIFECYCLE.available(provider.status) if context["can_edit"] else []
        return context


class ProviderFormMixin:
    model = Provider
    form_class = ProviderForm
    formset_classes = {
        "centres": DeliveryCenterFormSet,
        "certifications": CertificationFormSet,
        "experience": IndustryExperienceFormSet,
        "contacts": ContactFormSet,
    }

    def get_formsets(self):
        formsets = super().get_formsets()
        for formset in formsets.values():
            formset.form_kwargs = {"user": self.request.user} if formset.prefix == "certifications" else {}
        return formsets

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "cancel_url": reverse("vendors:provider-list")}


class ProviderCreateView(ProviderFormMixin, ObjectCreateView):
    success_message = "Provider created."


class ProviderEditView(ProviderFormMixin, ObjectEditView):
    success_message = "Provider saved."


@login_required
@permission_required("vendors.view_providercertification", raise_exception=True)
@require_GET
def certification_evidence(request, name: str):
    """Serve an evidence file only to signed-in users allowed to see certifications.

    The name must belong to a stored certification, so no other path on disk is reachable.
    """
    if not name.isprintable():
        raise Http404("No such evidence.")  # NUL and control characters name no stored file
    certification = get_object_or_404(ProviderCertification, evidence=name)
    try:
        handle = certification.evidence.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The evidence file is missing from storage.") from exc
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    # Always a download: nothing uploaded is ever rendered by the browser in the app's origin.
    response = FileResponse(handle, content_type=content_type, as_attachment=True)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


class BlockForm(forms.Form):
    reason = forms.CharField(
        error_messages={"required": "Say why the provider is blocked."},
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the provider may not start new pilots.",
    )


class ProviderActionView(LifecycleActionView):
    """Shortlist, make active, block (with a reason), unblock, offboard or reconsider a provider."""

    model = Provider
    lifecycle = LIFECYCLE

    def get_form(self, obj, action, data=None):
        return BlockForm(data) if action == "block" else ConfirmForm(data)

    def perform(self, obj, action, data):
        provider = provider_perform(provider=obj, action=action, by=self.request.user, reason=data.get("reason", ""))
        return f"{provider} is {provider.get_status_display().lower()}."


# --- Imports ----------------------------------------------------------------------------------


class ProviderImportView(ImportView):
    """Upload the team's vendor list; the page also lists the imports so far, with their files."""

    flow = ProviderImportFlow()


class ProviderImportPreviewView(ImportPreviewView):
    flow = ProviderImportFlow()


class ProviderImportFileView(ImportFileView):
    flow = ProviderImportFlow()


@login_required
@require_GET
def provider_import_template(request):
    """The vendor list template (CSV: the Providers sheet; XLSX: every sheet), empty or with
    `current=1` holding every stored provider in the same layout."""
    if not request.user.has_perm("vendors.view_provider"):
        raise PermissionDenied
    file_format = request.GET.get("format", "xlsx")
    if file_format not in {"csv", "xlsx"}:
        return HttpResponseBadRequest("The template comes as csv or xlsx.")
    return template_response(file_format, current=request.GET.get("current") == "1")
