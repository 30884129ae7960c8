"""A provider reports its own figures through a submission link: issued by the owner and emailed,
stored hashed, reaching one pilot only; figures in, disputes both ways, the gate following each
step; reminders exactly once."""

import datetime
import logging
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from config.models import token_hash
from pilots.choices import DisputeStatus, MeasurementSource
from pilots.gate import expansion_gate
from pilots.models import Dispute, Measurement
from portal.models import LinkReminder, SubmissionLink
from portal.services import link_issue, link_revoke, send_link_reminders
from tests.conftest import logged_in_client
from tests.factories import UserFactory
from tests.pilots.helpers import measure_weeks, metric, running_pilot
from tests.support.races import race

from .helpers import TODAY, provider_client, secret_from, week

pytestmark = pytest.mark.django_db


def test_the_owner_emails_a_link_stored_hashed_that_opens_the_pilot_until_revoked(pilot_and_contact):
    pilot, _accuracy, contact = pilot_and_contact
    owner_client = logged_in_client(pilot.owner)
    response = owner_client.post(reverse("portal:link-issue", args=[pilot.pk]), {"contact": contact.pk})
    assert response.status_code == 302
    message = mail.outbox[-1]
    assert message.to == ["priya@provider.example"] and pilot.name in message.subject
    assert "Refund accuracy (%): target ≥ 98%" in message.body and message.alternatives  # text and HTML
    secret = secret_from(message)
    link = SubmissionLink.objects.get()
    assert link.key_hash == token_hash(secret) and secret not in str(link.__dict__)
    assert link.history.get().history_change_reason == "Issued to Priya Provider <priya@provider.example>"
    assert "Priya Provider" in owner_client.get(pilot.get_absolute_url()).content.decode()

    client = provider_client(secret)
    page = client.get("/provider/")
    assert page.status_code == 200 and pilot.name in page.content.decode()
    assert page["X-Robots-Tag"] == "noindex, nofollow" and page["Referrer-Policy"] == "same-origin"
    assert page["Cache-Control"] == "no-store" and secret not in page.content.decode()

    link_revoke(link=link, by=pilot.owner)
    assert client.get("/provider/").status_code == 404
    assert Client().get(f"/provider/{secret}/").status_code == 404


def test_wrong_expired_and_replaced_links_answer_404_alike(pilot_and_contact):
    pilot, _accuracy, contact = pilot_and_contact
    _, first = link_issue(pilot=pilot, contact=contact, by=pilot.owner)
    _, second = link_issue(pilot=pilot, contact=contact, by=pilot.owner)  # replaces the first
    assert SubmissionLink.objects.filter(revoked_at__isnull=True).count() == 1
    answers = [Client().get(f"/provider/{secret}/") for secret in (first, "pgl_wrong", "x" * 150)]
    assert {a.status_code for a in answers} == {404}
    assert len({a.content for a in answers}) == 1  # no hint which
    SubmissionLink.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert Client().get(f"/provider/{second}/").status_code == 404


def test_a_link_reaches_nothing_but_its_pilot(pilot_and_contact):
    """Every URL of the project with only a link's session answers as it does to a stranger."""
    from tests.test_url_permissions import all_patterns

    pilot, _accuracy, contact = pilot_and_contact
    other = running_pilot(today=TODAY)
    other_metric = metric(other, name="Other accuracy")
    other_value = Measurement.objects.create(metric=other_metric, period_start=week(1), value=Decimal("90"))
    _, secret = link_issue(pilot=pilot, contact=contact, by=pilot.owner)
    client, stranger = provider_client(secret), Client()
    checked = 0
    for _name, pattern, _params in all_patterns():
        route = re.sub(r"<int:\w+>", str(other.pk), pattern)
        route = re.sub(r"<[^>]+>", "x", route)
        if route.startswith("provider/") or route == "accounts/logout/" or "(" in route or "^" in route:
            continue  # (signing out would end the link's session too)
        for method in ("get", "post"):
            mine, theirs = getattr(client, method)(f"/{route}"), getattr(stranger, method)(f"/{route}")
            assert (mine.status_code, mine.get("Location")) == (theirs.status_code, theirs.get("Location")), route
            checked += 1
    assert checked > 100
    assert client.get("/provider/").status_code == 200  # the link's session held throughout
    assert client.post(reverse("portal:dispute", args=[other_value.pk]), {"reason": "x"}).status_code == 404
    assert client.get("/api/pilots/").status_code == 401
    assert client.get(reverse("admin:index")).status_code == 302


