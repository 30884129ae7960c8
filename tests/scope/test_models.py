import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from scope.choices import CandidateStatus, WorkItemStatus
from scope.services import work_item_apply_default_criteria, work_item_mark_ready
from tests.factories import (
    CandidateFactory,
    EvaluationCriterionFactory,
    ScoreFactory,
    ServiceLineFactory,
    SuccessMetricFactory,
    WorkItemFactory,
)
from vendors.choices import WorkKind

pytestmark = pytest.mark.django_db


def integrity_error(factory, **kwargs):
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**kwargs)


def test_volume_must_be_positive():
    integrity_error(WorkItemFactory, monthly_volume=0)


def test_service_line_must_match_the_kind():
    item = WorkItemFactory.build(kind=WorkKind.KNOWLEDGE, service_line=ServiceLineFactory(kind=WorkKind.PROCESS))
    with pytest.raises(ValidationError) as exc:
        item.full_clean()
    assert "pick a service line of the work item's kind" in exc.value.message_dict["service_line"][0]


def test_success_metric_names_unique_per_item():
    item = WorkItemFactory()
    SuccessMetricFactory(work_item=item, name="Accuracy")
    integrity_error(SuccessMetricFactory, work_item=item, name="Accuracy")


def test_candidate_once_per_item_and_one_selected():
    candidate = CandidateFactory(status=CandidateStatus.SELECTED)
    integrity_error(CandidateFactory, work_item=candidate.work_item, provider=candidate.provider)
    integrity_error(CandidateFactory, work_item=candidate.work_item, status=CandidateStatus.SELECTED)
    CandidateFactory(work_item=candidate.work_item, status=CandidateStatus.SHORTLISTED)


@pytest.mark.parametrize("weight", [0, 101])
def test_criterion_weight_between_1_and_100(weight):
    integrity_error(EvaluationCriterionFactory, weight=weight)


@pytest.mark.parametrize("value", [0, 6])
def test_score_between_1_and_5_in_database_and_form(value):
    integrity_error(ScoreFactory, value=value)
    score = ScoreFactory()
    score.value = value
    with pytest.raises(ValidationError) as exc:
        score.full_clean()
    assert "value" in exc.value.message_dict


def test_one_score_per_evaluator_criterion_and_candidate():
    score = ScoreFactory()
    integrity_error(ScoreFactory, candidate=score.candidate, criterion=score.criterion, evaluator=score.evaluator)


def test_score_criterion_must_belong_to_the_candidates_item():
    score = ScoreFactory()
    score.criterion = EvaluationCriterionFactory()
    with pytest.raises(ValidationError, match="candidate's own work item"):
        score.full_clean()


def test_mark_ready_refuses_with_the_problems_then_accepts():
    item = WorkItemFactory(title="Finance work")
    with pytest.raises(ValidationError) as exc:
        work_item_mark_ready(work_item=item)
    assert any("names a department" in m for m in exc.value.messages)
    item.title = "Supplier invoice validation"
    item.save()
    SuccessMetricFactory(work_item=item)
    work_item_mark_ready(work_item=item)
    item.refresh_from_db()
    assert item.status == WorkItemStatus.READY
    assert item.history.first().history_change_reason == "Marked ready"


def test_default_criteria_total_100():
    criteria = work_item_apply_default_criteria(work_item=WorkItemFactory())
    assert sum(c.weight for c in criteria) == 100
    assert len(criteria) == 5
