"""Two-sided evidence: either side disputes the other side's recorded value with a reason; the
dispute ends with a correction (a history edit of the value) or its withdrawal by the side that
raised it, each with who and why. An open dispute on a critical metric's proof period closes the
gate to expand (`pilots.gate`).

The buying team acts as a user, the provider as the contact its submission link belongs to; each
function takes one or the other (`by` or `contact`).
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from .choices import DisputeSide, DisputeStatus, MeasurementSource
from .lifecycle import RECORDABLE
from .models import Dispute, Measurement, person_name

MAX_REASON = 2000


def side_of(*, by=None, contact=None) -> str:
    if (by is None) == (contact is None):
        raise ValueError("A dispute is acted on by a user or by a provider contact, not both.")
    return DisputeSide.PROVIDER if contact is not None else DisputeSide.BUYER


def figure_side(measurement: Measurement) -> str:
    """Whose figure a recorded value is: the provider's when it came through its link."""
    return DisputeSide.PROVIDER if measurement.source == MeasurementSource.PROVIDER else DisputeSide.BUYER


def dispute_problem(measurement: Measurement, *, side: str) -> str | None:
    """Why this side cannot dispute this value, or None."""
    if measurement.metric.pilot.status not in RECORDABLE:
        return "The pilot is no longer under way; its values can no longer be disputed."
    if figure_side(measurement) == side:
        return (
            "This is your own side's figure: correct it instead."
            if side == DisputeSide.PROVIDER
            else "This figure was recorded by your team: correct it instead."
        )
    return None


@transaction.atomic
def dispute_open(*, measurement: Measurement, reason: str, by=None, contact=None) -> Dispute:
    side = side_of(by=by, contact=contact)
    measurement = Measurement.objects.select_for_update().select_related("metric__pilot").get(pk=measurement.pk)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the value is wrong."})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": f"Keep the reason under {MAX_REASON:,} characters."})
    if problem := dispute_problem(measurement, side=side):
        raise ValidationError(problem)
    if measurement.disputes.open().exists():
        raise ValidationError("This value is disputed already.")
    dispute = Dispute(
        measurement=measurement,
        side=side,
        reason=reason,
        disputed_value=measurement.value,
        raised_by=by,
        raised_by_contact=contact,
    )
    dispute._history_user = by
    dispute._change_reason = f"Raised by {person_name(contact or by)}"
    dispute.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            dispute.save()
    except IntegrityError:
        raise ValidationError("This value is disputed already.") from None
    return dispute


def _locked_open(dispute: Dispute) -> Dispute:
    dispute = Dispute.objects.select_for_update().select_related("measurement__metric__pilot").get(pk=dispute.pk)
    if dispute.status != DisputeStatus.OPEN:
        raise ValidationError(f"This dispute is {dispute.get_status_display().lower()} already.")
    return dispute


def _close(dispute: Dispute, *, status: str, note: str, by, contact) -> None:
    dispute.status = status
    dispute.resolved_at = timezone.now()
    dispute.resolved_by = by
    dispute.resolved_by_contact = contact
    dispute.resolution_note = note
    dispute._history_user = by
    dispute._change_reason = f"{dispute.get_status_display()} by {person_name(contact or by)}"
    dispute.save()


@transaction.atomic
def dispute_withdraw(*, dispute: Dispute, note: str = "", by=None, contact=None) -> Dispute:
    """The side that raised the dispute takes it back: the value stands."""
    side = side_of(by=by, contact=contact)
    dispute = _locked_open(dispute)
    if dispute.side != side:
        raise ValidationError("Only the side that raised a dispute can withdraw it; correct the value to resolve it.")
    _close(dispute, status=DisputeStatus.WITHDRAWN, note=(note or "").strip()[:MAX_REASON], by=by, contact=contact)
    return dispute


