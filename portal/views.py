"""The provider's side of a pilot, reached through a submission link without an account, and the
buying team's views that issue and revoke links.

The emailed address holds the secret once: opening it checks the secret, keeps the link's id and
hash in the session and redirects to an address without it (as Django's password reset does), so
the secret does not linger in the browser's history, in a Referer or in access logs. Every later
request checks again that the link is still usable. Pages carry noindex, send no referrer to other sites,
and are never cached. Every request is counted per address and per link (django-ratelimit); past the limit
the answer is 429.
"""

import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_GET, require_POST

from config.imports import ImportPreviewView, ImportRecord, ImportView, UploadForm, discard
from config.ratelimits import client_address, limited
from pilots import disputes
from pilots.choices import DisputeSide, MeasurementSource
from pilots.dispute_views import dispute_action
from pilots.imports import MeasurementImportFlow, template_response
from pilots.models import Dispute, Measurement, Pilot
from pilots.views import period_entry_form, record_period_form

from . import services
from .forms import LinkIssueForm
from .models import SubmissionLink

SESSION_LINK = "portal_link"
SESSION_KEY = "portal_key"


def too_many() -> HttpResponse:
    response = render_portal(None, "portal/not_found.html", {"too_many": True}, status=429)
    response["Retry-After"] = "60"
    return response


