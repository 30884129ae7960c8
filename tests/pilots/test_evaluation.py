import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pilots.choices import FlagKind, PilotStatus, Severity
from pilots.evaluation import evaluate_pilots
from pilots.models import Flag, OwnerAlert
from scope.choices import Direction
from tests.factories import (
    CertificationTypeFactory,
    PilotFactory,
    ProviderCertificationFactory,
    WorkItemFactory,
)

from .helpers import measure, measure_weeks, metric, running_pilot

pytestmark = pytest.mark.django_db

# A Wednesday: with 3 grace days the week of 9 Nov is not yet due (due from Thursday 19 Nov).
TODAY = datetime.date(2026, 11, 18)


def open_flags(pilot):
    return {(f.metric_id, f.kind): f for f in Flag.objects.open().filter(pilot=pilot)}


def kinds(pilot):
    return {(kind, flag.severity) for (_, kind), flag in open_flags(pilot).items()}


@pytest.mark.parametrize(
    ("direction", "target", "margin", "critical", "value", "expected"),
    [
        # higher is better
        (Direction.HIGHER_IS_BETTER, "95", "0", True, "97", set()),
        (Direction.HIGHER_IS_BETTER, "95", "0", True, "94.9", {(FlagKind.TARGET_MISSED, Severity.CRITICAL)}),
        (Direction.HIGHER_IS_BETTER, "95", "0", False, "94.9", {(FlagKind.TARGET_MISSED, Severity.WARNING)}),
        (Direction.HIGHER_IS_BETTER, "95", "0", True, "95", set()),  # exactly on target, no margin: met
        (Direction.HIGHER_IS_BETTER, "95", "1", True, "95", {(FlagKind.NEAR_MISS, Severity.WARNING)}),
        (Direction.HIGHER_IS_BETTER, "95", "1", True, "95.5", {(FlagKind.NEAR_MISS, Severity.WARNING)}),
        (Direction.HIGHER_IS_BETTER, "95", "1", True, "96", set()),  # exactly at the margin's edge: met
        (Direction.HIGHER_IS_BETTER, "95", "1", True, "94", {(FlagKind.TARGET_MISSED, Severity.CRITICAL)}),
        # lower is better
        (Direction.LOWER_IS_BETTER, "24", "0", True, "20", set()),
        (Direction.LOWER_IS_BETTER, "24", "0", True, "24.5", {(FlagKind.TARGET_MISSED, Severity.CRITICAL)}),
        (Direction.LOWER_IS_BETTER, "24", "0", True, "24", set()),
        (Direction.LOWER_IS_BETTER, "24", "2", True, "23", {(FlagKind.NEAR_MISS, Severity.WARNING)}),
        (Direction.LOWER_IS_BETTER, "24", "2", True, "21.5", set()),
    ],
)
def test_target_rules(direction, target, margin, critical, value, expected):
    pilot = running_pilot(today=TODAY, weeks_running=3)
    m = metric(pilot, direction=direction, target=Decimal(target), warning_margin=Decimal(margin), critical=critical)
    measure_weeks(m, today=TODAY, values=[value, target, target])
    evaluate_pilots(today=TODAY, notify=False)
    assert kinds(pilot) == expected


def test_latest_measurement_is_the_one_judged():
    pilot = running_pilot(today=TODAY, weeks_running=3)
    m = metric(pilot, target=Decimal("95"))
    measure_weeks(m, today=TODAY, values=["97", "80", "80"])
    evaluate_pilots(today=TODAY, notify=False)
    assert kinds(pilot) == set()


def test_target_missed_message_names_value_period_and_target():
    pilot = running_pilot(today=TODAY, weeks_running=3)
    m = metric(pilot, name="Accuracy", unit="%", target=Decimal("98.5"))
    measure(m, today=TODAY, weeks_ago=1, value="97.25")
    measure(m, today=TODAY, weeks_ago=2, value="99")
    evaluate_pilots(today=TODAY, notify=False)
    flag = open_flags(pilot)[(m.pk, FlagKind.TARGET_MISSED)]
    assert flag.message == "Accuracy was 97.25 in the week of 9 Nov 2026, missing its target (≥ 98.5%)."


