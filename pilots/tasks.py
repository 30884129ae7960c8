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
from .notifications import email_owner_about_flag

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, soft_time_limit=600, time_limit=660)
def evaluate_all_pilots() -> dict:
    """Split the pilots under way into chunks that workers evaluate in parallel."""
    ids = list(Pilot.objects.filter(status__in=EVALUATED).order_by("pk").values_list("pk", flat=True))
    resolved = resolve_flags_of_finished_pilots()
    size = settings.EVALUATION_CHUNK_SIZE
    chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
    if chunks:
        group(evaluate_pilot_chunk.s(chunk) for chunk in chunks).apply_async()
    return {"pilots": len(ids), "chunks": len(chunks), "resolved_finished": resolved}


@shared_task(acks_late=True, soft_time_limit=300, time_limit=330)
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


@shared_task(
    acks_late=True, soft_time_limit=120, time_limit=150, autoretry_for=(OSError,), retry_backoff=True, max_retries=5
)
def email_flag_owners(flag_ids: list[int]) -> dict:
    sent = sum(email_owner_about_flag(flag_id=flag_id) for flag_id in flag_ids)
    return {"sent": sent}


@shared_task(bind=True, acks_late=True, soft_time_limit=1800, time_limit=1900, max_retries=5)
def send_weekly_digests(self, user_ids: list[int] | None = None, week_start: str | None = None) -> dict:
    """Send this week's digests; recipients whose send failed are retried with growing delays."""
    week = datetime.date.fromisoformat(week_start) if week_start else week_start_for()
    run = digest.send_weekly_digests(week_start=week, user_ids=user_ids)
    if run.failed_user_ids and self.request.retries < self.max_retries:
        raise self.retry(
            kwargs={"user_ids": run.failed_user_ids, "week_start": week.isoformat()},
            countdown=60 * 2**self.request.retries,
        )
    return run.as_dict()
