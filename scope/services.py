"""State changes of work items and their sourcing; one function per verb."""

from django.core.exceptions import ValidationError
from django.db import transaction

from .choices import CriterionBasis, WorkItemStatus
from .models import EvaluationCriterion, WorkItem
from .readiness import readiness_problems

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