def test_figures_sent_through_the_link_are_the_providers_and_a_dispute_closes_the_gate_until_corrected(
    pilot_and_contact,
):
    pilot, accuracy, contact = pilot_and_contact
    measure_weeks(accuracy, today=TODAY, values=[99, 99, 99])  # weeks 1-3 by the team
    _, secret = link_issue(pilot=pilot, contact=contact, by=pilot.owner)
    client = provider_client(secret)
    response = client.post("/provider/", {"period": week(4).isoformat(), f"value_{accuracy.pk}": "98.6"})
    assert response.status_code == 302
    sent = Measurement.objects.get(metric=accuracy, period_start=week(4))
    assert (sent.source, sent.submitted_by, sent.recorded_by) == (MeasurementSource.PROVIDER, contact, None)
    assert sent.history.get().history_change_reason == "Recorded by Priya Provider (provider link)"
    assert expansion_gate(pilot).is_open

    owner = logged_in_client(pilot.owner)
    page = owner.get(pilot.get_absolute_url()).content.decode()
    assert "Provider: Priya Provider" in page
    owner.post(reverse("pilots:measurement-dispute", args=[sent.pk]), {"reason": "QA sample shows 97.2"})
    dispute = Dispute.objects.get()
    gate = expansion_gate(pilot)
    assert not gate.is_open
    assert any("is disputed by Olive Owner" in reason and "QA sample shows 97.2" in reason for reason in gate.reasons)
    # The team cannot dispute its own figure; the provider sees the dispute and corrects it.
    assert "QA sample shows 97.2" in client.get("/provider/").content.decode()
    client.post(
        reverse("portal:dispute-action", kwargs={"pk": dispute.pk, "action": "correct"}),
        {"value": "97.2", "note": "Recounted the QA sample"},
    )
    dispute.refresh_from_db()
    sent.refresh_from_db()
    assert dispute.status == DisputeStatus.CORRECTED and dispute.resolved_by_contact == contact
    assert sent.value == Decimal("97.2") and sent.history.count() == 2
    gate = expansion_gate(pilot)
    assert not gate.is_open and not any("disputed" in r for r in gate.reasons)
    assert any("97.2 in the week of" in r for r in gate.reasons)  # the corrected figure now misses


def test_the_provider_disputes_the_teams_figure_and_a_correction_anywhere_resolves_it(pilot_and_contact):
    pilot, accuracy, contact = pilot_and_contact
    recorded = measure_weeks(accuracy, today=TODAY, values=[96, 99, 99, 99])[0]
    _, secret = link_issue(pilot=pilot, contact=contact, by=pilot.owner)
    client = provider_client(secret)
    # Its own figures it corrects rather than disputes; the team's it disputes.
    response = client.post(reverse("portal:dispute", args=[recorded.pk]), {"reason": "Our report said 99.1"})
    assert response.status_code == 302
    dispute = Dispute.objects.get()
    assert dispute.side == "provider" and dispute.raised_by_contact == contact
    assert "disputed by Priya Provider" in " ".join(expansion_gate(pilot).reasons)
    assert client.post(reverse("portal:dispute", args=[recorded.pk]), {"reason": "again"}).status_code == 302
    assert Dispute.objects.count() == 1  # one open dispute per value

    editor = UserFactory(groups=["editor"])
    logged_in_client(editor).post(
        reverse("pilots:pilot-measurements", args=[pilot.pk]),
        {"period": week(1).isoformat(), f"value_{accuracy.pk}": "99.1", "confirm": correction_token(recorded, "99.1")},
    )
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.CORRECTED and dispute.resolved_by == editor
    assert dispute.resolution_note == "Corrected through the measurement form."
    assert expansion_gate(pilot).is_open


def correction_token(measurement, value) -> str:
    from pilots.evidence import Correction

    measurement.refresh_from_db()
    return Correction(measurement.metric, measurement, Decimal(value), measurement.sample_size).token


