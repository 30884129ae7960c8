"""A pilot's statuses, the named actions that move it and the groups the rest of the code asks
about. Services, views, the admin, tables, templates, selectors, jobs and the digest read them here.

planned → running ↔ paused; running → in review → (decision) passed | failed | running (extended);
passed → expanded | closed; failed → closed.
"""

from config.lifecycle import Lifecycle, Transition

from .choices import PilotStatus

S = PilotStatus

LIFECYCLE = Lifecycle(
    PilotStatus,
    [
        Transition("start", frozenset({S.PLANNED}), S.RUNNING, "Start", "started"),
        Transition("pause", frozenset({S.RUNNING}), S.PAUSED, "Pause", "paused"),
        Transition("resume", frozenset({S.PAUSED}), S.RUNNING, "Resume", "resumed"),
        Transition(
            "submit_for_review", frozenset({S.RUNNING}), S.IN_REVIEW, "Submit for review", "submitted for review"
        ),
        # expand → passed, stop → failed, extend → running with a later decision date
        Transition("decide", frozenset({S.IN_REVIEW}), None, "Record decision", "decided"),
        Transition("expand", frozenset({S.PASSED}), S.EXPANDED, "Expand to next stage", "expanded"),
        Transition("close", frozenset({S.PASSED, S.FAILED}), S.CLOSED, "Close", "closed"),
    ],
)

NOT_STARTED = (S.PLANNED,)
# Under way: started and not yet decided. These are the pilots people are watching.
UNDER_WAY = (S.RUNNING, S.PAUSED, S.IN_REVIEW)
# Open: not finished — planned or under way (their providers' certificates still matter).
OPEN = NOT_STARTED + UNDER_WAY
# Kept in step by the evaluation job; a paused pilot keeps the flags it had.
EVALUATED = (S.RUNNING, S.IN_REVIEW)
# Measurements are recorded while a pilot is under way.
RECORDABLE = UNDER_WAY
# Still holding its provider and work items: under way, or passed and about to grow or close.
HOLDING = (*UNDER_WAY, S.PASSED)
# A decision was recorded (or followed from one).
DECIDED = (S.PASSED, S.FAILED, S.EXPANDED, S.CLOSED)
# Nobody is watching any more: their flags are resolved.
FINISHED = (S.FAILED, S.EXPANDED, S.CLOSED)