def test_missing_data_waits_for_the_grace_period():
    pilot = running_pilot(today=TODAY, weeks_running=3)
    m = metric(pilot)
    # Data up to the week of 2 Nov; nothing for the week of 9 Nov.
    measure_weeks(m, today=TODAY, values=["97", "97"], start_weeks_ago=2)
    evaluate_pilots(today=TODAY, notify=False)  # Wed 18 Nov: the week of 9 Nov is inside its grace
    assert kinds(pilot) == set()
    evaluate_pilots(today=TODAY + datetime.timedelta(days=1), notify=False)  # Thu 19 Nov: past the grace
    flag = open_flags(pilot)[(m.pk, FlagKind.MISSING_DATA)]
    assert flag.severity == Severity.WARNING
    assert "no measurement for the week of 9 Nov 2026" in flag.message


def test_missing_data_for_a_metric_never_measured():
    pilot = running_pilot(today=TODAY, weeks_running=3)
    metric(pilot)
    evaluate_pilots(today=TODAY, notify=False)
    assert kinds(pilot) == {(FlagKind.MISSING_DATA, Severity.WARNING)}


def test_nothing_is_due_before_the_first_period_ends():
    pilot = running_pilot(today=TODAY, weeks_running=0)
    metric(pilot)
    evaluate_pilots(today=TODAY, notify=False)
    assert kinds(pilot) == set()


def test_insufficient_evidence_at_the_decision_date():
    pilot = running_pilot(today=TODAY, ends_on=TODAY)
    m = metric(pilot, min_samples=4)
    measure_weeks(m, today=TODAY, values=["97", "97", "97"], start_weeks_ago=1)
    result = evaluate_pilots(today=TODAY, notify=False)
    flag = open_flags(pilot)[(m.pk, FlagKind.INSUFFICIENT_EVIDENCE)]
    assert flag.severity == Severity.CRITICAL
    assert "has 3 of the 4 measurements needed as proof" in flag.message
    assert result.opened >= 1


def test_no_insufficient_evidence_before_the_decision_date_or_with_enough_samples():
    early = running_pilot(today=TODAY, ends_on=TODAY + datetime.timedelta(days=1))
    metric(early, min_samples=4)
    enough = running_pilot(today=TODAY, ends_on=TODAY, weeks_running=4)
    m = metric(enough, min_samples=4)
    measure_weeks(m, today=TODAY, values=["97"] * 4, start_weeks_ago=1)
    evaluate_pilots(today=TODAY, notify=False)
    assert FlagKind.INSUFFICIENT_EVIDENCE not in {kind for kind, _ in kinds(early)}
    assert kinds(enough) == set()


def test_decision_overdue_only_for_running_pilots_past_the_decision_date():
    overdue = running_pilot(today=TODAY, ends_on=TODAY - datetime.timedelta(days=3))
    on_the_day = running_pilot(today=TODAY, ends_on=TODAY)
    in_review = running_pilot(today=TODAY, ends_on=TODAY - datetime.timedelta(days=3), status=PilotStatus.IN_REVIEW)
    evaluate_pilots(today=TODAY, notify=False)
    flag = open_flags(overdue)[(None, FlagKind.DECISION_OVERDUE)]
    assert "passed 3 days ago" in flag.message
    assert (None, FlagKind.DECISION_OVERDUE) not in open_flags(on_the_day)
    assert (None, FlagKind.DECISION_OVERDUE) not in open_flags(in_review)


def _pilot_requiring(cert_code: str, *, expires_on, today=TODAY, ends_in_weeks=4):
    cert_type = CertificationTypeFactory(code=cert_code)
    item = WorkItemFactory()
    item.required_certifications.add(cert_type)
    pilot = running_pilot(today=today, weeks_left=ends_in_weeks)
    pilot.work_items.set([item])
    ProviderCertificationFactory(provider=pilot.provider, certification_type=cert_type, expires_on=expires_on)
    return pilot


