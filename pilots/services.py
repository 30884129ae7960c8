"""The pilot lifecycle: every state change is one of these named actions, each checking its
preconditions, raising a ValidationError that says what is missing, and recording who and when
in the pilot's history."""

import datetime
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from config.formatting import day, number
from config.lifecycle import REASON_LENGTH, save_status
from scope.choices import Cadence, CandidateStatus, WorkItemStatus
from scope.lifecycle import PILOTABLE as PILOTABLE_WORK_ITEMS
from scope.models import Candidate, WorkItem
from scope.services import work_item_resume_sourcing, work_item_scale, work_item_start_piloting
from vendors.choices import ProviderStatus
from vendors.models import Provider
from vendors.services import provider_activate, provider_approve, provider_mark_piloting, provider_restore

from .choices import DecisionOutcome, PilotStatus
from .evidence import evaluate_on_commit
from .gate import expansion_gate
from .lifecycle import HOLDING, LIFECYCLE, NOT_STARTED, UNDER_WAY
from .models import MAX_WORK_ITEMS_PER_PILOT, Decision, Pilot, PilotMetric
from .selectors import start_problems

DEFAULT_MIN_SAMPLES = {Cadence.WEEKLY: 4, Cadence.MONTHLY: 3}
# Fields of a pilot metric a user may change while the pilot is planned.
EDITABLE_METRIC_FIELDS = {"name", "unit", "direction", "target", "warning_margin", "critical", "cadence", "min_samples"}


def _require(pilot: Pilot, action: str) -> None:
    LIFECYCLE.require(action, pilot)


def _save(pilot: Pilot, *, status: str, by, reason: str) -> Pilot:
    save_status(pilot, status=status, by=by, reason=reason)
    # Its flags follow the new status at once (a decision no longer overdue, a stopped pilot's flags).
    evaluate_on_commit(pilot_id=pilot.pk)
    return pilot


def _locked(pilot: Pilot) -> Pilot:
    """Re-read the pilot under a row lock so two people acting at once cannot both move it."""
    return Pilot.objects.select_for_update().select_related("provider").get(pk=pilot.pk)


@transaction.atomic
def pilot_create(
    *,
    name: str,
    provider: Provider,
    work_items: list[WorkItem],
    owner,
    starts_on: datetime.date,
    ends_on: datetime.date,
    volume_share: Decimal,
    budget: Decimal | None = None,
    decision_rule: str = "",
    sourcing_note: str = "",
    by=None,
) -> Pilot:
    """Plan a pilot of one or two work items; their success metrics become the pilot's metrics.

    Selection carries into the pilot: with the work item's selected candidate the pilot records it;
    a provider that is not the selected candidate of a work item in sourcing needs a reason."""
    work_items = list(dict.fromkeys(work_items))
    errors = pilot_plan_problems(provider=provider, work_items=work_items)
    if errors:
        raise ValidationError(errors)
    candidate, unselected = selection_for(provider=provider, work_items=work_items)
    sourcing_note = sourcing_note.strip()
    if unselected and not sourcing_note:
        raise ValidationError({"sourcing_note": unselected})
    pilot = Pilot(
        name=name,
        provider=provider,
        owner=owner,
        starts_on=starts_on,
        ends_on=ends_on,
        volume_share=volume_share,
        budget=budget,
        decision_rule=decision_rule,
        candidate=candidate,
        sourcing_note=sourcing_note if unselected else "",
        status=PilotStatus.PLANNED,
    )
    if candidate:
        reason = f"Planned with the selected candidate for '{candidate.work_item}'"
    elif unselected:
        reason = f"Planned without the selected candidate: {sourcing_note}"
    else:
        reason = "Planned"
    pilot._change_reason = reason[:REASON_LENGTH]
    pilot._history_user = by
    pilot.full_clean()
    pilot.save()
    pilot.work_items.set(work_items)
    pilot_copy_success_metrics(pilot=pilot)
    return pilot


def pilot_plan_from(data: dict, *, by) -> Pilot:
    """Plan a pilot from a form's cleaned data (the browser's and the admin's planning forms)."""
    return pilot_create(
        name=data["name"],
        provider=data["provider"],
        work_items=list(data["work_items"]),
        owner=data.get("owner"),
        starts_on=data["starts_on"],
        ends_on=data["ends_on"],
        volume_share=data["volume_share"],
        budget=data.get("budget"),
        decision_rule=data.get("decision_rule", ""),
        sourcing_note=data.get("sourcing_note", ""),
        by=by,
    )