def render_portal(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    return private(response)


def private(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    # No referrer leaves for another site; same-origin keeps the Origin header that CSRF checks on
    # the link's own forms (a browser sends "Origin: null" under no-referrer).
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store"
    return response


def not_found(request) -> HttpResponse:
    """The same answer for a wrong, revoked or expired link: no hint which."""
    return render_portal(request, "portal/not_found.html", {}, status=404)


def link_key(request) -> str:
    return request.portal_link.key_hash


def address_limited(request) -> bool:
    return limited(request, "portal-address", client_address(request), settings.PORTAL_RATE_ADDRESS)


def with_link(view):
    """Views behind a link: the session's link, still usable, or 404; rate-limited per address and link."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if address_limited(request):
            return too_many()
        link_id, key = request.session.get(SESSION_LINK), request.session.get(SESSION_KEY)
        link = None
        if isinstance(link_id, int) and isinstance(key, str):
            link = (
                SubmissionLink.objects.opening()
                .filter(pk=link_id, key_hash=key)
                .select_related("pilot__provider", "pilot__owner", "contact__provider")
                .first()
            )
        if link is None:
            return not_found(request)
        request.portal_link = link
        if limited(request, "portal-link", link_key(request), settings.PORTAL_RATE_LINK):
            return too_many()
        return private(view(request, *args, **kwargs))

    return wrapper


@require_GET
def enter(request, secret: str):
    if address_limited(request):
        return too_many()
    link = services.link_find(secret)
    if link is None:
        return not_found(request)
    request.session.cycle_key()  # a new session id once the link opens it
    request.session[SESSION_LINK] = link.pk
    request.session[SESSION_KEY] = link.key_hash
    return private(HttpResponseRedirect(reverse("portal:pilot")))


@with_link
def pilot_page(request):
    link = request.portal_link
    pilot = link.pilot
    metrics = pilot.metrics.order_by("-critical", "name")
    if request.method == "POST":
        form = period_entry_form(request, pilot, metrics)
        saved, corrections = record_period_form(
            request, form, pilot, source=MeasurementSource.PROVIDER, submitted_by=link.contact
        )
        if corrections:
            return page(request, link, form, status=409, corrections=corrections)
        if saved is None:
            return page(request, link, form, status=400)
        messages.success(request, f"{saved} value{'s' if saved != 1 else ''} recorded. Thank you.")
        return redirect("portal:pilot")
    return page(request, link, period_entry_form(request, pilot, metrics))


def page(request, link, form, status=200, corrections=()):
    pilot = link.pilot
    context = {
        "link": link,
        "pilot": pilot,
        "contact": link.contact,
        "metrics": services.metric_lines(pilot),
        "missing": services.due_and_missing(pilot, timezone.localdate()),
        "form": form,
        "corrections": corrections,
        "evidence_rows": disputes.evidence_rows(pilot, side=DisputeSide.PROVIDER, url_for=provider_dispute_url),
        "evidence_can_act": True,
        "disputes": disputes.recent_disputes(pilot),
    }
    return render(request, "portal/pilot.html", context, status=status)


def provider_dispute_url(action: str, pk: int) -> str:
    if action == "dispute":
        return reverse("portal:dispute", args=[pk])
    return reverse("portal:dispute-action", kwargs={"pk": pk, "action": action})


@require_POST
@with_link
def dispute(request, pk: int, action: str = "dispute"):
    link = request.portal_link
    if action == "dispute":
        target = get_object_or_404(Measurement.objects.select_related("metric__pilot"), pk=pk, metric__pilot=link.pilot)
    else:
        target = get_object_or_404(
            Dispute.objects.select_related("measurement__metric__pilot"), pk=pk, measurement__metric__pilot=link.pilot
        )
    return dispute_action(
        request, action=action, target=target, done_url=f"{reverse('portal:pilot')}#evidence", contact=link.contact
    )


@require_GET
@with_link
def template(request):
    file_format = request.GET.get("format", "xlsx")
    if file_format not in {"csv", "xlsx"}:
        return HttpResponseBadRequest("Ask for format=csv or format=xlsx.")
    return template_response(request.portal_link.pilot, file_format)


class ProviderUploads(MeasurementImportFlow):
    """The pilot's template filled in by the provider and uploaded through its link: the editors'
    import (same reading, validation and preview), recorded as the provider's."""

    source = MeasurementSource.PROVIDER
    title = "Upload figures"

    def done_url(self, target):
        return f"{reverse('portal:pilot')}#evidence"

    def template_url(self, target):
        return reverse("portal:template")

    def help_text(self, target):
        return (
            "Fill in the template (one row per period, one column per metric; a note per row is optional) and "
            "upload it. Figures the buying team recorded cannot be changed here: dispute them on the pilot's page. "
            "Nothing is recorded until you confirm the preview."
        )


class ProviderUploadMixin:
    """The link is the permission (`with_link`); the pilot and contact come from it."""

    flow = ProviderUploads()

    def has_permission(self):
        return True

    def extra_context(self):
        link = self.request.portal_link
        return {"pilot": link.pilot, "contact": link.contact}


@method_decorator(with_link, name="dispatch")
class UploadView(ProviderUploadMixin, ImportView):
    template_name = "portal/upload.html"

    def get_target(self, pk):
        return self.request.portal_link.pilot

    def upload_form(self, *args):
        return UploadForm(*args, max_bytes=settings.PORTAL_UPLOAD_MAX_BYTES, max_rows=settings.PORTAL_UPLOAD_MAX_ROWS)

    def uploader(self):
        return {"submitted_by": self.request.portal_link.contact}

    def listed(self, target):
        return self.flow.records(target).filter(submitted_by=self.request.portal_link.contact)[:20]

    def post(self, request, pk=None):
        # Every upload is a kept file: a link uploads a bounded number an hour.
        if limited(request, "portal-upload", link_key(request), settings.PORTAL_RATE_UPLOAD):
            return too_many()
        return super().post(request, pk)

    def kept(self, record):
        # One unconfirmed preview per contact and pilot: a new upload replaces the last.
        earlier = self.flow.records(record.pilot).filter(
            submitted_by=record.submitted_by, status=ImportRecord.Status.PREVIEWED
        )
        for preview in earlier.exclude(pk=record.pk):
            discard(preview)


@method_decorator(with_link, name="dispatch")
class UploadPreviewView(ProviderUploadMixin, ImportPreviewView):
    template_name = "portal/upload_preview.html"

    def applier(self):
        return None  # no user: the measurements name the contact

    def get_record(self, pk, record_pk):
        link = self.request.portal_link
        # A preview is the contact's until confirmed, and only through a link of that pilot.
        record = get_object_or_404(
            self.flow.records(link.pilot),
            pk=record_pk,
            status=ImportRecord.Status.PREVIEWED,
            submitted_by=link.contact,
        )
        return link.pilot, record


@require_POST
def leave(request):
    request.session.pop(SESSION_LINK, None)
    request.session.pop(SESSION_KEY, None)
    return private(render(request, "portal/not_found.html", {"left": True}))


# --- The buying team's side -------------------------------------------------------------------


@login_required
@require_POST
@permission_required("portal.add_submissionlink", raise_exception=True)
def link_issue(request, pk: int):
    pilot = get_object_or_404(Pilot.objects.select_related("provider"), pk=pk)
    form = LinkIssueForm(request.POST, pilot=pilot)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return HttpResponseRedirect(f"{pilot.get_absolute_url()}#links")
    contact = form.cleaned_data["contact"]
    try:
        services.link_issue(pilot=pilot, contact=contact, by=request.user, expires_on=form.cleaned_data["expires_on"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"A link was emailed to {contact.name} <{contact.email}>.")
    return HttpResponseRedirect(f"{pilot.get_absolute_url()}#links")


@login_required
@require_POST
@permission_required("portal.change_submissionlink", raise_exception=True)
def link_revoke(request, pk: int):
    link = get_object_or_404(SubmissionLink.objects.select_related("pilot", "contact"), pk=pk)
    if services.link_revoke(link=link, by=request.user):
        messages.success(request, f"{link.contact.name}'s link was revoked; it no longer opens anything.")
    return HttpResponseRedirect(f"{link.pilot.get_absolute_url()}#links")
