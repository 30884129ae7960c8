"""A worker killed with SIGKILL in the middle of an evaluation or a digest run loses nothing:
its tasks are delivered again (visibility timeout), abandoned email claims are taken again, and
at most the one message in flight at each kill is sent twice."""

import asyncio
import collections
import os
import random
import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from pilots.choices import FlagKind, Severity
from pilots.digest import week_start_for
from pilots.evaluation import evaluate_pilots
from pilots.models import DigestDelivery, Flag, OwnerAlert
from tests.factories import UserFactory
from tests.smtp import Mailbox, free_port
from tests.worker import celery_worker, kill_worker, reset_broker, wait_for

from .helpers import measure_weeks, metric, running_pilot

KILLS = int(os.environ.get("CRASH_KILLS", "3"))  # more for a long run: CRASH_KILLS=20
# The worker in these tests gives up a dead sender's claim, and gets its tasks back, in seconds.
CRASH_ENV = {"CELERY_VISIBILITY_TIMEOUT": 6, "OUTBOX_STALE_CLAIM_SECONDS": 3, "EVALUATION_CHUNK_SIZE": 2}


class SlowMailbox(Mailbox):
    """A mail server that takes a moment per message, so a kill lands while mail is going out."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.05)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def slow_smtp():
    from aiosmtpd.controller import Controller

    mailbox, port = SlowMailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox, f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


def run_with_kills(start_work, env, done, progress, *, kills=KILLS, seed=11):
    """Start a worker, queue the work, SIGKILL the worker once `progress()` shows it under way;
    `kills` times. Then a last worker runs until `done()` holds, as the next scheduled run and
    redelivery would. Returns what `progress()` said at each kill."""
    rng = random.Random(seed)
    start_work()
    at_kill = []
    for _ in range(kills):
        with celery_worker(purge=False, **env) as worker:
            started = progress()
            wait_for(lambda started=started: progress() != started, timeout=30, interval=0.05)  # under way
            time.sleep(rng.uniform(0.05, 0.5))
            kill_worker(worker)
            at_kill.append(progress())
    with celery_worker(purge=False, **env):
        assert wait_for(done, timeout=120, interval=2), at_kill
    return at_kill


@pytest.mark.django_db(transaction=True)
def test_killing_the_worker_during_evaluations_loses_no_flag_and_no_owner_email(slow_smtp):
    mailbox, smtp_url = slow_smtp
    reset_broker()
    today = timezone.localdate()
    owners = [UserFactory(username=f"owner{i}") for i in range(6)]
    pilots = []
    for i in range(40):
        pilot = running_pilot(today=today, owner=owners[i % len(owners)], weeks_running=3)
        measure_weeks(metric(pilot, name="Accuracy", critical=True), today=today, values=["80", "80", "80"])
        pilots.append(pilot)
    from pilots.tasks import evaluate_all_pilots, send_owner_alerts

    def everything_sent():
        send_owner_alerts.delay()  # the every-minute sweep (here every two seconds)
        return not OwnerAlert.objects.filter(status="pending").exists() and Flag.objects.count() == len(pilots)

    def progress():
        return Flag.objects.count(), len(mailbox.messages)

    env = {**CRASH_ENV, "TEST_EMAIL_URL": smtp_url}
    at_kill = run_with_kills(evaluate_all_pilots.delay, env, everything_sent, progress)

    flags = Flag.objects.filter(kind=FlagKind.TARGET_MISSED, severity=Severity.CRITICAL)
    assert sorted(flags.values_list("pilot", flat=True)) == sorted(p.pk for p in pilots)  # 0 lost, 0 twice
    assert evaluate_pilots(today=today).opened == 0
    assert not Flag.objects.filter(owner_notified_at__isnull=True).exists()
    # Every flag named in an email to its owner; at most one message repeated per kill.
    named = collections.Counter()
    for message in mailbox.messages:
        body = message.get_payload()[0].get_payload(decode=True).decode()
        for pilot_id in set(re.findall(r"/pilots/(\d+)/", body)):
            named[(message["To"], int(pilot_id))] += 1
    expected = {(p.owner.email, p.pk) for p in pilots}
    assert set(named) == expected
    repeats = len(mailbox.messages) - OwnerAlert.objects.filter(status="sent").count()
    assert repeats <= KILLS, repeats
    print(f"evaluation: (flags, emails) at each kill {at_kill}; {len(mailbox.messages)} emails, {repeats} repeated")
    assert any(0 < flags < len(pilots) for flags, _ in at_kill), at_kill  # a kill landed mid-evaluation


@pytest.mark.django_db(transaction=True)
def test_killing_the_worker_during_the_digest_leaves_nobody_without_theirs(slow_smtp):
    mailbox, smtp_url = slow_smtp
    reset_broker()
    people = [UserFactory(username=f"reader{i:02}") for i in range(60)]
    get_user_model().objects.exclude(pk__in=[p.pk for p in people]).update(is_active=False)
    from pilots.tasks import send_weekly_digests

    week = week_start_for()

    def everyone_served():
        return DigestDelivery.objects.filter(week_start=week, status="sent").count() == len(people)

    def resume_sweep_and_check():
        from pilots.tasks import resume_weekly_digests

        resume_weekly_digests.delay()  # every five minutes in production, here every two seconds
        return everyone_served()

    def progress():
        return len(mailbox.messages)

    env = {**CRASH_ENV, "TEST_EMAIL_URL": smtp_url}
    at_kill = run_with_kills(send_weekly_digests.delay, env, resume_sweep_and_check, progress)
    received = collections.Counter(m["To"] for m in mailbox.messages)
    assert set(received) == {p.email for p in people}  # 0 people without a digest
    repeats = sum(count - 1 for count in received.values())
    assert repeats <= KILLS, received.most_common(5)
    print(
        f"digest: emails at each kill {at_kill}; {len(mailbox.messages)} for {len(people)} people, {repeats} repeated"
    )
    assert all(0 < sent < len(people) for sent in at_kill), at_kill  # each kill landed mid-run