def selection_for(*, provider: Provider, work_items: list[WorkItem]) -> tuple[Candidate | None, str]:
    """The selected candidate the pilot is planned from, and, when the provider is not the selected
    candidate of a work item in sourcing, the words asking why."""
    selected = {
        c.work_item_id: c
        for c in Candidate.objects.filter(work_item__in=work_items, status=CandidateStatus.SELECTED).select_related(
            "provider", "work_item"
        )
    }
    candidate, missing = None, []
    for item in work_items:
        chosen = selected.get(item.pk)
        if chosen and chosen.provider_id == provider.pk:
            candidate = candidate or chosen
        elif item.status == WorkItemStatus.SOURCING:
            missing.append(
                f"'{item}' has selected {chosen.provider}" if chosen else f"'{item}' has no selected candidate yet"
            )
    if not missing:
        return candidate, ""
    return candidate, (
        f"{provider} is not the selected candidate: {'; '.join(missing)}. "
        "To plan the pilot anyway, say why (it is kept with the pilot)."
    )


def pilot_plan_problems(*, provider: Provider | None, work_items: list[WorkItem]) -> dict[str, str]:
    """Field errors that stop a pilot from being planned (used by the service and by forms)."""
    errors = {}
    if not work_items:
        errors["work_items"] = "Choose the work item the pilot covers."
    elif len(work_items) > MAX_WORK_ITEMS_PER_PILOT:
        errors["work_items"] = (
            f"A pilot covers one or two work items, not {len(work_items)}: start small and prove "
            "one or two processes first."
        )
    else:
        for item in work_items:
            if item.status not in PILOTABLE_WORK_ITEMS:
                errors["work_items"] = (
                    f"'{item}' is {item.get_status_display().lower()}: only a work item that passed its readiness "
                    "check can be piloted."
                )
                break
    if provider is not None and provider.is_blocked:
        errors["provider"] = f"{provider} is blocked and cannot start new pilots: {provider.blocked_reason}"
    return errors


def pilot_copy_success_metrics(*, pilot: Pilot) -> list[PilotMetric]:
    """The work items' success metrics become the pilot's metrics (done once, when it is planned)."""
    work_items = list(pilot.work_items.prefetch_related("success_metrics"))
    metrics = [m for item in work_items for m in item.success_metrics.all()]
    names = [m.name for m in metrics]
    copies = []
    for metric in metrics:
        # Two items may both measure "Accuracy"; the item's title tells them apart.
        name = metric.name if names.count(metric.name) == 1 else f"{metric.name} — {metric.work_item.title}"[:100]
        copies.append(
            PilotMetric(
                pilot=pilot,
                name=name,
                unit=metric.unit,
                direction=metric.direction,
                target=metric.target,
                critical=metric.critical,
                cadence=metric.cadence,
                min_samples=DEFAULT_MIN_SAMPLES[metric.cadence],
            )
        )
    return PilotMetric.objects.bulk_create(copies)


@transaction.atomic
def pilot_metric_update(*, metric: PilotMetric, by=None, **changes) -> PilotMetric:
    """Change a pilot metric; allowed only while the pilot is planned, frozen once it runs."""
    if metric.pilot.status not in NOT_STARTED:
        raise ValidationError(
            f"The metrics of '{metric.pilot}' are frozen since it started; targets agreed up front stay as agreed."
        )
    unknown = set(changes) - EDITABLE_METRIC_FIELDS
    if unknown:
        raise ValidationError(f"These metric fields cannot be changed: {', '.join(sorted(unknown))}.")
    for field, value in changes.items():
        setattr(metric, field, value)
    metric._history_user = by
    metric.full_clean()
    metric.save()
    return metric


@transaction.atomic
def pilot_start(*, pilot: Pilot, by=None) -> Pilot:
    """Planned → running: needs a metric with a target, a provider that is not blocked and passes
    the hard gates of every work item through the decision date."""
    pilot = _locked(pilot)
    _require(pilot, "start")
    problems = start_problems(pilot)
    if problems:
        raise ValidationError(problems)
    cause = f"Pilot '{pilot}' started"
    for item in pilot.work_items.all():
        work_item_start_piloting(work_item=item, by=by, cause=cause)
    before = provider_mark_piloting(provider=pilot.provider, by=by, cause=cause)
    if before == ProviderStatus.PILOTING:
        # Another pilot made it piloting; what it was before that is what a stop returns it to.
        before = (
            Pilot.objects.filter(provider=pilot.provider_id, status__in=UNDER_WAY)
            .exclude(provider_status_before="")
            .values_list("provider_status_before", flat=True)
            .first()
            or before
        )
    pilot.provider_status_before = before
    if pilot.stage > 1 and pilot.volume_share >= 100:
        provider_activate(provider=pilot.provider, by=by, cause=f"Stage {pilot.stage} of '{pilot}' runs at full share")
    return _save(pilot, status=PilotStatus.RUNNING, by=by, reason="Started")