def test_the_side_that_raised_a_dispute_withdraws_it_and_only_that_side(pilot_and_contact):
    pilot, accuracy, contact = pilot_and_contact
    recorded = measure_weeks(accuracy, today=TODAY, values=[99])[0]
    _, secret = link_issue(pilot=pilot, contact=contact, by=pilot.owner)
    client = provider_client(secret)
    client.post(reverse("portal:dispute", args=[recorded.pk]), {"reason": "Looks low"})
    dispute = Dispute.objects.get()
    owner = logged_in_client(pilot.owner)
    owner.post(reverse("pilots:dispute-action", kwargs={"pk": dispute.pk, "action": "withdraw"}), {"note": ""})
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN
    client.post(
        reverse("portal:dispute-action", kwargs={"pk": dispute.pk, "action": "withdraw"}), {"note": "Our error"}
    )
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.WITHDRAWN and dispute.resolution_note == "Our error"
    assert (
        logged_in_client(UserFactory(groups=["viewer"]))
        .post(reverse("pilots:measurement-dispute", args=[recorded.pk]), {"reason": "x"})
        .status_code
        == 403
    )


def test_requests_through_links_are_rate_limited(pilot_and_contact, settings):
    settings.PORTAL_RATE_ADDRESS = "5/m"
    pilot, _accuracy, contact = pilot_and_contact
    statuses = [Client(REMOTE_ADDR="203.0.113.9").get(f"/provider/pgl_guess{n}/").status_code for n in range(7)]
    assert statuses[:5] == [404] * 5 and statuses[5:] == [429, 429]
    _, secret = link_issue(pilot=pilot, contact=contact, by=pilot.owner)
    assert Client(REMOTE_ADDR="203.0.113.9").get(f"/provider/{secret}/").status_code == 429  # the address, too


def test_a_link_secret_never_reaches_the_logs():
    from config.logging import NoLinkSecrets

    record = logging.LogRecord(
        "django.server", logging.INFO, "", 0, '"GET /provider/%s/ HTTP/1.1" 302 0', ("pgl_abcDEF123-_x",), None
    )
    NoLinkSecrets().filter(record)
    assert record.getMessage() == '"GET /provider/pgl_[hidden]/ HTTP/1.1" 302 0'


def test_reminders_go_once_per_period_and_contact_and_never_after_revocation(pilot_and_contact):
    pilot, accuracy, contact = pilot_and_contact
    measure_weeks(accuracy, today=TODAY, values=[99, 99], start_weeks_ago=3)  # weeks 1-2 and 5-6 missing
    link, _ = link_issue(pilot=pilot, contact=contact, by=pilot.owner)
    mail.outbox.clear()
    counts = send_link_reminders()
    assert counts["sent"] == 1 and len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert mail.outbox[0].to == [contact.email] and body.count("- the week of") == counts["periods"] >= 2
    assert send_link_reminders()["sent"] == 0 and len(mail.outbox) == 1  # a second run sends nothing
    assert set(LinkReminder.objects.values_list("status", flat=True)) == {"sent"}
    link_revoke(link=link, by=pilot.owner)
    LinkReminder.objects.all().delete()
    assert send_link_reminders()["sent"] == 0


@pytest.mark.django_db(transaction=True)
def test_two_reminder_runs_at_once_send_once(pilot_and_contact):
    pilot, _accuracy, contact = pilot_and_contact
    link_issue(pilot=pilot, contact=contact, by=pilot.owner)
    mail.outbox.clear()
    results = race([send_link_reminders, send_link_reminders])
    assert sorted(r["sent"] for r in results) == [0, 1] and len(mail.outbox) == 1


