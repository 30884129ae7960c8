import datetime
import threading
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from config.celery import app
from config.formatting import day
from pilots import tasks  # noqa: F401 - registers the tasks with the app
from pilots.choices import FlagKind, PilotStatus, Severity
from pilots.digest import (
    load_portfolio,
    preview_digest,
    recipients,
    render_digest,
    send_weekly_digests,
    unfinished_deliveries,
    week_start_for,
)
from pilots.models import DigestDelivery, DigestPreference, Flag
from pilots.selectors import portfolio_counts
from tests.conftest import logged_in_client
from tests.factories import CertificationTypeFactory, FlagFactory, ProviderCertificationFactory, UserFactory
from tests.smtp import send_mail_through, smtp_server
from tests.worker import celery_worker, wait_for

from .helpers import measure_weeks, metric, running_pilot

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


@pytest.fixture
def portfolio():
    """Flags of every kind, a decision due, a pilot ready to expand and an expiring certificate."""
    owner = UserFactory(username="olivia", first_name="Olivia", email="olivia@example.com")
    other = UserFactory(username="oscar", email="oscar@example.com")
    mine = running_pilot(today=today(), name="Invoice pilot", owner=owner, ends_on=today() + datetime.timedelta(days=9))
    theirs = running_pilot(today=today(), name="Chat pilot", owner=other)
    now = timezone.now()
    FlagFactory(
        pilot=theirs,
        kind=FlagKind.TARGET_MISSED,
        severity=Severity.CRITICAL,
        message="CSAT 70 < 85",
        opened_at=now - datetime.timedelta(hours=3),
    )
    FlagFactory(
        pilot=mine,
        kind=FlagKind.NEAR_MISS,
        severity=Severity.WARNING,
        message="Accuracy close",
        opened_at=now - datetime.timedelta(hours=2),
    )
    FlagFactory(
        pilot=mine,
        kind=FlagKind.DECISION_OVERDUE,
        severity=Severity.WARNING,
        message="Old news",
        opened_at=now - datetime.timedelta(days=20),
    )
    FlagFactory(
        pilot=mine,
        kind=FlagKind.MISSING_DATA,
        severity=Severity.WARNING,
        message="Accuracy has no measurement for the week of 9 Nov 2026",
    )
    FlagFactory(
        pilot=theirs,
        kind=FlagKind.INSUFFICIENT_EVIDENCE,
        severity=Severity.CRITICAL,
        message="2 of 4",
        opened_at=now - datetime.timedelta(days=12),
        resolved_at=now - datetime.timedelta(days=1),
    )
    FlagFactory(
        pilot=theirs,
        kind=FlagKind.CERTIFICATION_LAPSED,
        severity=Severity.CRITICAL,
        message="old",
        opened_at=now - datetime.timedelta(days=40),
        resolved_at=now - datetime.timedelta(days=30),
    )
    ready = running_pilot(today=today(), name="Payroll pilot", ends_on=today(), status=PilotStatus.IN_REVIEW)
    measure_weeks(metric(ready, target=Decimal("95")), today=today(), values=["99"] * 4)
    ProviderCertificationFactory(
        provider=mine.provider,
        certification_type=CertificationTypeFactory(code="PCI-DSS"),
        expires_on=today() + datetime.timedelta(days=20),
    )
    # Only Olivia and Oscar have mailboxes; the factories' other people have none.
    get_user_model().objects.exclude(pk__in=[owner.pk, other.pk]).update(email="")
    return {"owner": owner, "other": other, "mine": mine, "theirs": theirs}