@transaction.atomic
def pilot_pause(*, pilot: Pilot, by=None, reason: str = "") -> Pilot:
    pilot = _locked(pilot)
    _require(pilot, "pause")
    return _save(pilot, status=PilotStatus.PAUSED, by=by, reason=f"Paused{': ' + reason if reason else ''}")


@transaction.atomic
def pilot_resume(*, pilot: Pilot, by=None) -> Pilot:
    """Paused → running, re-checking what a start checks (a provider may have been blocked since)."""
    pilot = _locked(pilot)
    _require(pilot, "resume")
    problems = start_problems(pilot)
    if problems:
        raise ValidationError(problems)
    return _save(pilot, status=PilotStatus.RUNNING, by=by, reason="Resumed")


@transaction.atomic
def pilot_submit_for_review(*, pilot: Pilot, by=None) -> Pilot:
    pilot = _locked(pilot)
    _require(pilot, "submit_for_review")
    return _save(pilot, status=PilotStatus.IN_REVIEW, by=by, reason="Submitted for review")


@transaction.atomic
def pilot_decide(
    *,
    pilot: Pilot,
    outcome: str,
    rationale: str,
    by,
    early: bool = False,
    extend_to: datetime.date | None = None,
) -> Decision:
    """Record the review's decision. Expand needs the gate open (passed); stop fails the pilot;
    extend sends it back to running with a later decision date. Before the decision date only the
    owner may decide, and must say the decision is early."""
    pilot = _locked(pilot)
    _require(pilot, "decide")
    if outcome not in DecisionOutcome.values:
        raise ValidationError({"outcome": "Choose expand, extend or stop."})
    if not rationale.strip():
        raise ValidationError({"rationale": "Write down why: the decision is kept with its reasoning."})
    today = timezone.localdate()
    if today < pilot.ends_on:
        if not early:
            raise ValidationError(
                f"The decision date is {day(pilot.ends_on)}; to decide before it, record an early decision."
            )
        if by is None or by.pk != pilot.owner_id:
            raise ValidationError("Only the pilot's owner can record an early decision.")
    if outcome == DecisionOutcome.EXPAND:
        gate = expansion_gate(pilot, today=today)
        reasons = gate.proof_reasons if early else gate.reasons
        if reasons:
            raise ValidationError(["The gate to expand is closed:", *reasons])
        status = PilotStatus.PASSED
    elif outcome == DecisionOutcome.STOP:
        status = PilotStatus.FAILED
    else:
        if extend_to is None or extend_to <= max(pilot.ends_on, today):
            raise ValidationError({"extend_to": "Give a new decision date later than the current one and today."})
        pilot.ends_on = extend_to
        status = PilotStatus.RUNNING
    decision = Decision(pilot=pilot, outcome=outcome, rationale=rationale.strip(), decided_by=by)
    decision._history_user = by
    decision.full_clean()
    decision.save()
    _save(pilot, status=status, by=by, reason=f"Decision: {DecisionOutcome(outcome).label.lower()}")
    if outcome == DecisionOutcome.STOP:
        _carry_stop(pilot, by=by)
    return decision


def _carry_stop(pilot: Pilot, *, by) -> None:
    """A stopped pilot sends its work items back to sourcing and its provider back to the status it
    had before the pilot, unless another pilot under way still keeps them there."""
    cause = f"Pilot '{pilot}' stopped"
    others = Pilot.objects.filter(status__in=HOLDING).exclude(pk=pilot.pk)
    for item in pilot.work_items.all():
        if not others.filter(work_items=item).exists():
            work_item_resume_sourcing(work_item=item, by=by, cause=cause)
    if pilot.provider_status_before and not others.filter(provider=pilot.provider_id).exists():
        provider_restore(provider=pilot.provider, status=pilot.provider_status_before, by=by, cause=cause)


