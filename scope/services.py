"""State changes of work items and their sourcing; one function per verb."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from config.lifecycle import save_status
from vendors.models import Provider
from vendors.services import provider_shortlist_for

from .choices import CandidateStatus, CriterionBasis, WorkItemStatus
from .lifecycle import CANDIDATE, GATED_MOVES, SOURCEABLE, WORK_ITEM, candidate_action_to
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


def _set_status(work_item: WorkItem, status: str, reason: str, by=None) -> WorkItem:
    return save_status(work_item, status=status, by=by, reason=reason)


def _locked(work_item: WorkItem) -> WorkItem:
    return WorkItem.objects.select_for_update().get(pk=work_item.pk)


@transaction.atomic
def work_item_mark_ready(*, work_item: WorkItem, by=None) -> WorkItem:
    """Draft → ready, only when the readiness check finds no problem."""
    work_item = _locked(work_item)
    WORK_ITEM.require("mark_ready", work_item)
    problems = readiness_problems(work_item)
    if problems:
        raise ValidationError(problems)
    return _set_status(work_item, WorkItemStatus.READY, "Marked ready", by)


def work_item_readiness_kept(*, work_item: WorkItem) -> None:
    """A work item past its readiness check stays specific and measured: an edit that brings a
    readiness problem back is refused with it (a draft may have problems; that is what drafts are)."""
    if work_item.status in (WorkItemStatus.DRAFT, WorkItemStatus.RETIRED):
        return
    problems = readiness_problems(
        WorkItem.objects.prefetch_related("success_metrics", "required_certifications").get(pk=work_item.pk)
    )
    if problems:
        raise ValidationError(
            [
                f"'{work_item}' is {work_item.get_status_display().lower()}, so it must stay ready for sourcing:",
                *problems,
            ]
        )


@transaction.atomic
def work_item_perform(*, work_item: WorkItem, action: str, by=None) -> WorkItem:
    """A transition people make on a work item: mark ready, retire, reopen."""
    if action not in WORK_ITEM or not WORK_ITEM[action].manual:
        raise ValidationError(f"There is no work item action called '{action}'.")
    if action == "mark_ready":
        return work_item_mark_ready(work_item=work_item, by=by)
    work_item = _locked(work_item)
    transition = WORK_ITEM.require(action, work_item)
    return _set_status(work_item, transition.target, transition.done.capitalize(), by)


def _follow(work_item: WorkItem, action: str, *, by, cause: str) -> WorkItem:
    """Take a transition that follows from sourcing or a pilot when the item's status allows it."""
    work_item = _locked(work_item)
    if WORK_ITEM.allows(action, work_item.status):
        _set_status(work_item, WORK_ITEM[action].target, cause, by)
    return work_item


@transaction.atomic
def work_item_start_piloting(*, work_item: WorkItem, by=None, cause: str = "Pilot started") -> WorkItem:
    """A pilot of the item started: the item is now being proven (a scaled one stays scaled)."""
    work_item = _locked(work_item)
    if work_item.status not in SOURCEABLE:
        raise ValidationError(
            f"'{work_item}' is {work_item.get_status_display().lower()}; only a ready or sourcing work item can be "
            "piloted."
        )
    return _follow(work_item, "start_piloting", by=by, cause=cause)


@transaction.atomic
def work_item_resume_sourcing(*, work_item: WorkItem, by=None, cause: str) -> WorkItem:
    """A pilot of the item stopped and no other pilot proves it: look for a provider again."""
    return _follow(work_item, "resume_sourcing", by=by, cause=cause)


@transaction.atomic
def work_item_scale(*, work_item: WorkItem, by=None, cause: str) -> WorkItem:
    """The item's last stage closed as a success: the work is outsourced at scale."""
    return _follow(work_item, "scale", by=by, cause=cause)


@transaction.atomic
def work_item_apply_default_criteria(*, work_item: WorkItem) -> list[EvaluationCriterion]:
    """Give a work item the standard weighted criteria (totalling 100) unless it already has its own."""
    if work_item.criteria.exists():
        return list(work_item.criteria.all())
    return EvaluationCriterion.objects.bulk_create(
        EvaluationCriterion(work_item=work_item, name=name, weight=weight, basis=basis)
        for name, weight, basis in DEFAULT_CRITERIA
    )


def criteria_weight_problem(weights: list[int], *, had_criteria: bool = False) -> str | None:
    """The weights of a work item's criteria total 100, and criteria once set are not all removed
    (evaluators' scores hang on them); None when all is well."""
    if not weights:
        if had_criteria:
            return "Keep at least one criterion: candidates are compared on them, with weights totalling 100."
        return None
    total = sum(weights)
    if total != 100:
        return f"The weights total {total}; they must total 100."
    return None


def criteria_removal_problem(criteria) -> str | None:
    """Removing a criterion would delete the evaluators' scores on it: refused, with why."""
    for criterion in criteria:
        scored = criterion.pk and criterion.scores.count()
        if scored:
            return (
                f"'{criterion.name}' has {scored} score{'s' if scored != 1 else ''} from evaluators; "
                "removing it would delete them. Set its weight lower instead, or ask an administrator."
            )
    return None


def criteria_check_total(*, work_item: WorkItem) -> None:
    """Read back a work item's stored weights (inside the transaction that wrote them, the work
    item locked) and refuse the change unless they total 100."""
    weights = list(work_item.criteria.values_list("weight", flat=True))
    problem = criteria_weight_problem(weights, had_criteria=True)
    if problem:
        raise ValidationError(problem)


