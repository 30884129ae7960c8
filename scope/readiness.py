"""The readiness check: what stops a work item from going to sourcing, in words a user can act on.

A pure function of the work item and its related rows; it writes nothing, so pages, services and
the admin can all call it.
"""

import re

from .choices import DataSensitivity

# Words that name a department, a category or a kind of output, not an activity. A title made only
# of these ("finance work", "data reports", "HR support") does not say what a provider would do.
DEPARTMENT_WORDS = frozenset(
    """
    finance financial accounting accounts hr human resources people it tech technology marketing sales
    operations ops legal admin administration administrative back office front customer customers service
    services support helpdesk procurement purchasing compliance risk research analytics analysis data
    reporting reports report payroll tax treasury facilities logistics supply chain engineering product
    content creative digital business corporate general
    """.split()
)
FILLER_WORDS = frozenset(
    """
    work works task tasks stuff things thing activities activity job jobs process processes processing
    function functions team teams department departments misc miscellaneous various other related
    and or of for the a an to in our all some etc
    """.split()
)
MIN_SPECIFIC_WORDS = 2

EXAMPLE_SPECIFIC_TITLE = "invoice validation and vendor helpdesk"


def _words(title: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", title.lower())


def vague_title_problem(title: str) -> str | None:
    """A sentence explaining why the title is too vague, or None when it names a specific process."""
    stripped = title.strip()
    if not stripped:
        return "Give the work item a title that says what is done, e.g. 'invoice validation and vendor helpdesk'."
    words = _words(stripped)
    specific = [w for w in words if w not in DEPARTMENT_WORDS and w not in FILLER_WORDS]
    if not specific:
        return (
            f"'{stripped}' names a department or category, not a process: say what is done, "
            f"e.g. '{EXAMPLE_SPECIFIC_TITLE}'."
        )
    if len([w for w in words if w not in FILLER_WORDS]) < MIN_SPECIFIC_WORDS:
        return f"'{stripped}' is a single word: say which activity and for whom, e.g. '{EXAMPLE_SPECIFIC_TITLE}'."
    return None


def readiness_problems(work_item) -> list[str]:
    """Everything that keeps `work_item` from being ready for sourcing; empty when it is ready.

    Reads the item's success metrics and required certifications, so callers listing many items
    should prefetch `success_metrics` and `required_certifications`.
    """
    problems = []
    title_problem = vague_title_problem(work_item.title or "")
    if title_problem:
        problems.append(title_problem)
    if not work_item.monthly_volume or not (work_item.volume_unit or "").strip():
        problems.append(
            "Give a monthly volume and what it counts (e.g. 12,000 invoices) so providers can staff and price it."
        )
    if work_item.pk is None or not any(m.target is not None for m in work_item.success_metrics.all()):
        problems.append("Add at least one success metric with a target (e.g. accuracy ≥ 99%) so a pilot can be judged.")
    if not work_item.data_sensitivity:
        problems.append(
            "Choose the data sensitivity (public, internal, confidential or regulated): it decides the "
            "security a provider must prove."
        )
    elif work_item.data_sensitivity == DataSensitivity.REGULATED and (
        work_item.pk is None or not work_item.required_certifications.all()
    ):
        problems.append("Regulated data needs at least one required certification (e.g. ISO 27001, PCI DSS or HIPAA).")
    return problems