def test_an_open_dispute_is_in_the_digest_until_it_is_resolved(pilot_and_contact):
    from pilots.digest import digest_for, load_portfolio, render_digest, week_start_for

    pilot, accuracy, contact = pilot_and_contact
    recorded = measure_weeks(accuracy, today=TODAY, values=[99])[0]
    _, secret = link_issue(pilot=pilot, contact=contact, by=pilot.owner)
    provider_client(secret).post(reverse("portal:dispute", args=[recorded.pk]), {"reason": "Our QA says 99.6"})

    def digest_text():
        now = timezone.now()
        digest = digest_for(
            pilot.owner, load_portfolio(), week_start=week_start_for(now), since=now - datetime.timedelta(days=7)
        )
        return render_digest(digest).body

    text = digest_text()
    assert "DISPUTED VALUES" in text and "disputed by Priya Provider" in text and "Our QA says 99.6" in text
    Dispute.objects.get().refresh_from_db()
    from pilots.disputes import dispute_withdraw

    dispute_withdraw(dispute=Dispute.objects.get(), contact=contact)
    assert "DISPUTED VALUES" not in digest_text()


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_reminders_once_through_redis_to_a_real_smtp_server(pilot_and_contact):
    import time

    from portal.tasks import send_link_reminders as task
    from tests.smtp import smtp_server
    from tests.worker import celery_worker, wait_for

    pilot, _accuracy, contact = pilot_and_contact
    link_issue(pilot=pilot, contact=contact, by=pilot.owner)  # (in-memory mail: the link's email)
    with smtp_server() as (mailbox, port), celery_worker(TEST_EMAIL_URL=f"smtp://127.0.0.1:{port}"):
        task.delay()
        task.delay()  # a duplicated task, maybe on the other process of the pool
        assert wait_for(lambda: LinkReminder.objects.filter(status="sent").exists(), timeout=60)
        time.sleep(2)
    assert [m["To"] for m in mailbox.messages] == [contact.email]
    message = mailbox.messages[0]
    assert message["Subject"] == f"Figures due for the pilot {pilot.name}"
    assert {part.get_content_type() for part in message.walk()} >= {"text/plain", "text/html"}
    assert set(LinkReminder.objects.values_list("status", flat=True)) == {"sent"}


def test_only_the_other_side_corrects_and_the_link_never_overwrites_the_teams_figures(pilot_and_contact):
    """What the attack review found: a side 'correcting' its own dispute, and the provider's period
    form replacing a figure the team recorded (which also ended the provider's own dispute)."""
    pilot, accuracy, contact = pilot_and_contact
    teams = measure_weeks(accuracy, today=TODAY, values=[90, 99, 99, 99])[0]
    _, secret = link_issue(pilot=pilot, contact=contact, by=pilot.owner)
    client = provider_client(secret)
    client.post(reverse("portal:dispute", args=[teams.pk]), {"reason": "wrong"})
    dispute = Dispute.objects.get()
    client.post(
        reverse("portal:dispute-action", kwargs={"pk": dispute.pk, "action": "correct"}),
        {"value": "99.5", "note": "ours"},
    )
    page = client.get("/provider/").content.decode()
    response = client.post("/provider/", {"period": week(1).isoformat(), f"value_{accuracy.pk}": "99.5"})
    assert response.status_code == 400
    assert "the buying team recorded 90 for this period; dispute it rather than replace it" in response.content.decode()
    teams.refresh_from_db()
    dispute.refresh_from_db()
    assert teams.value == Decimal("90") and teams.source == MeasurementSource.MANUAL
    assert dispute.status == DisputeStatus.OPEN and "Only the other side corrects a disputed value" in page
    assert not expansion_gate(pilot).is_open


def test_a_link_of_a_contact_moved_to_another_provider_opens_nothing(pilot_and_contact):
    from tests.factories import ProviderFactory

    pilot, _accuracy, contact = pilot_and_contact
    _, secret = link_issue(pilot=pilot, contact=contact, by=pilot.owner)
    client = provider_client(secret)
    contact.provider = ProviderFactory()
    contact.save()
    assert client.get("/provider/").status_code == 404
    assert Client().get(f"/provider/{secret}/").status_code == 404