def test_digest_content_for_a_user_with_flags_of_every_kind(portfolio):
    digest = preview_digest(portfolio["owner"])
    assert [f.message for f in digest.new_flags] == ["Accuracy close", "CSAT 70 < 85"]  # own pilots first
    assert [f.message for f in digest.ongoing_flags] == ["Old news"]
    assert [f.message for f in digest.resolved_flags] == ["2 of 4"]  # resolved since the last digest only
    assert [f.pilot.name for f in digest.missing_measurements] == ["Invoice pilot"]
    assert [p.name for p in digest.decisions_due] == ["Invoice pilot", "Payroll pilot"]  # own first
    assert [p.name for p, _gate in digest.ready_to_expand] == ["Payroll pilot"]
    assert [c.certification_type.code for c in digest.certifications] == ["PCI-DSS"]
    assert digest.counts == portfolio_counts(today=timezone.localdate())
    assert (digest.counts["running"], digest.counts["critical"], digest.counts["warnings"]) == (2, 1, 3)
    assert (digest.counts["due"], digest.counts["overdue"]) == (2, 0)
    assert not digest.all_clear

    message = render_digest(digest)
    assert (
        message.subject
        == f"Pilotgate weekly: 2 new flags, 1 critical open, 2 decisions due (week of {day(week_start_for())})"
    )
    text, html = message.body, message.alternatives[0][0]
    for part in (text, html):
        for words in [
            "Hello Olivia",
            "CSAT 70 &lt; 85" if part is html else "CSAT 70 < 85",
            "Old news",
            "Insufficient evidence — Chat pilot, resolved",
            "Payroll pilot",
            "PCI-DSS",
            "Accuracy has no measurement",
        ]:
            assert words in part, words
        assert f"http://testserver/pilots/{portfolio['mine'].pk}/" in part
        assert "http://testserver/settings/digest/" in part
    assert "NEW FLAGS (2)" in text and text.index("Accuracy close") < text.index("CSAT 70")
    assert 'style="' in html and "<link" not in html and "<script" not in html  # inline styles, no assets
    assert "secret" not in text.lower()


def test_all_clear_digest():
    user = UserFactory(email="calm@example.com", first_name="Cal")
    digest = preview_digest(user)
    assert digest.all_clear
    message = render_digest(digest)
    assert message.subject.startswith("Pilotgate weekly: all clear")
    assert "All clear this week" in message.body and "All clear this week" in message.alternatives[0][0]


def test_all_clear_is_skipped_by_preference_and_opted_out_users_get_nothing():
    calm = UserFactory(email="calm@example.com")
    DigestPreference.objects.create(user=calm, skip_when_all_clear=True)
    out = UserFactory(email="out@example.com")
    DigestPreference.objects.create(user=out, weekly_digest=False)
    UserFactory(email="")  # nobody to write to
    run = send_weekly_digests()
    assert (run.sent, run.skipped) == (0, 1)
    assert mail.outbox == []
    assert DigestDelivery.objects.get(user=calm).status == "skipped"


def test_exactly_once_when_the_task_runs_twice(portfolio):
    first = send_weekly_digests()
    second = send_weekly_digests()
    assert first.sent == 2 and second.sent == 0 and second.already_done == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["olivia@example.com", "oscar@example.com"]
    assert DigestDelivery.objects.filter(status="sent").count() == 2


@pytest.mark.django_db(transaction=True)
def test_exactly_once_when_two_runs_overlap(portfolio):
    for i in range(8):
        UserFactory(email=f"person{i}@example.com")
    barrier, runs, errors = threading.Barrier(2), [], []

    def run():
        try:
            barrier.wait(5)
            runs.append(send_weekly_digests())
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    sent_to = [m.to[0] for m in mail.outbox]
    assert len(sent_to) == len(set(sent_to)) == 10
    assert sum(r.sent for r in runs) == 10


def test_a_failing_recipient_never_stops_the_others(portfolio, settings):
    UserFactory(username="bouncer", email="bounce@example.com")
    with smtp_server() as (mailbox, port):
        send_mail_through(settings, port)
        run = send_weekly_digests()
        assert run.sent == 2 and len(run.failed_user_ids) == 1
        assert len(mailbox.to("olivia@example.com")) == 1 and len(mailbox.to("oscar@example.com")) == 1
        failed = DigestDelivery.objects.get(user__username="bouncer")
        assert failed.status == "failed" and "SMTPRecipientsRefused" in failed.last_error
        retry = send_weekly_digests(user_ids=run.failed_user_ids)  # what the task's retry does
        failed.refresh_from_db()
        assert retry.sent == 0 and failed.attempts == 2
        assert len(mailbox.to("olivia@example.com")) == 1  # the others are not sent again


def test_building_digests_costs_a_small_constant_per_user(portfolio):
    for i in range(5):
        UserFactory(email=f"a{i}@example.com")
    with CaptureQueriesContext(connection) as few:
        send_weekly_digests(week_start=week_start_for() - datetime.timedelta(weeks=1))
    for i in range(25):
        UserFactory(email=f"b{i}@example.com")
    with CaptureQueriesContext(connection) as many:
        send_weekly_digests(week_start=week_start_for() - datetime.timedelta(weeks=2))
    per_user = (len(many) - len(few)) / 25
    assert per_user <= 4, per_user  # claim, mark sent, and the transaction around the claim