@transaction.atomic
def dispute_correct(
    *, dispute: Dispute, value: Decimal, sample_size: int | None = None, note: str = "", by=None, contact=None
) -> Dispute:
    """The disputed value is corrected (a history edit); the dispute ends as corrected. The
    correction is made as any other: the buyer's side records it, or the provider through its link."""
    side = side_of(by=by, contact=contact)
    dispute = _locked_open(dispute)
    if dispute.side == side:
        raise ValidationError("Only the other side corrects a disputed value; withdraw your dispute instead.")
    measurement = dispute.measurement
    if side == DisputeSide.PROVIDER and figure_side(measurement) != DisputeSide.PROVIDER:
        # The team replaced the disputed figure since (which ended its dispute): the provider disputes
        # the team's figures, never overwrites them.
        raise ValidationError("The buying team recorded this figure; dispute it rather than replace it.")
    if value == measurement.value and (sample_size is None or sample_size == measurement.sample_size):
        raise ValidationError({"value": "That is the disputed value: give the corrected one, or withdraw the dispute."})
    from .evidence import measurement_record  # evidence closes disputes on corrections: imported here, not above

    note = (note or "").strip()[:MAX_REASON]
    measurement_record(
        metric=measurement.metric,
        period=measurement.period_start,
        value=value,
        sample_size=sample_size if sample_size is not None else measurement.sample_size,
        note=measurement.note,
        by=by,
        submitted_by=contact,
        source=MeasurementSource.PROVIDER if side == DisputeSide.PROVIDER else MeasurementSource.MANUAL,
        resolve_disputes=False,
    )
    _close(dispute, status=DisputeStatus.CORRECTED, note=note, by=by, contact=contact)
    return dispute


def disputes_close_by_corrections(*, measurement_ids: list[int], by=None, contact=None, how: str) -> int:
    """A disputed value corrected through any way in (the form, an import, the API, the link) ends
    its dispute as corrected: by the other side, as the dispute asked, or by the side that raised
    it, which has replaced the figure it disputed. Call inside the transaction that corrects them."""
    closed = 0
    disputes = Dispute.objects.open().select_for_update().filter(measurement__in=measurement_ids)
    for dispute in disputes:
        _close(dispute, status=DisputeStatus.CORRECTED, note=f"Corrected {how}.", by=by, contact=contact)
        closed += 1
    return closed


def open_disputes_in(periods: dict[int, list[datetime.date]]) -> dict[int, list[Dispute]]:
    """Open disputes on the given periods of the given metrics (metric id → period starts)."""
    found: dict[int, list[Dispute]] = {}
    if not periods:
        return found
    disputes = (
        Dispute.objects.open()
        .filter(measurement__metric__in=list(periods))
        .select_related("measurement", "raised_by", "raised_by_contact__provider")
        .order_by("measurement__period_start")
    )
    for dispute in disputes:
        metric_id = dispute.measurement.metric_id
        if dispute.measurement.period_start in periods[metric_id]:
            found.setdefault(metric_id, []).append(dispute)
    return found


class EvidenceRow:
    """One recorded value as either side sees it: where it came from, its open dispute, and what
    `side` may do with it."""

    def __init__(self, measurement: Measurement, dispute: Dispute | None, side: str, url_for=None):
        self.measurement = measurement
        self.dispute = dispute
        self.metric = measurement.metric
        open_to_change = measurement.metric.pilot.status in RECORDABLE
        self.can_dispute = open_to_change and dispute is None and figure_side(measurement) != side
        self.can_withdraw = open_to_change and dispute is not None and dispute.side == side
        self.can_correct = open_to_change and dispute is not None and dispute.side != side
        self.urls = {}
        if url_for is not None:  # where each side's forms post (the buyer's pages or the provider's link)
            self.urls["dispute"] = url_for("dispute", measurement.pk)
            if dispute is not None:
                self.urls.update(withdraw=url_for("withdraw", dispute.pk), correct=url_for("correct", dispute.pk))

    @property
    def source_text(self) -> str:
        m = self.measurement
        if m.source == MeasurementSource.PROVIDER:
            return f"Provider: {m.submitted_by.name}" if m.submitted_by else "Provider"
        who = person_name(m.recorded_by) if m.recorded_by else ""
        return f"{m.get_source_display()}{f': {who}' if who else ''}"


def evidence_rows(pilot, *, side: str, url_for=None, limit: int = 200) -> list[EvidenceRow]:
    """The pilot's recorded values, newest period first, with their open disputes (two queries);
    `url_for(action, pk)` names where each action's form posts."""
    measurements = list(
        Measurement.objects.filter(metric__pilot=pilot)
        .select_related("metric__pilot", "recorded_by", "submitted_by")
        .order_by("-period_start", "metric__name")[:limit]
    )
    disputes = {
        d.measurement_id: d
        for d in Dispute.objects.open()
        .filter(measurement__in=measurements)
        .select_related("raised_by", "raised_by_contact__provider")
    }
    return [EvidenceRow(m, disputes.get(m.pk), side, url_for) for m in measurements]


def recent_disputes(pilot, *, limit: int = 20) -> list[Dispute]:
    return list(
        Dispute.objects.filter(measurement__metric__pilot=pilot)
        .select_related(
            "measurement__metric",
            "raised_by",
            "raised_by_contact__provider",
            "resolved_by",
            "resolved_by_contact__provider",
        )
        .order_by("-raised_at")[:limit]
    )