def test_a_link_stops_opening_and_reminding_once_its_contacts_email_changes(pilot_and_contact):
    """The link was sent to an address; whoever holds the contact's new address did not get it, and
    whoever held the old one may have left."""
    pilot, _accuracy, contact = pilot_and_contact
    _, secret = link_issue(pilot=pilot, contact=contact, by=pilot.owner)
    client = provider_client(secret)
    contact.email = "priya.new@provider.example"
    contact.save()
    assert client.get("/provider/").status_code == 404
    assert Client().get(f"/provider/{secret}/").status_code == 404
    mail.outbox.clear()
    assert send_link_reminders(today=TODAY)["sent"] == 0 and not mail.outbox
    page = logged_in_client(pilot.owner).get(pilot.get_absolute_url()).content.decode()
    assert "contact changed" in page and "priya@provider.example" in page
    # Issued again, it goes to the new address.
    link_issue(pilot=pilot, contact=contact, by=pilot.owner)
    assert mail.outbox[-1].to == ["priya.new@provider.example"]
    assert provider_client(secret_from(mail.outbox[-1])).get("/provider/").status_code == 200


def test_the_template_through_a_link_is_csv_or_xlsx_only(pilot_and_contact):
    pilot, _accuracy, contact = pilot_and_contact
    _, secret = link_issue(pilot=pilot, contact=contact, by=pilot.owner)
    client = provider_client(secret)
    assert client.get("/provider/template/?format=csv")["Content-Type"].startswith("text/csv")
    assert client.get("/provider/template/?format=a%0d%0aSet-Cookie:x=1").status_code == 400


@pytest.mark.django_db(transaction=True)
def test_two_submissions_of_one_period_at_once_record_one_value_and_the_later_is_shown_the_change(
    pilot_and_contact,
):
    pilot, accuracy, contact = pilot_and_contact
    _, secret = link_issue(pilot=pilot, contact=contact, by=pilot.owner)
    clients = [provider_client(secret), provider_client(secret)]
    posts = [
        lambda client=client, value=value: client.post(
            "/provider/", {"period": week(1).isoformat(), f"value_{accuracy.pk}": value}
        )
        for client, value in zip(clients, ("98.1", "98.4"), strict=True)
    ]
    responses = race(posts)
    assert sorted(r.status_code for r in responses) == [302, 409]
    stored = Measurement.objects.get(metric=accuracy, period_start=week(1))
    later = next(r for r in responses if r.status_code == 409).content.decode()
    assert f"{stored.value.normalize()}% (n" in later or f"{stored.value.normalize()}% by" in later


def test_reminders_claimed_by_a_worker_that_died_are_sent_by_the_next_run(pilot_and_contact):
    pilot, _accuracy, contact = pilot_and_contact
    link, _ = link_issue(pilot=pilot, contact=contact, by=pilot.owner)
    mail.outbox.clear()
    # A run claimed the periods and was killed before its email went out.
    from portal.services import due_and_missing

    for start, cadence in due_and_missing(pilot, TODAY):
        LinkReminder.objects.create(
            pilot=pilot,
            contact=contact,
            link=link,
            period_start=start,
            cadence=cadence,
            claimed_at=timezone.now() - datetime.timedelta(hours=1),
        )
    assert send_link_reminders()["sent"] == 1 and len(mail.outbox) == 1
    assert send_link_reminders()["sent"] == 0 and len(mail.outbox) == 1
    assert set(LinkReminder.objects.values_list("status", flat=True)) == {"sent"}


def test_a_link_whose_email_cannot_be_sent_is_not_issued(pilot_and_contact, settings):
    from tests.smtp import free_port, send_mail_through

    pilot, _accuracy, contact = pilot_and_contact
    send_mail_through(settings, free_port())  # nothing listens there
    settings.EMAIL_TIMEOUT = 2
    response = logged_in_client(pilot.owner).post(
        reverse("portal:link-issue", args=[pilot.pk]), {"contact": contact.pk}, follow=True
    )
    assert "could not be sent" in response.content.decode() and "no link was issued" in response.content.decode()
    assert not SubmissionLink.objects.exists()


def test_a_week_and_a_month_starting_the_same_day_are_each_reminded(pilot_and_contact):
    pilot, _accuracy, contact = pilot_and_contact
    june = datetime.date(2026, 6, 1)  # a Monday and the first of a month
    pilot.starts_on = june
    pilot.save()
    metric(pilot, name="Monthly CSAT", cadence="monthly", target=Decimal("80"))
    link_issue(pilot=pilot, contact=contact, by=pilot.owner)
    send_link_reminders(today=TODAY)
    reminded = set(LinkReminder.objects.filter(period_start=june).values_list("cadence", flat=True))
    assert reminded == {"weekly", "monthly"}
