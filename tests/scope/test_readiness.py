import pytest

from scope.choices import DataSensitivity
from scope.readiness import readiness_problems, vague_title_problem
from tests.factories import CertificationTypeFactory, SuccessMetricFactory, WorkItemFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "title",
    [
        "Finance work",
        "finance",
        "Data reports",
        "HR support",
        "Customer service",
        "IT stuff",
        "Back office processing",
        "Marketing tasks and activities",
        "Payroll",
        "Legal",
        "  ",
    ],
)
def test_vague_titles_are_refused_with_a_suggestion(title):
    problem = vague_title_problem(title)
    assert problem is not None
    assert "e.g. 'invoice validation and vendor helpdesk'" in problem


@pytest.mark.parametrize(
    "title",
    [
        "Invoice validation and vendor helpdesk",
        "Tier-1 chat support for online order questions",
        "Monthly payroll processing for 3,000 hourly staff",
        "Competitor pricing research for grocery categories",
        "Contract clause extraction",
        "Invoice validation",
    ],
)
def test_specific_titles_pass(title):
    assert vague_title_problem(title) is None


def test_single_activity_word_asks_for_more():
    assert "single word" in vague_title_problem("Invoicing")


def test_department_title_message_names_the_title():
    assert vague_title_problem("Finance work").startswith("'Finance work' names a department or category")


def ready_item(**kwargs):
    item = WorkItemFactory(**kwargs)
    SuccessMetricFactory(work_item=item)
    return item


def test_a_specific_measured_item_has_no_problems():
    assert readiness_problems(ready_item()) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"monthly_volume": None}, "monthly volume"),
        ({"volume_unit": ""}, "monthly volume"),
        ({"data_sensitivity": ""}, "data sensitivity"),
        ({"data_sensitivity": DataSensitivity.REGULATED}, "Regulated data needs at least one required security"),
        ({"title": "Data reports"}, "names a department or category"),
    ],
)
def test_each_missing_part_is_reported_alone(changes, expected):
    item = ready_item(**changes)
    problems = readiness_problems(item)
    assert len(problems) == 1
    assert expected in problems[0]


def test_metric_without_target_does_not_count():
    item = WorkItemFactory()
    SuccessMetricFactory(work_item=item, target=None)
    problems = readiness_problems(item)
    assert problems == [
        f"No success metric has a target yet ({item.success_metrics.get().name}): set at least one target "
        "(e.g. accuracy ≥ 99%) so a pilot can be judged."
    ]


def test_regulated_item_with_a_required_certification_is_ready():
    item = ready_item(data_sensitivity=DataSensitivity.REGULATED)
    item.required_certifications.add(CertificationTypeFactory(code="HIPAA", category="privacy"))
    assert readiness_problems(item) == []


def test_regulated_data_needs_a_security_or_privacy_certification_not_a_quality_one():
    item = ready_item(data_sensitivity=DataSensitivity.REGULATED)
    item.required_certifications.add(CertificationTypeFactory(code="ISO9001-X", category="quality"))
    assert readiness_problems(item) == [
        "Regulated data needs a security or privacy certification; the required ISO9001-X is a quality "
        "certification: add one such as ISO 27001, PCI DSS or HIPAA."
    ]
    item.required_certifications.add(CertificationTypeFactory(code="ISO27001-X", category="security"))
    assert readiness_problems(item) == []


@pytest.mark.parametrize(
    "title",
    [
        "Finance work 2026",
        "Urgent finance work",
        "Finance work for Q3",
        "New finance work (ongoing)",
        "General HR support stuff",
        "Monthly data reports",
        "Customer service - priority project",
    ],
)
def test_padding_a_vague_title_does_not_make_it_specific(title):
    assert "names a department or category" in vague_title_problem(title)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"monthly_volume": None}, "Give the monthly volume of invoices (e.g. 12,000)"),
        ({"volume_unit": ""}, "Say what the monthly volume of 12,000 counts"),
        ({"monthly_volume": None, "volume_unit": ""}, "Give a monthly volume and what it counts"),
    ],
)
def test_volume_messages_name_what_is_missing(changes, expected):
    item = ready_item(**{"monthly_volume": 12000, "volume_unit": "invoices", **changes})
    assert next(p for p in readiness_problems(item) if "volume" in p).startswith(expected)


def test_two_words_with_one_activity_are_asked_for_more_without_calling_them_one_word():
    problem = vague_title_problem("Reconciliation stuff")
    assert "names only one thing that is done ('reconciliation')" in problem


def test_unsaved_item_lists_every_problem():
    from scope.models import WorkItem

    problems = readiness_problems(WorkItem(title="Finance work", kind="process"))
    assert len(problems) == 4