# --- Sourcing ----------------------------------------------------------------------------------


def candidate_add_problem(*, work_item: WorkItem, provider: Provider) -> str | None:
    """Why `provider` cannot go on the work item's long list (used by the service and by forms)."""
    if work_item.status not in SOURCEABLE:
        return (
            f"'{work_item}' is {work_item.get_status_display().lower()}: fix its readiness problems and mark it "
            "ready before sourcing providers."
        )
    if Candidate.objects.filter(work_item=work_item, provider=provider).exists():
        return f"{provider} is already a candidate for '{work_item}'."
    if provider.is_blocked:
        return f"{provider} is blocked and cannot be sourced: {provider.blocked_reason}"
    return None


@transaction.atomic
def candidate_add(*, work_item: WorkItem, provider: Provider, notes: str = "", by=None) -> Candidate:
    """Put a provider on the work item's long list; a ready work item is now being sourced."""
    # The work item's row is the lock: a double submit takes its turn and is told the provider
    # is on the list already, instead of failing on the unique constraint.
    work_item = WorkItem.objects.select_for_update().get(pk=work_item.pk)
    problem = candidate_add_problem(work_item=work_item, provider=provider)
    if problem:
        raise ValidationError(problem)
    candidate = Candidate(work_item=work_item, provider=provider, notes=notes, status=CandidateStatus.LONG_LIST)
    candidate._history_user = by
    candidate.full_clean()
    candidate.save()
    _follow(work_item, "start_sourcing", by=by, cause=f"Sourcing started: {provider} on the long list")
    return candidate


@transaction.atomic
def candidate_set_status(
    *,
    candidate: Candidate,
    status: str,
    by=None,
    notes: str | None = None,
    valid_through: datetime.date | None = None,
) -> Candidate:
    """Move a candidate along long list → shortlisted → selected (or rejected). Shortlisting and
    selecting need a provider that passes the hard gates; only one candidate is selected."""
    candidate = Candidate.objects.select_for_update().select_related("provider", "work_item").get(pk=candidate.pk)
    action = candidate_action_to(candidate.status, status)
    if action is None:
        raise ValidationError(
            f"{candidate.provider} is {candidate.get_status_display().lower()}; it cannot move to "
            f"{CandidateStatus(status).label.lower() if status in CandidateStatus.values else status}."
        )
    if action in GATED_MOVES:  # moving a candidate back or out is never gated
        candidate_gate_check(candidate=candidate, doing=CANDIDATE[action].label.lower(), valid_through=valid_through)
    if status == CandidateStatus.SELECTED:
        other = candidate.work_item.candidates.filter(status=CandidateStatus.SELECTED).exclude(pk=candidate.pk).first()
        if other:
            raise ValidationError(f"{other.provider} is already selected; move it back to the shortlist first.")
    candidate.status = status
    if notes is not None:
        candidate.notes = notes
    candidate._history_user = by
    candidate._change_reason = CANDIDATE[action].done.capitalize()
    candidate.full_clean()
    candidate.save()
    if status == CandidateStatus.SHORTLISTED:
        provider_shortlist_for(provider=candidate.provider, by=by, cause=f"Shortlisted for '{candidate.work_item}'")
    return candidate


def candidate_gate_check(*, candidate: Candidate, doing: str, valid_through: datetime.date | None = None) -> None:
    """Refuse `doing` (shortlist, select, score) for a candidate that fails a hard gate, with the reasons;
    certificates must hold through `valid_through` (the planned pilot end the sourcing page checked)."""
    problems = hard_gate_problems(
        provider=candidate.provider, work_item=candidate.work_item, valid_through=valid_through, for_sourcing=True
    )
    if problems:
        raise ValidationError([f"{candidate.provider} fails a hard gate, so you cannot {doing} it:", *problems])


def score_check(*, candidate: Candidate, criterion: EvaluationCriterion) -> None:
    """Refuse a score the rules do not allow, with the reasons (used by the service and by forms)."""
    if criterion.basis != CriterionBasis.MANUAL:
        raise ValidationError(f"'{criterion.name}' is computed from the provider's data, not scored by hand.")
    if criterion.work_item_id != candidate.work_item_id:
        raise ValidationError({"criterion": "Pick a criterion of the candidate's own work item."})
    if candidate.status == CandidateStatus.REJECTED:
        raise ValidationError(f"{candidate.provider} was rejected; move it back to the long list to score it.")
    candidate_gate_check(candidate=candidate, doing="score")


@transaction.atomic
def score_record(
    *, candidate: Candidate, criterion: EvaluationCriterion, evaluator, value: int, comment: str = ""
) -> Score:
    """One evaluator's 1–5 score of a candidate on a manual criterion; scoring again replaces it.
    Only an eligible candidate, not rejected, is scored."""
    if not isinstance(value, int) or not 1 <= value <= 5:
        raise ValidationError({"value": "A score is from 1 to 5."})
    score_check(candidate=candidate, criterion=criterion)
    # The work item's row is the lock the criteria editor holds too: a score never lands on a
    # criterion being removed, and double submits take turns.
    WorkItem.objects.select_for_update().filter(pk=candidate.work_item_id).first()
    score = Score.objects.filter(candidate=candidate, criterion=criterion, evaluator=evaluator).first()
    if score is None:
        score = Score(candidate=candidate, criterion=criterion, evaluator=evaluator)
    score.value, score.comment = value, comment
    score._history_user = evaluator
    score.full_clean()
    score.save()
    return score
