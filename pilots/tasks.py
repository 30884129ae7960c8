"""Celery tasks: thin wrappers that take ids and JSON values, call a service and return JSON."""

import datetime
import logging

from celery import group, shared_task
from django.conf import settings

from . import digest
from .digest import week_start_for
from .evaluation import evaluate_pilots, resolve_flags_of_finished_pilots
from .lifecycle import EVALUATED
from .models import Pilot
from .notifications import send_pending_owner_alerts

logger = logging.getLogger(__name__)


# Every task finishes well inside TASK_TIME_LIMIT, and the broker's visibility timeout is set from
# it (settings.broker_transport_options): a task whose worker died is delivered again within
# minutes, and a live one is never delivered twice. Every task is safe to run again.
LIMITS = {"soft_time_limit": settings.TASK_TIME_LIMIT - 15, "time_limit": settings.TASK_TIME_LIMIT}


@shared_task(acks_late=True, **LIMITS)
def evaluate_all_pilots() -> dict:
    """Split the pilots under way into chunks that workers evaluate in parallel."""
    ids = list(Pilot.objects.filter(status__in=EVALUATED).order_by("pk").values_list("pk", flat=True))
    resolved = resolve_flags_of_finished_pilots()
    size = settings.EVALUATION_CHUNK_SIZE
    chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
    if chunks:
        group(evaluate_pilot_chunk.s(chunk) for chunk in chunks).apply_async()
    return {"pilots": len(ids), "chunks": len(chunks), "resolved_finished": resolved}


@shared_task(acks_late=True, **LIMITS)
def evaluate_pilot_chunk(pilot_ids: list[int]) -> dict:
    return evaluate_pilots(pilot_ids=pilot_ids).as_dict()


def queue_pilot_evaluation(pilot_id: int) -> None:
    """Evaluate one pilot on a worker now (after a measurement was written). When the broker cannot
    take the task, evaluate here instead: one pilot is a few queries, and its flags must not wait."""
    try:
        evaluate_pilot_chunk.delay([pilot_id])
    except Exception as error:  # the broker is unreachable; the write has committed already
        logger.warning("Could not queue the evaluation of pilot %s (%s); evaluating now", pilot_id, error)
        evaluate_pilots(pilot_ids=[pilot_id])


@shared_task(acks_late=True, **LIMITS)
def send_owner_alerts() -> dict:
    """Send the owner alerts waiting in the outbox; beat runs it every minute as a sweep."""
    return send_pending_owner_alerts()


@shared_task(acks_late=True, **LIMITS)
def send_weekly_digests(user_ids: list[int] | None = None, week_start: str | None = None) -> dict:
    """Send this week's digests; a failed or abandoned one is taken again by `resume_weekly_digests`."""
    week = datetime.date.fromisoformat(week_start) if week_start else week_start_for()
    return digest.send_weekly_digests(week_start=week, user_ids=user_ids).as_dict()


@shared_task(acks_late=True, **LIMITS)
def resume_weekly_digests() -> dict:
    """Every few minutes: this week's digests that failed or whose sender died are sent again."""
    week = week_start_for()
    user_ids = digest.unfinished_deliveries(week_start=week)
    if not user_ids:
        return {"resumed": 0}
    return digest.send_weekly_digests(week_start=week, user_ids=user_ids).as_dict()
