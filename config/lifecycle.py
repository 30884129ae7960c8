"""The shape every app's `lifecycle.py` takes: statuses move only through named transitions.

Each app declares its transitions (action, from, to, label) and status groups once; services,
views, the admin, tables, templates and jobs read them from there.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError


@dataclass(frozen=True)
class Transition:
    """A named action that moves a record from one of `sources` to `target` (None: the service
    decides, e.g. a decision's outcome)."""

    action: str
    sources: frozenset[str]
    target: str | None
    label: str  # what a button says
    done: str  # what happened, for messages and history: "started"
    manual: bool = True  # offered to people; False when only another service moves it


class Lifecycle:
    """The transitions of one model's status, looked up by action."""

    def __init__(self, status_choices, transitions: Iterable[Transition]):
        self.status_choices = status_choices
        self.transitions = {t.action: t for t in transitions}

    def __getitem__(self, action: str) -> Transition:
        return self.transitions[action]

    def __contains__(self, action: str) -> bool:
        return action in self.transitions

    def label(self, status: str) -> str:
        return self.status_choices(status).label

    def available(self, status: str) -> list[Transition]:
        """The transitions people may take from `status` (their own preconditions still apply)."""
        return [t for t in self.transitions.values() if status in t.sources and t.manual]

    def reachable(self, start: str) -> frozenset[str]:
        """The statuses people can bring a record to from `start` with their own actions."""
        found, frontier = {start}, [start]
        while frontier:
            status = frontier.pop()
            for transition in self.available(status):
                if transition.target is not None and transition.target not in found:
                    found.add(transition.target)
                    frontier.append(transition.target)
        return frozenset(found)

    def allows(self, action: str, status: str) -> bool:
        return action in self.transitions and status in self.transitions[action].sources

    def require(self, action: str, record) -> Transition:
        """The transition, or a ValidationError saying which statuses allow it."""
        transition = self.transitions[action]
        if record.status not in transition.sources:
            allowed = " or ".join(sorted(self.label(s).lower() for s in transition.sources))
            raise ValidationError(
                f"'{record}' is {self.label(record.status).lower()}; it can be {transition.done} only when {allowed}."
            )
        return transition


# The history keeps a reason of at most this many characters.
REASON_LENGTH = 100


def save_status(record, *, status: str, by, reason: str):
    """Give `record` its new status and save it, with who and why in its history."""
    record.status = status
    record._history_user = by
    record._change_reason = reason[:REASON_LENGTH]
    record.full_clean()
    record.save()
    return record
