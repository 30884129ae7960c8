"""State changes of work items and their sourcing; one function per verb."""

from django.core.exceptions import ValidationError
from django.db import transaction

from vendors.models import Provider

from .choices import CandidateStatus, CriterionBasis, WorkItemStatus
from .models import Candidate, EvaluationCriterion, Score, WorkItem
from .readiness import readiness_problems
from .selectors import hard_gate_problems

DEFAULT_CRITERIA = [
    ("Industry familiarity", 25, CriterionBasis.INDUSTRY),
    ("Security & quality", 25, CriterionBasis.CERTIFICATIONS),
    ("Delivery fit", 15, CriterionBasis.DELIVERY),
    ("Cost", 20, CriterionBasis.MANUAL),
    ("References", 15, CriterionBasis.MANUAL),
]

# A work item that passed its readiness check can be piloted; a scaled one again, with another
# provider or for another share.
PILOTABLE_STATUSES = {WorkItemStatus.READY, WorkItemStatus.SOURCING, WorkItemStatus.PILOTING, WorkItemStatus.SCALED}


def _set_status(work_item: WorkItem, status: str, reason: str) -> WorkItem:
    work_item.status = status
    work_item._change_reason = reason
    work_item.full_clean()
    work_item.save()
    return work_item


@transaction.atomic
def work_item_mark_ready(*, work_item: WorkItem) -> WorkItem:
    """Draft → ready, only when the readiness check finds no problem."""
    if work_item.status != WorkItemStatus.DRAFT:
        raise ValidationError(
            f"Only a draft work item can be marked ready; this one is {work_item.get_status_display()}."
        )
    problems = readiness_problems(work_item)
    if problems:
        raise ValidationError(problems)
    return _set_status(work_item, WorkItemStatus.READY, "Marked ready")


@transaction.atomic
def work_item_start_piloting(*, work_item: WorkItem) -> WorkItem:
    """Called when a pilot of the item starts: the item is now being proven."""
    if work_item.status in {WorkItemStatus.PILOTING, WorkItemStatus.SCALED}:
        return work_item
    if work_item.status not in PILOTABLE_STATUSES:
        raise ValidationError(
            f"'{work_item}' is {work_item.get_status_display()}; only a ready or sourcing work item can be piloted."
        )
    return _set_status(work_item, WorkItemStatus.PILOTING, "Pilot started")


@transaction.atomic
def work_item_apply_default_criteria(*, work_item: WorkItem) -> list[EvaluationCriterion]:
    """Give a work item the standard weighted criteria (totalling 100) unless it already has its own."""
    if work_item.criteria.exists():
        return list(work_item.criteria.all())
    return EvaluationCriterion.objects.bulk_create(
        EvaluationCriterion(work_item=work_item, name=name, weight=weight, basis=basis)
        for name, weight, basis in DEFAULT_CRITERIA
    )


def criteria_weight_problem(weights: list[int]) -> str | None:
    """The weights of one work item's criteria must total 100; None when they do."""
    total = sum(weights)
    if weights and total != 100:
        return f"The weights total {total}; they must total 100."
    return None


# --- Sourcing ----------------------------------------------------------------------------------

CANDIDATE_MOVES = {
    CandidateStatus.LONG_LIST: {CandidateStatus.SHORTLISTED, CandidateStatus.REJECTED},
    CandidateStatus.SHORTLISTED: {CandidateStatus.SELECTED, CandidateStatus.REJECTED, CandidateStatus.LONG_LIST},
    CandidateStatus.REJECTED: {CandidateStatus.LONG_LIST},
    CandidateStatus.SELECTED: {CandidateStatus.SHORTLISTED},
}
SOURCEABLE_STATUSES = {WorkItemStatus.READY, WorkItemStatus.SOURCING, WorkItemStatus.PILOTING, WorkItemStatus.SCALED}


@transaction.atomic
def candidate_add(*, work_item: WorkItem, provider: Provider, notes: str = "", by=None) -> Candidate:
    """Put a provider on the work item's long list; a ready work item is now being sourced."""
    if work_item.status not in SOURCEABLE_STATUSES:
        raise ValidationError(
            f"'{work_item}' is {work_item.get_status_display().lower()}: fix its readiness problems and mark it "
            "ready before sourcing providers."
        )
    if Candidate.objects.filter(work_item=work_item, provider=provider).exists():
        raise ValidationError(f"{provider} is already a candidate for '{work_item}'.")
    candidate = Candidate(work_item=work_item, provider=provider, notes=notes, status=CandidateStatus.LONG_LIST)
    candidate._history_user = by
    candidate.full_clean()
    candidate.save()
    if work_item.status == WorkItemStatus.READY:
        _set_status(work_item, WorkItemStatus.SOURCING, "Sourcing started")
    return candidate


@transaction.atomic
def candidate_set_status(*, candidate: Candidate, status: str, by=None, notes: str | None = None) -> Candidate:
    """Move a candidate along long list → shortlisted → selected (or rejected). Shortlisting and
    selecting need a provider that passes the hard gates; only one candidate is selected."""
    candidate = Candidate.objects.select_for_update().select_related("provider", "work_item").get(pk=candidate.pk)
    if status not in CANDIDATE_MOVES.get(candidate.status, set()):
        raise ValidationError(
            f"{candidate.provider} is {candidate.get_status_display().lower()}; it cannot move to "
            f"{CandidateStatus(status).label.lower() if status in CandidateStatus.values else status}."
        )
    if status in {CandidateStatus.SHORTLISTED, CandidateStatus.SELECTED}:
        problems = hard_gate_problems(
            provider=candidate.provider, work_item=candidate.work_item, valid_through=None, for_sourcing=True
        )
        if problems:
            raise ValidationError([f"{candidate.provider} fails a hard gate:", *problems])
    if status == CandidateStatus.SELECTED:
        other = candidate.work_item.candidates.filter(status=CandidateStatus.SELECTED).exclude(pk=candidate.pk).first()
        if other:
            raise ValidationError(f"{other.provider} is already selected; move it back to the shortlist first.")
    candidate.status = status
    if notes is not None:
        candidate.notes = notes
    candidate._history_user = by
    candidate._change_reason = CandidateStatus(status).label
    candidate.full_clean()
    candidate.save()
    return candidate


@transaction.atomic
def score_record(
    *, candidate: Candidate, criterion: EvaluationCriterion, evaluator, value: int, comment: str = ""
) -> Score:
    """One evaluator's 1–5 score of a candidate on a manual criterion; scoring again replaces it."""
    if criterion.basis != CriterionBasis.MANUAL:
        raise ValidationError(f"'{criterion.name}' is computed from the provider's data, not scored by hand.")
    score = Score.objects.filter(candidate=candidate, criterion=criterion, evaluator=evaluator).first()
    if score is None:
        score = Score(candidate=candidate, criterion=criterion, evaluator=evaluator)
    score.value, score.comment = value, comment
    score._history_user = evaluator
    score.full_clean()
    score.save()
    return score
