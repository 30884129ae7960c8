"""The readiness check: what stops a work item from going to sourcing, in words a user can act on.

A pure function of the work item and its related rows; it writes nothing, so pages, services and
the admin can all call it.
"""

import re

from vendors.choices import CertificationCategory

from .choices import DataSensitivity

# Certifications that protect data; a quality certification (ISO 9001, COPC) does not.
DATA_PROTECTING_CATEGORIES = (CertificationCategory.SECURITY, CertificationCategory.PRIVACY)

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
# Words that pad a title without saying what is done: urgency, novelty, time, vague quantity.
PADDING_WORDS = frozenset(
    """
    urgent asap new old current ongoing general generic miscellaneous adhoc hoc overall total full
    complete whole basic standard regular routine core main key important priority project programme
    program initiative stuff bits pieces needs please help support things items q1 q2 q3 q4 h1 h2 fy
    daily weekly monthly quarterly yearly annual annually year years month months week weeks
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec next this last tbd tba needed need needs phase stage
    whatever continued continuing continue everyone everybody everything anything something across region
    regional global local emea apac amer latam europe group company companies wide urgently quickly
    per various assorted etc also plus more other others additional extra
    """.split()
)
MIN_SPECIFIC_WORDS = 2

EXAMPLE_SPECIFIC_TITLE = "invoice validation and vendor helpdesk"


def _words(title: str) -> list[str]:
    """The title's words; numbers and one- or two-letter fragments say nothing about the work."""
    return [w for w in re.findall(r"[a-z]+", title.lower()) if len(w) > 2 or w in {"hr", "it", "ap", "ar"}]


def vague_title_problem(title: str) -> str | None:
    """A sentence explaining why the title is too vague, or None when it names a specific process."""
    stripped = title.strip()
    if not stripped:
        return "Give the work item a title that says what is done, e.g. 'invoice validation and vendor helpdesk'."
    words = _words(stripped)
    meaningful = [w for w in words if w not in FILLER_WORDS and w not in PADDING_WORDS]
    specific = [w for w in meaningful if w not in DEPARTMENT_WORDS]
    if not specific:
        padded = [w for w in words if w in PADDING_WORDS]
        padding = f" ('{' '.join(padded)}' does not change that)" if padded else ""
        return (
            f"'{stripped}' names a department or category, not a process{padding}: say what is done, "
            f"e.g. '{EXAMPLE_SPECIFIC_TITLE}'."
        )
    if len(meaningful) < MIN_SPECIFIC_WORDS:
        if len(words) <= 1:
            return f"'{stripped}' is a single word: say which activity and for whom, e.g. '{EXAMPLE_SPECIFIC_TITLE}'."
        return (
            f"'{stripped}' names only one thing that is done ('{specific[0]}'): say on what or for whom, "
            f"e.g. '{EXAMPLE_SPECIFIC_TITLE}'."
        )
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
    has_volume, has_unit = bool(work_item.monthly_volume), bool((work_item.volume_unit or "").strip())
    if not has_volume and not has_unit:
        problems.append(
            "Give a monthly volume and what it counts (e.g. 12,000 invoices) so providers can staff and price it."
        )
    elif not has_volume:
        problems.append(
            f"Give the monthly volume of {work_item.volume_unit.strip()} (e.g. 12,000) so providers can staff and "
            "price it."
        )
    elif not has_unit:
        problems.append(
            f"Say what the monthly volume of {work_item.monthly_volume:,} counts (e.g. invoices or tickets)."
        )
    metrics = list(work_item.success_metrics.all()) if work_item.pk else []
    if not metrics:
        problems.append("Add at least one success metric with a target (e.g. accuracy ≥ 99%) so a pilot can be judged.")
    elif not any(m.target is not None for m in metrics):
        names = ", ".join(m.name for m in metrics)
        problems.append(
            f"No success metric has a target yet ({names}): set at least one target (e.g. accuracy ≥ 99%) so a "
            "pilot can be judged."
        )
    if not work_item.data_sensitivity:
        problems.append(
            "Choose the data sensitivity (public, internal, confidential or regulated): it decides the "
            "security a provider must prove."
        )
    elif work_item.data_sensitivity == DataSensitivity.REGULATED:
        required = list(work_item.required_certifications.all()) if work_item.pk else []
        protecting = [c for c in required if c.category in DATA_PROTECTING_CATEGORIES]
        if not required:
            problems.append(
                "Regulated data needs at least one required security or privacy certification "
                "(e.g. ISO 27001, PCI DSS or HIPAA)."
            )
        elif not protecting:
            codes = ", ".join(c.code for c in required)
            problems.append(
                f"Regulated data needs a security or privacy certification; the required {codes} "
                f"{'is a quality certification' if len(required) == 1 else 'are quality certifications'}: add "
                "one such as ISO 27001, PCI DSS or HIPAA."
            )
    return problems