def test_certification_lapsing_before_the_end_is_critical():
    pilot = _pilot_requiring("PCI-X", expires_on=TODAY + datetime.timedelta(weeks=2))
    evaluate_pilots(today=TODAY, notify=False)
    flag = open_flags(pilot)[(None, FlagKind.CERTIFICATION_LAPSED)]
    assert flag.severity == Severity.CRITICAL
    assert "PCI-X expires on" in flag.message


def test_certification_valid_through_the_end_raises_nothing():
    pilot = _pilot_requiring("ISO-Y", expires_on=TODAY + datetime.timedelta(weeks=10))
    evaluate_pilots(today=TODAY, notify=False)
    assert (None, FlagKind.CERTIFICATION_LAPSED) not in open_flags(pilot)


def test_certification_lapsing_before_the_planned_expansion_ends():
    pilot = _pilot_requiring("SOC-Z", expires_on=TODAY + datetime.timedelta(weeks=10))
    PilotFactory(
        parent=pilot,
        stage=2,
        provider=pilot.provider,
        status=PilotStatus.PLANNED,
        starts_on=pilot.ends_on,
        ends_on=pilot.ends_on + datetime.timedelta(weeks=12),
    )
    evaluate_pilots(today=TODAY, notify=False)
    assert (None, FlagKind.CERTIFICATION_LAPSED) in open_flags(pilot)


def test_fixing_the_measurement_resolves_the_flag_and_a_second_run_changes_nothing():
    pilot = running_pilot(today=TODAY, weeks_running=3)
    m = metric(pilot, target=Decimal("95"))
    bad, *_ = measure_weeks(m, today=TODAY, values=["90", "96", "96", "96"])
    first = evaluate_pilots(today=TODAY, notify=False)
    assert (first.opened, first.kept, first.resolved) == (1, 0, 0)
    again = evaluate_pilots(today=TODAY, notify=False)
    assert (again.opened, again.kept, again.resolved) == (0, 1, 0)

    bad.value = Decimal("97")
    bad.save()
    fixed = evaluate_pilots(today=TODAY, notify=False)
    assert (fixed.opened, fixed.resolved) == (0, 1)
    assert kinds(pilot) == set()
    snapshot = list(Flag.objects.order_by("pk").values("pk", "resolved_at", "severity", "message"))
    last = evaluate_pilots(today=TODAY, notify=False)
    assert (last.opened, last.kept, last.resolved) == (0, 0, 0)
    assert list(Flag.objects.order_by("pk").values("pk", "resolved_at", "severity", "message")) == snapshot


def test_flags_of_finished_pilots_are_resolved_and_paused_ones_kept():
    finished = running_pilot(today=TODAY, weeks_running=3)
    metric(finished)
    paused = running_pilot(today=TODAY, weeks_running=3)
    metric(paused)
    evaluate_pilots(today=TODAY, notify=False)
    assert open_flags(finished) and open_flags(paused)
    finished.status = PilotStatus.CLOSED
    finished.save()
    paused.status = PilotStatus.PAUSED
    paused.save()
    evaluate_pilots(today=TODAY, notify=False)
    assert not open_flags(finished)
    assert open_flags(paused)


def test_a_reopened_condition_opens_a_new_flag_and_keeps_the_old_one_resolved():
    pilot = running_pilot(today=TODAY, weeks_running=3)
    m = metric(pilot)
    bad = measure(m, today=TODAY, weeks_ago=1, value="90")
    evaluate_pilots(today=TODAY, notify=False)
    bad.value = Decimal("99")
    bad.save()
    evaluate_pilots(today=TODAY, notify=False)
    bad.value = Decimal("80")
    bad.save()
    evaluate_pilots(today=TODAY, notify=False)
    flags = Flag.objects.filter(pilot=pilot, kind=FlagKind.TARGET_MISSED)
    assert flags.count() == 2
    assert flags.filter(resolved_at__isnull=True).count() == 1