def test_beat_sends_the_digest_weekly_on_monday_morning(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["weekly-digest"]
    assert entry["task"] == "pilots.tasks.send_weekly_digests" and entry["task"] in app.tasks
    assert entry["schedule"].day_of_week == {1} and entry["schedule"].hour == {7} and entry["schedule"].minute == {0}


def test_settings_page_and_preview(portfolio):
    owner = portfolio["owner"]
    client = logged_in_client(owner)
    response = client.post(reverse("pilots:digest-settings"), {"weekly_digest": "on", "skip_when_all_clear": "on"})
    assert response.status_code == 302
    assert DigestPreference.objects.get(user=owner).skip_when_all_clear is True
    own = client.get(reverse("pilots:digest-preview", args=[owner.pk]))
    assert own.status_code == 200 and "Pilotgate weekly" in own.content.decode()
    assert client.get(reverse("pilots:digest-preview", args=[portfolio["other"].pk])).status_code == 403
    staff = logged_in_client(UserFactory(is_staff=True))
    preview = staff.get(reverse("pilots:digest-preview", args=[portfolio["other"].pk]))
    assert preview.status_code == 200
    html = render_digest(preview_digest(portfolio["other"])).alternatives[0][0]
    assert f'srcdoc="{escape(html)}"' in preview.content.decode()  # the email as sent, escaped into the frame
    text = staff.get(reverse("pilots:digest-preview", args=[portfolio["other"].pk]) + "?format=text")
    assert text.content.decode() == render_digest(preview_digest(portfolio["other"])).body


@pytest.mark.parametrize("extra", [0, 12])
def test_portfolio_loads_in_a_fixed_number_of_queries(portfolio, extra):
    today = timezone.localdate()
    for i in range(extra):
        pilot = running_pilot(today=today, name=f"Extra {i}", ends_on=today - datetime.timedelta(days=i % 3))
        measure_weeks(metric(pilot, name="Accuracy", target=Decimal("95")), today=today, values=["96"] * 4)
        FlagFactory(pilot=pilot, severity=Severity.WARNING)
    with CaptureQueriesContext(connection) as queries:
        load_portfolio()
    # Open and resolved flags, decisions due, ready to expand (passed, candidates, their critical
    # metrics, measurements, disputes, flags; no decided ones here), expiring certificates, the
    # headline counts (pilots by status, flags by severity, decisions, certificates) and open disputes.
    assert len(queries) == 15, [q["sql"][:70] for q in queries]
    assert Flag.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_digests_through_redis_to_a_real_smtp_server(portfolio):
    with smtp_server() as (mailbox, port), celery_worker(TEST_EMAIL_URL=f"smtp://127.0.0.1:{port}"):
        from pilots.tasks import send_weekly_digests as task

        task.delay()
        assert wait_for(lambda: len(mailbox.messages) >= 2, timeout=60), mailbox.messages
        task.delay()  # a duplicated task sends nothing more
        assert wait_for(lambda: DigestDelivery.objects.filter(status="sent").count() == 2)
        import time

        time.sleep(2)
    assert sorted(m["To"] for m in mailbox.messages) == ["olivia@example.com", "oscar@example.com"]
    message = mailbox.to("olivia@example.com")[0]
    assert message["Subject"].startswith("Pilotgate weekly: 2 new flags")
    assert {part.get_content_type() for part in message.walk()} >= {"text/plain", "text/html"}


def test_people_a_stopped_run_never_reached_are_resumed_the_same_week(portfolio):
    week = week_start_for()
    people = list(recipients())
    assert unfinished_deliveries(week_start=week) == []  # nothing started yet: nobody is "behind"
    send_weekly_digests(week_start=week, user_ids=[people[0].pk])  # a run that stopped after one person
    assert unfinished_deliveries(week_start=week) == sorted(p.pk for p in people[1:])
    send_weekly_digests(week_start=week, user_ids=unfinished_deliveries(week_start=week))
    assert unfinished_deliveries(week_start=week) == []
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
