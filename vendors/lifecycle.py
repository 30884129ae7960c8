"""A provider's statuses and the named actions that move them.

People shortlist, block, unblock, offboard and reconsider; pilots move the rest: a pilot starting
makes its provider `piloting`, an expansion `approved`, a stage at full share `active`, and a stop
returns the provider to the status it had before the pilot.
"""

from config.lifecycle import Lifecycle, Transition

from .choices import ProviderStatus

P = ProviderStatus

LIFECYCLE = Lifecycle(
    ProviderStatus,
    [
        Transition("shortlist", frozenset({P.PROSPECT}), P.SHORTLISTED, "Mark shortlisted", "shortlisted"),
        Transition(
            "start_piloting", frozenset({P.PROSPECT, P.SHORTLISTED}), P.PILOTING, "Start piloting", "piloting", False
        ),
        Transition(
            "approve", frozenset({P.PROSPECT, P.SHORTLISTED, P.PILOTING}), P.APPROVED, "Approve", "approved", False
        ),
        Transition("activate", frozenset({P.APPROVED}), P.ACTIVE, "Mark active", "made active"),
        Transition("restore", frozenset({P.PILOTING}), None, "Restore", "restored", manual=False),
        Transition(
            "block",
            frozenset({P.PROSPECT, P.SHORTLISTED, P.PILOTING, P.APPROVED, P.ACTIVE, P.OFFBOARDED}),
            P.BLOCKED,
            "Block",
            "blocked",
        ),
        Transition("unblock", frozenset({P.BLOCKED}), P.PROSPECT, "Unblock", "unblocked"),
        Transition(
            "offboard",
            frozenset({P.PROSPECT, P.SHORTLISTED, P.PILOTING, P.APPROVED, P.ACTIVE}),
            P.OFFBOARDED,
            "Offboard",
            "offboarded",
        ),
        Transition("reconsider", frozenset({P.OFFBOARDED}), P.PROSPECT, "Reconsider", "reconsidered"),
    ],
)

# Statuses a provider had before a pilot made it `piloting`; a stop returns it to one of these.
BEFORE_PILOTING = (P.PROSPECT, P.SHORTLISTED)
# May start new pilots.
PILOTABLE = tuple(s for s in P.values if s != P.BLOCKED)
# A provider recorded for the first time (a spreadsheet import) may start in any status people could
# give a new provider with its own actions: prospect, shortlisted, blocked (with a reason), offboarded.
# Piloting, approved and active follow from pilots, so no cell can claim them; and an existing
# provider's status changes only through its actions, never by an import.
STARTING = LIFECYCLE.reachable(P.PROSPECT)