def test_critical_flags_are_recorded_in_the_outbox_and_sent_once(django_capture_on_commit_callbacks, mailoutbox):
    pilot = running_pilot(today=TODAY, weeks_running=3)
    other = running_pilot(today=TODAY, weeks_running=3, owner=pilot.owner)
    for each in (pilot, other):
        measure(metric(each, critical=True), today=TODAY, weeks_ago=1, value="80")
        measure(
            metric(each, name="Cost per invoice", critical=True, unit="gbp", direction="lower_is_better", target="2"),
            today=TODAY,
            weeks_ago=1,
            value="3",
        )
    with django_capture_on_commit_callbacks() as callbacks:
        result = evaluate_pilots(today=TODAY)
    assert len(result.opened_critical_ids) == 4
    assert len(callbacks) == 1  # the sweep is asked for after commit, nothing is sent inside the transaction
    alert = OwnerAlert.objects.get()  # one email for the owner of both pilots, written with the flags
    assert alert.status == OwnerAlert.Status.PENDING
    assert set(alert.flags.values_list("pk", flat=True)) == set(result.opened_critical_ids)

    from pilots.notifications import send_pending_owner_alerts

    assert send_pending_owner_alerts()["sent"] == 1
    assert send_pending_owner_alerts()["sent"] == 0  # never twice
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == [pilot.owner.email]
    assert email.subject == "4 critical flags opened on 2 of your pilots"
    assert f"http://testserver/pilots/{pilot.pk}/" in email.body
    assert f"http://testserver/pilots/{other.pk}/" in email.body
    assert "missing its target" in email.alternatives[0][0]
    assert Flag.objects.filter(owner_notified_at__isnull=False).count() == 4

    with django_capture_on_commit_callbacks() as callbacks:
        evaluate_pilots(today=TODAY)
    assert callbacks == []  # the flags are kept, not reopened: no new email
    assert OwnerAlert.objects.count() == 1


def test_an_alert_whose_sender_died_is_sent_by_the_next_sweep(mailoutbox, settings):
    from pilots.notifications import STALE_CLAIM, send_pending_owner_alerts

    pilot = running_pilot(today=TODAY, weeks_running=3)
    measure(metric(pilot, critical=True), today=TODAY, weeks_ago=1, value="80")
    evaluate_pilots(today=TODAY)
    alert = OwnerAlert.objects.get()
    OwnerAlert.objects.filter(pk=alert.pk).update(claimed_at=timezone.now())  # a sender holds it now
    assert send_pending_owner_alerts()["sent"] == 0
    OwnerAlert.objects.filter(pk=alert.pk).update(claimed_at=timezone.now() - STALE_CLAIM * 2)  # it died
    assert send_pending_owner_alerts()["sent"] == 1
    assert [m.subject for m in mailoutbox] == [f"Critical flag on {pilot.name}: Target missed"]


def _portfolio(size: int):
    cert_type = CertificationTypeFactory(code="ISO-Q")
    for _ in range(size):
        pilot = running_pilot(today=TODAY, weeks_running=4)
        pilot.work_items.first().required_certifications.add(cert_type)
        ProviderCertificationFactory(
            provider=pilot.provider, certification_type=cert_type, expires_on=TODAY + datetime.timedelta(weeks=1)
        )
        good, bad = metric(pilot), metric(pilot, critical=False, warning_margin=Decimal("1"))
        measure_weeks(good, today=TODAY, values=["97"], start_weeks_ago=2)  # the pilot's first weeks are missing
        for weeks_ago, value in ((1, "94"), (2, "95.5"), (4, "95.5")):  # a hole at week 3
            measure(bad, today=TODAY, weeks_ago=weeks_ago, value=value)


