"""Statuses of work items and candidates, the named actions that move them and their groups.

Work item: draft → ready → sourcing → piloting → scaled; a stopped pilot sends it back to sourcing;
any item may be retired. Candidate: long list → shortlisted → selected, or rejected.
"""

from config.lifecycle import Lifecycle, Transition

from .choices import CandidateStatus, WorkItemStatus

W = WorkItemStatus
C = CandidateStatus

WORK_ITEM = Lifecycle(
    WorkItemStatus,
    [
        Transition("mark_ready", frozenset({W.DRAFT}), W.READY, "Mark ready for sourcing", "marked ready"),
        Transition("start_sourcing", frozenset({W.READY}), W.SOURCING, "Start sourcing", "sent to sourcing", False),
        Transition(
            "start_piloting", frozenset({W.READY, W.SOURCING}), W.PILOTING, "Start piloting", "piloted", manual=False
        ),
        Transition("resume_sourcing", frozenset({W.PILOTING}), W.SOURCING, "Back to sourcing", "sent back", False),
        Transition("scale", frozenset({W.PILOTING}), W.SCALED, "Scale", "scaled", manual=False),
        Transition(
            "retire",
            frozenset({W.DRAFT, W.READY, W.SOURCING, W.SCALED}),
            W.RETIRED,
            "Retire",
            "retired",
        ),
        Transition("reopen", frozenset({W.RETIRED}), W.DRAFT, "Reopen as draft", "reopened"),
    ],
)

# Passed the readiness check: may be sourced and piloted (a scaled one again, for another share).
PILOTABLE = (W.READY, W.SOURCING, W.PILOTING, W.SCALED)
SOURCEABLE = PILOTABLE

CANDIDATE = Lifecycle(
    CandidateStatus,
    [
        Transition("shortlist", frozenset({C.LONG_LIST}), C.SHORTLISTED, "Shortlist", "shortlisted"),
        Transition("select", frozenset({C.SHORTLISTED}), C.SELECTED, "Select", "selected"),
        Transition("reject", frozenset({C.LONG_LIST, C.SHORTLISTED, C.SELECTED}), C.REJECTED, "Reject", "rejected"),
        Transition(
            "back_to_long_list",
            frozenset({C.SHORTLISTED, C.REJECTED}),
            C.LONG_LIST,
            "Back to long list",
            "moved back to the long list",
        ),
        Transition("deselect", frozenset({C.SELECTED}), C.SHORTLISTED, "Back to shortlist", "moved back"),
    ],
)

# Moves that need the provider to pass the hard gates (moving back or out never does).
GATED_MOVES = ("shortlist", "select")


def candidate_action_to(source: str, target: str) -> str | None:
    """The candidate action that moves `source` to `target`, if any."""
    for transition in CANDIDATE.transitions.values():
        if source in transition.sources and transition.target == target:
            return transition.action
    return None
