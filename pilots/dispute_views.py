"""Disputes from either side, one handler: the buying team's views here, the provider's in
`portal.views`; both call the same services with the same forms."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.views import View

from . import disputes
from .forms import DisputeCorrectForm, DisputeForm, DisputeWithdrawForm
from .models import Dispute, Measurement


def dispute_action(request, *, action: str, target, done_url: str, by=None, contact=None) -> HttpResponseRedirect:
    """Run one dispute action from a POST; success or the reason it was refused comes back as a
    message on the page it was sent from."""
    if action == "dispute":
        form = DisputeForm(request.POST)
    elif action == "withdraw":
        form = DisputeWithdrawForm(request.POST)
    else:
        form = DisputeCorrectForm(request.POST, metric=target.measurement.metric)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form[field].label if field in form.fields else ""  # the field's own label, derived if unset
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
        return HttpResponseRedirect(done_url)
    data = form.cleaned_data
    try:
        if action == "dispute":
            disputes.dispute_open(measurement=target, reason=data["reason"], by=by, contact=contact)
            messages.success(request, "The value is disputed; the other side is shown your reason.")
        elif action == "withdraw":
            disputes.dispute_withdraw(dispute=target, note=data["note"], by=by, contact=contact)
            messages.success(request, "The dispute is withdrawn; the value stands.")
        else:
            disputes.dispute_correct(
                dispute=target,
                value=data["value"],
                sample_size=data["sample_size"],
                note=data["note"],
                by=by,
                contact=contact,
            )
            messages.success(request, "The value is corrected and the dispute resolved.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return HttpResponseRedirect(done_url)


class BuyerDisputeView(PermissionRequiredMixin, View):
    """The buying team disputes a provider's figure, withdraws its dispute, or corrects a figure
    the provider disputes."""

    http_method_names = ["post"]

    def get_permission_required(self):
        return {
            "dispute": ("pilots.add_dispute",),
            "withdraw": ("pilots.change_dispute",),
            "correct": ("pilots.change_dispute", "pilots.change_measurement"),  # a correction edits the value
        }[self.kwargs["action"]]

    def post(self, request, pk: int, action: str):
        if action == "dispute":
            target = get_object_or_404(Measurement.objects.select_related("metric__pilot"), pk=pk)
            pilot = target.metric.pilot
        else:
            target = get_object_or_404(Dispute.objects.select_related("measurement__metric__pilot"), pk=pk)
            pilot = target.measurement.metric.pilot
        return dispute_action(
            request, action=action, target=target, done_url=f"{pilot.get_absolute_url()}#evidence", by=request.user
        )