@pytest.mark.parametrize("size", [10, 200])
def test_query_count_does_not_depend_on_the_number_of_pilots(size):
    _portfolio(size)
    with CaptureQueriesContext(connection) as first:
        result = evaluate_pilots(today=TODAY, notify=False)
    assert result.pilots == size
    # Each pilot: one target missed, a week missing before a run and one inside, a certificate lapsing.
    assert result.opened == size * 4
    with CaptureQueriesContext(connection) as second:
        evaluate_pilots(today=TODAY, notify=False)
    # First run: read pilots, metrics (with how many due periods each has measured and the first and
    # last of them), the edges of the runs of metrics with a hole inside, required and held
    # certifications, planned stages, open flags; insert flags; read what was inserted; touch kept
    # flags; resolve finished pilots' flags; plus the savepoint pair around it.
    assert len(first.captured_queries) == 13, [q["sql"][:80] for q in first.captured_queries]
    assert len(second.captured_queries) == 11, [q["sql"][:80] for q in second.captured_queries]


@pytest.mark.django_db(transaction=True)
def test_an_overlapping_run_that_opened_the_flag_first_is_not_duplicated():
    pilot = running_pilot(today=TODAY, weeks_running=3)
    m = metric(pilot)
    measure_weeks(m, today=TODAY, values=["80", "96", "96"])
    inserted, release, outcome = threading.Event(), threading.Event(), {}

    def other_run():
        # Another evaluation that inserted the same flag and has not committed yet.
        try:
            with transaction.atomic():
                Flag.objects.create(
                    pilot=pilot,
                    metric=m,
                    kind=FlagKind.TARGET_MISSED,
                    severity=Severity.CRITICAL,
                    message="opened by the other run",
                )
                inserted.set()
                release.wait(10)
        finally:
            connection.close()

    def this_run():
        try:
            outcome["result"] = evaluate_pilots(today=TODAY, notify=False)
        except Exception as exc:  # the test reports any error the overlap raises
            outcome["error"] = exc
        finally:
            connection.close()

    other = threading.Thread(target=other_run)
    other.start()
    assert inserted.wait(10)
    this = threading.Thread(target=this_run)
    this.start()
    this.join(1.5)  # it waits on the other run's uncommitted row
    release.set()
    other.join(10)
    this.join(10)
    assert "error" not in outcome, outcome.get("error")
    assert (
        Flag.objects.filter(pilot=pilot, metric=m, kind=FlagKind.TARGET_MISSED, resolved_at__isnull=True).count() == 1
    )
    assert outcome["result"].opened == 0


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_make_no_duplicate_flags():
    for _ in range(20):
        pilot = running_pilot(today=TODAY, weeks_running=3)
        measure(metric(pilot), today=TODAY, weeks_ago=1, value="80")
        metric(pilot)  # never measured: missing data
    results, errors = [], []
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait(5)
            results.append(evaluate_pilots(today=TODAY, notify=False))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    # Per pilot: the measured metric missed its target and lacks the week of 2 Nov; the other
    # metric was never measured.
    assert Flag.objects.open().count() == 60
    assert sum(r.opened for r in results) == 60


def test_a_refused_recipient_does_not_hold_up_the_other_owners_alerts(settings):
    from pilots.notifications import send_pending_owner_alerts
    from tests.factories import UserFactory
    from tests.smtp import send_mail_through, smtp_server

    bounced = running_pilot(today=TODAY, weeks_running=3, owner=UserFactory(username="bo", email="bounce@example.com"))
    measure(metric(bounced, critical=True), today=TODAY, weeks_ago=1, value="80")
    evaluate_pilots(today=TODAY)  # the refused owner's alert is the oldest
    fine = running_pilot(today=TODAY, weeks_running=3)
    measure(metric(fine, critical=True), today=TODAY, weeks_ago=1, value="80")
    evaluate_pilots(today=TODAY)
    with smtp_server() as (mailbox, port):
        send_mail_through(settings, port)
        counts = send_pending_owner_alerts()
    assert (counts["failed"], counts["sent"]) == (1, 1)
    assert [m["To"] for m in mailbox.messages] == [fine.owner.email]
    assert OwnerAlert.objects.get(owner__username="bo").status == OwnerAlert.Status.PENDING  # tried again later