@transaction.atomic
def pilot_expand(
    *,
    pilot: Pilot,
    by,
    volume_share: Decimal,
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
    name: str | None = None,
    budget: Decimal | None = None,
    make_active: bool = False,
) -> Pilot:
    """Passed → expanded: grow into the next stage, a new planned pilot with this one as parent, a
    larger share of volume and copies of the metrics. The proof is checked again at this moment
    (the decision to expand already settled the date). The provider becomes approved, or active
    when the owner says the relationship is established."""
    pilot = _locked(pilot)
    _require(pilot, "expand")
    if pilot.provider.is_blocked:
        raise ValidationError(
            f"{pilot.provider} is blocked and cannot start new pilots: {pilot.provider.blocked_reason}"
        )
    reasons = expansion_gate(pilot).proof_reasons
    if reasons:
        raise ValidationError(["The gate to expand is closed:", *reasons])
    if volume_share is None or volume_share <= pilot.volume_share:
        raise ValidationError(
            {
                "volume_share": (
                    f"The next stage must take a larger share of volume than this one ({pilot.volume_share}%)."
                )
            }
        )
    starts_on = starts_on or max(timezone.localdate(), pilot.ends_on)
    ends_on = ends_on or starts_on + (pilot.ends_on - pilot.starts_on)
    stage = pilot.stage + 1
    base_name = re.sub(r"\s*(?:—\s*)?stage \d+$", "", pilot.name, flags=re.IGNORECASE) or pilot.name
    next_stage = Pilot(
        name=name or f"{base_name} — stage {stage}",
        provider=pilot.provider,
        owner=pilot.owner,
        starts_on=starts_on,
        ends_on=ends_on,
        volume_share=volume_share,
        budget=budget,
        stage=stage,
        parent=pilot,
        decision_rule=pilot.decision_rule,
        status=PilotStatus.PLANNED,
    )
    next_stage._change_reason = f"Stage {stage} grown from {pilot}"
    next_stage._history_user = by
    next_stage.full_clean()
    next_stage.save()
    next_stage.work_items.set(pilot.work_items.all())
    PilotMetric.objects.bulk_create(
        PilotMetric(
            pilot=next_stage,
            name=m.name,
            unit=m.unit,
            direction=m.direction,
            target=m.target,
            warning_margin=m.warning_margin,
            critical=m.critical,
            cadence=m.cadence,
            min_samples=m.min_samples,
        )
        for m in pilot.metrics.all()
    )
    _save(pilot, status=PilotStatus.EXPANDED, by=by, reason=f"Expanded into stage {stage}")
    cause = f"'{pilot}' expanded into stage {stage}"
    if make_active:
        provider_activate(provider=pilot.provider, by=by, cause=f"{cause}; the owner made it active")
    else:
        provider_approve(provider=pilot.provider, by=by, cause=cause)
    return next_stage


@transaction.atomic
def pilot_close(*, pilot: Pilot, by=None) -> Pilot:
    """Passed or failed → closed. A passed stage closed without growing is the last stage of a
    success: its work items are outsourced at scale."""
    pilot = _locked(pilot)
    _require(pilot, "close")
    succeeded = pilot.status == PilotStatus.PASSED
    _save(pilot, status=PilotStatus.CLOSED, by=by, reason="Closed as a success" if succeeded else "Closed")
    if succeeded:
        cause = f"Last stage '{pilot}' closed as a success"
        for item in pilot.work_items.all():
            work_item_scale(work_item=item, by=by, cause=cause)
        provider_approve(provider=pilot.provider, by=by, cause=cause)
    return pilot


def pilot_perform(*, action: str, pilot: Pilot, by, data: dict) -> str:
    """Run the named lifecycle action with the values a form collected; say what happened."""
    if action == "decide":
        decision = pilot_decide(
            pilot=pilot,
            outcome=data["outcome"],
            rationale=data["rationale"],
            by=by,
            early=data.get("early", False),
            extend_to=data.get("extend_to"),
        )
        return f"Decision recorded: {decision.get_outcome_display().lower()}."
    if action == "expand":
        next_stage = pilot_expand(
            pilot=pilot,
            by=by,
            volume_share=data["volume_share"],
            starts_on=data.get("starts_on"),
            ends_on=data.get("ends_on"),
            budget=data.get("budget"),
            make_active=data.get("make_active", False),
        )
        return f"Expanded: {next_stage} is planned at {number(next_stage.volume_share)}% of the volume."
    if action == "pause":
        pilot_pause(pilot=pilot, by=by, reason=data.get("reason", ""))
        return f"{pilot} is paused."
    simple = {
        "start": pilot_start,
        "resume": pilot_resume,
        "submit_for_review": pilot_submit_for_review,
        "close": pilot_close,
    }
    if action not in simple or action not in LIFECYCLE:
        raise ValidationError(f"There is no action called '{action}'.")
    updated = simple[action](pilot=pilot, by=by)
    return f"{updated} is now {updated.get_status_display().lower()}."
