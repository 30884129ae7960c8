import pytest
from django.conf import settings
from django.utils import timezone

from config.celery import app
from pilots.choices import FlagKind, Severity
from pilots.models import Flag
from tests.worker import celery_worker, wait_for

from .helpers import measure_weeks, metric, running_pilot


def test_beat_runs_the_evaluation_hourly_by_default():
    entry = settings.CELERY_BEAT_SCHEDULE["evaluate-pilots"]
    assert entry["task"] == "pilots.tasks.evaluate_all_pilots"
    assert entry["task"] in app.tasks
    schedule = entry["schedule"]
    assert schedule.minute == {0}
    assert schedule.hour == set(range(24))


def test_tasks_take_ids_and_are_acknowledged_late():
    from pilots import tasks

    for task in (
        tasks.evaluate_all_pilots,
        tasks.evaluate_pilot_chunk,
        tasks.send_owner_alerts,
        tasks.send_weekly_digests,
    ):
        assert task.acks_late is True
        assert task.time_limit and task.soft_time_limit


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_evaluates_pilots_in_chunks_and_emails_owners(tmp_path):
    today = timezone.localdate()
    pilots = []
    for _ in range(12):
        pilot = running_pilot(today=today)
        m = metric(pilot, critical=True)
        measure_weeks(m, today=today, values=["80", "80", "80"])  # misses its critical target
        pilots.append(pilot)
    assert not Flag.objects.exists()
    from pilots.tasks import evaluate_all_pilots

    with celery_worker(EVALUATION_CHUNK_SIZE=5, TEST_EMAIL_URL=f"filemail://{tmp_path}"):
        evaluate_all_pilots.delay()
        flagged = wait_for(
            lambda: Flag.objects.filter(kind=FlagKind.TARGET_MISSED, severity=Severity.CRITICAL).count() == 12
        )
        assert flagged, f"{Flag.objects.count()} flags after waiting"
        mailed = wait_for(lambda: Flag.objects.filter(owner_notified_at__isnull=False).count() == 12)
        assert mailed
        emails = wait_for(lambda: len(list(tmp_path.iterdir())) >= 1)
        assert emails
    text = "".join(path.read_text() for path in tmp_path.iterdir())
    for pilot in pilots:
        assert f"Subject: Critical flag on {pilot.name}: Target missed" in text
