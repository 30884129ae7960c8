import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from pilots import evidence, services
from pilots.choices import DecisionOutcome, FlagKind, PilotStatus, Severity
from pilots.gate import expansion_gate
from pilots.lifecycle import LIFECYCLE
from pilots.models import Flag, Measurement, Pilot
from scope.choices import PreferredDelivery, WorkItemStatus
from tests.factories import (
    CertificationTypeFactory,
    DeliveryCenterFactory,
    FlagFactory,
    ProviderCertificationFactory,
    ProviderFactory,
    SuccessMetricFactory,
    UserFactory,
    WorkItemFactory,
)
from vendors.choices import ProviderStatus

from .helpers import measure_weeks, metric, running_pilot

pytestmark = pytest.mark.django_db


def gate_status(pilot):
    return expansion_gate(pilot).reasons


def available_actions(pilot):
    return [t.action for t in LIFECYCLE.available(pilot.status)]


def today():
    return timezone.localdate()


def ready_item(**kwargs):
    item = WorkItemFactory(status=WorkItemStatus.READY, **kwargs)
    SuccessMetricFactory(work_item=item, name="Accuracy", target=Decimal("98"))
    return item


def plan(items=None, provider=None, owner=None, **kwargs):
    return services.pilot_create(
        name=kwargs.pop("name", "AP pilot"),
        provider=provider or ProviderFactory(),
        work_items=items if items is not None else [ready_item()],
        owner=owner or UserFactory(),
        starts_on=kwargs.pop("starts_on", today()),
        ends_on=kwargs.pop("ends_on", today() + datetime.timedelta(weeks=8)),
        volume_share=kwargs.pop("volume_share", Decimal("10")),
        **kwargs,
    )


def error_text(excinfo) -> str:
    return " ".join(excinfo.value.messages)


# --- Create -----------------------------------------------------------------------------------


def test_create_copies_the_success_metrics():
    item = ready_item()
    SuccessMetricFactory(
        work_item=item,
        name="Turnaround",
        target=Decimal("24"),
        direction="lower_is_better",
        critical=False,
        cadence="monthly",
    )
    pilot = plan([item])
    assert pilot.status == PilotStatus.PLANNED
    copies = {m.name: m for m in pilot.metrics.all()}
    assert set(copies) == {"Accuracy", "Turnaround"}
    assert copies["Turnaround"].target == Decimal("24")
    assert copies["Turnaround"].min_samples == 3
    assert copies["Accuracy"].min_samples == 4


def test_two_items_with_the_same_metric_name_are_told_apart():
    a, b = ready_item(title="Invoice validation"), ready_item(title="Vendor helpdesk tickets")
    pilot = plan([a, b])
    assert sorted(pilot.metrics.values_list("name", flat=True)) == [
        "Accuracy — Invoice validation",
        "Accuracy — Vendor helpdesk tickets",
    ]


def test_a_third_work_item_is_refused_with_a_clear_message():
    with pytest.raises(ValidationError) as excinfo:
        plan([ready_item(), ready_item(), ready_item()])
    assert "A pilot covers one or two work items, not 3" in error_text(excinfo)
    assert not Pilot.objects.exists()


def test_a_blocked_provider_cannot_get_a_new_pilot():
    provider = ProviderFactory(status=ProviderStatus.BLOCKED, blocked_reason="Data breach")
    with pytest.raises(ValidationError) as excinfo:
        plan(provider=provider)
    assert "is blocked and cannot start new pilots: Data breach" in error_text(excinfo)


def test_a_draft_work_item_cannot_be_piloted():
    item = ready_item()
    item.status = WorkItemStatus.DRAFT
    item.save()
    with pytest.raises(ValidationError) as excinfo:
        plan([item])
    assert "only a work item that passed its readiness check can be piloted" in error_text(excinfo)


# --- Start ------------------------------------------------------------------------------------


def test_start_runs_the_pilot_and_records_who_and_when():
    owner = UserFactory()
    pilot = plan(owner=owner)
    services.pilot_start(pilot=pilot, by=owner)
    pilot.refresh_from_db()
    assert pilot.status == PilotStatus.RUNNING
    assert pilot.work_items.get().status == WorkItemStatus.PILOTING
    assert pilot.provider.status == ProviderStatus.PILOTING
    record = pilot.history.first()
    assert (record.history_user, record.history_change_reason, record.status) == (owner, "Started", "running")


def test_start_needs_a_metric_with_a_target():
    item = WorkItemFactory(status=WorkItemStatus.READY)
    SuccessMetricFactory(work_item=item, target=None)
    pilot = plan([item])
    with pytest.raises(ValidationError) as excinfo:
        services.pilot_start(pilot=pilot)
    assert "Add at least one metric with a target before the pilot starts." in excinfo.value.messages


def test_start_refused_when_the_provider_was_blocked_since_planning():
    pilot = plan()
    pilot.provider.status, pilot.provider.blocked_reason = ProviderStatus.BLOCKED, "Sanctions check failed"
    pilot.provider.save()
    with pytest.raises(ValidationError) as excinfo:
        services.pilot_start(pilot=pilot)
    assert "is blocked: Sanctions check failed" in error_text(excinfo)


@pytest.mark.parametrize(
    ("held", "expected"),
    [
        (None, "does not hold ISO27001-T"),
        ("unverified", "ISO27001-T certificate is not verified yet"),
        ("expiring", "ISO27001-T certificate expires on"),
    ],
)
def test_start_checks_every_required_certification(held, expected):
    cert_type = CertificationTypeFactory(code="ISO27001-T")
    item = ready_item()
    item.required_certifications.add(cert_type)
    pilot = plan([item])
    if held == "unverified":
        ProviderCertificationFactory(
            provider=pilot.provider, certification_type=cert_type, verified_at=None, verified_by=None
        )
    elif held == "expiring":
        ProviderCertificationFactory(
            provider=pilot.provider, certification_type=cert_type, expires_on=pilot.ends_on - datetime.timedelta(days=1)
        )
    with pytest.raises(ValidationError) as excinfo:
        services.pilot_start(pilot=pilot)
    assert expected in error_text(excinfo)
    ProviderCertificationFactory(provider=pilot.provider, certification_type=cert_type, expires_on=pilot.ends_on)
    services.pilot_start(pilot=pilot)


def test_start_checks_the_preferred_delivery():
    item = ready_item(preferred_delivery=PreferredDelivery.NEARSHORE)
    pilot = plan([item])
    DeliveryCenterFactory(provider=pilot.provider, country="IN")
    with pytest.raises(ValidationError) as excinfo:
        services.pilot_start(pilot=pilot)
    assert "has no nearshore delivery centre" in error_text(excinfo)
    DeliveryCenterFactory(provider=pilot.provider, country="PL", time_zone="Europe/Warsaw")
    services.pilot_start(pilot=pilot)


def test_metrics_are_frozen_once_the_pilot_runs():
    pilot = plan()
    m = pilot.metrics.get()
    services.pilot_metric_update(metric=m, target=Decimal("97"), warning_margin=Decimal("0.5"))
    services.pilot_start(pilot=pilot)
    m.refresh_from_db()
    with pytest.raises(ValidationError) as excinfo:
        services.pilot_metric_update(metric=m, target=Decimal("90"))
    assert "are frozen since it started" in error_text(excinfo)
    m.refresh_from_db()
    assert m.target == Decimal("97")


def test_a_transition_from_the_wrong_status_says_which_statuses_allow_it():
    pilot = plan()
    with pytest.raises(ValidationError) as excinfo:
        services.pilot_pause(pilot=pilot)
    assert error_text(excinfo) == "'AP pilot' is planned; it can be paused only when running."
    with pytest.raises(ValidationError, match="can be closed only when failed or passed"):
        services.pilot_close(pilot=pilot)


def test_pause_resume_and_resume_rechecks_the_provider():
    pilot = plan()
    services.pilot_start(pilot=pilot)
    services.pilot_pause(pilot=pilot, reason="Provider holiday")
    pilot.refresh_from_db()
    assert pilot.status == PilotStatus.PAUSED
    assert pilot.history.first().history_change_reason == "Paused: Provider holiday"
    pilot.provider.status, pilot.provider.blocked_reason = ProviderStatus.BLOCKED, "Audit failed"
    pilot.provider.save()
    with pytest.raises(ValidationError, match="blocked"):
        services.pilot_resume(pilot=pilot)
    pilot.provider.status = ProviderStatus.PILOTING
    pilot.provider.save()
    services.pilot_resume(pilot=pilot)
    pilot.refresh_from_db()
    assert pilot.status == PilotStatus.RUNNING


def test_available_actions_follow_the_status():
    pilot = plan()
    assert available_actions(pilot) == ["start"]
    services.pilot_start(pilot=pilot)
    pilot.refresh_from_db()
    assert available_actions(pilot) == ["pause", "submit_for_review"]


# --- Gate and decisions -----------------------------------------------------------------------


def proven_pilot(*, values=("99",) * 4, ends_in_days=-1, owner=None):
    """A pilot in review whose one critical metric has the given weekly values, newest first."""
    pilot = running_pilot(
        today=today(),
        weeks_running=8,
        ends_on=today() + datetime.timedelta(days=ends_in_days),
        owner=owner or UserFactory(),
        status=PilotStatus.IN_REVIEW,
    )
    m = metric(pilot, name="Accuracy", unit="%", target=Decimal("98"), min_samples=4)
    last_period_weeks_ago = 1 if ends_in_days >= 0 else max(1, 1 + (-ends_in_days) // 7)
    measure_weeks(m, today=today(), values=list(values), start_weeks_ago=last_period_weeks_ago)
    return pilot, m


def test_gate_opens_only_on_proof():
    pilot, _ = proven_pilot()
    assert gate_status(pilot) == []


def test_gate_lists_each_missed_or_missing_period():
    pilot, _ = proven_pilot(values=("97.5", "99", "99"))
    reasons = gate_status(pilot)
    assert len(reasons) == 1
    assert reasons[0].startswith("Accuracy met its target (≥ 98%) in 2 of its last 4 weeks: 97.5 in the week of")
    assert "no data for the week of" in reasons[0]


def test_gate_closed_by_an_open_critical_flag_and_before_the_decision_date():
    pilot, m = proven_pilot(ends_in_days=10)
    FlagFactory(pilot=pilot, metric=m, kind=FlagKind.TARGET_MISSED, severity=Severity.CRITICAL)
    reasons = gate_status(pilot)
    assert "1 critical flag is open: Target missed on Accuracy." in reasons
    assert any(r.startswith("The decision date (") for r in reasons)
    assert not any(r.startswith("The decision date (") for r in expansion_gate(pilot).proof_reasons)


def test_gate_needs_a_critical_metric():
    pilot = running_pilot(today=today(), ends_on=today(), status=PilotStatus.IN_REVIEW)
    metric(pilot, critical=False)
    assert "No metric is marked critical, so there is nothing to prove the pilot on." in gate_status(pilot)


def test_decide_expand_refused_with_the_gates_reasons():
    pilot, _ = proven_pilot(values=("90", "99", "99", "99"))
    with pytest.raises(ValidationError) as excinfo:
        services.pilot_decide(pilot=pilot, outcome=DecisionOutcome.EXPAND, rationale="Looks fine", by=pilot.owner)
    assert excinfo.value.messages[0] == "The gate to expand is closed:"
    assert "Accuracy met its target (≥ 98%) in 3 of its last 4 weeks" in excinfo.value.messages[1]
    pilot.refresh_from_db()
    assert pilot.status == PilotStatus.IN_REVIEW
    assert not pilot.decisions.exists()


def test_decide_expand_with_proof_passes_the_pilot():
    pilot, _ = proven_pilot()
    decision = services.pilot_decide(
        pilot=pilot, outcome=DecisionOutcome.EXPAND, rationale="All targets met.", by=pilot.owner
    )
    pilot.refresh_from_db()
    assert pilot.status == PilotStatus.PASSED
    assert (decision.outcome, decision.decided_by) == ("expand", pilot.owner)


def test_an_early_decision_is_the_owners_and_must_be_declared():
    pilot, _ = proven_pilot(ends_in_days=14)
    with pytest.raises(ValidationError, match="record an early decision"):
        services.pilot_decide(pilot=pilot, outcome=DecisionOutcome.EXPAND, rationale="Early", by=pilot.owner)
    with pytest.raises(ValidationError, match="Only the pilot's owner can record an early decision"):
        services.pilot_decide(
            pilot=pilot, outcome=DecisionOutcome.EXPAND, rationale="Early", by=UserFactory(), early=True
        )
    services.pilot_decide(pilot=pilot, outcome=DecisionOutcome.EXPAND, rationale="Early", by=pilot.owner, early=True)
    pilot.refresh_from_db()
    assert pilot.status == PilotStatus.PASSED


def test_stop_fails_and_extend_reruns_with_a_later_date():
    stopped, _ = proven_pilot(values=("90",) * 4)
    services.pilot_decide(pilot=stopped, outcome=DecisionOutcome.STOP, rationale="Accuracy too low.", by=stopped.owner)
    stopped.refresh_from_db()
    assert stopped.status == PilotStatus.FAILED

    extended, _ = proven_pilot(values=("90",) * 4)
    with pytest.raises(ValidationError, match="new decision date"):
        services.pilot_decide(pilot=extended, outcome=DecisionOutcome.EXTEND, rationale="More time", by=extended.owner)
    later = today() + datetime.timedelta(weeks=6)
    services.pilot_decide(
        pilot=extended, outcome=DecisionOutcome.EXTEND, rationale="More time", by=extended.owner, extend_to=later
    )
    extended.refresh_from_db()
    assert (extended.status, extended.ends_on) == (PilotStatus.RUNNING, later)


def test_decision_needs_a_rationale():
    pilot, _ = proven_pilot()
    with pytest.raises(ValidationError, match="Write down why"):
        services.pilot_decide(pilot=pilot, outcome=DecisionOutcome.STOP, rationale="  ", by=pilot.owner)


# --- Expand -----------------------------------------------------------------------------------


def passed_pilot():
    pilot, m = proven_pilot()
    services.pilot_decide(pilot=pilot, outcome=DecisionOutcome.EXPAND, rationale="Proven.", by=pilot.owner)
    pilot.refresh_from_db()
    return pilot, m


def test_expand_creates_the_next_stage():
    pilot, m = passed_pilot()
    next_stage = services.pilot_expand(pilot=pilot, by=pilot.owner, volume_share=Decimal("30"))
    pilot.refresh_from_db()
    assert pilot.status == PilotStatus.EXPANDED
    assert (next_stage.parent, next_stage.stage, next_stage.status) == (pilot, 2, PilotStatus.PLANNED)
    assert next_stage.volume_share == Decimal("30")
    assert list(next_stage.work_items.all()) == list(pilot.work_items.all())
    copied = next_stage.metrics.get()
    assert (copied.name, copied.target, copied.critical, copied.min_samples) == ("Accuracy", m.target, True, 4)
    assert next_stage.name == f"{pilot.name} — stage 2"
    assert Measurement.objects.filter(metric__pilot=next_stage).count() == 0


def test_expand_needs_a_larger_share_and_a_passed_pilot():
    pilot, _ = passed_pilot()
    with pytest.raises(ValidationError, match="larger share of volume than this one"):
        services.pilot_expand(pilot=pilot, by=pilot.owner, volume_share=pilot.volume_share)
    in_review, _ = proven_pilot()
    with pytest.raises(ValidationError, match="can be expanded only when passed"):
        services.pilot_expand(pilot=in_review, by=None, volume_share=Decimal("50"))


def test_expand_rechecks_the_gate():
    pilot, m = passed_pilot()
    Flag.objects.create(
        pilot=pilot, metric=m, kind=FlagKind.CERTIFICATION_LAPSED, severity=Severity.CRITICAL, message="x"
    )
    with pytest.raises(ValidationError, match="The gate to expand is closed"):
        services.pilot_expand(pilot=pilot, by=pilot.owner, volume_share=Decimal("40"))


def test_close_after_a_decision():
    pilot, _ = passed_pilot()
    services.pilot_close(pilot=pilot, by=None)
    pilot.refresh_from_db()
    assert pilot.status == PilotStatus.CLOSED


# --- Measurements and flags -------------------------------------------------------------------


def test_recording_twice_corrects_rather_than_duplicates():
    pilot = running_pilot(today=today())
    m = metric(pilot)
    day = today() - datetime.timedelta(weeks=1)
    first, created = evidence.measurement_record(metric=m, period=day, value=Decimal("90"), by=pilot.owner)
    second, created_again = evidence.measurement_record(metric=m, period=day, value=Decimal("96"), by=pilot.owner)
    assert (created, created_again, first.pk) == (True, False, second.pk)
    assert first.period_start.weekday() == 0  # normalised to the week's Monday
    assert [h.history_change_reason for h in second.history.all()] == ["Corrected", "Recorded"]


def test_measurements_only_for_pilots_under_way_and_periods_that_began():
    pilot = running_pilot(today=today(), status=PilotStatus.PLANNED)
    m = metric(pilot)
    with pytest.raises(ValidationError, match="measurements are recorded while it runs"):
        evidence.measurement_record(metric=m, period=today(), value=Decimal("1"))
    pilot.status = PilotStatus.RUNNING
    pilot.save()
    with pytest.raises(ValidationError, match="has not started yet"):
        evidence.measurement_record(metric=m, period=today() + datetime.timedelta(weeks=2), value=Decimal("1"))
    with pytest.raises(ValidationError, match="before the pilot started"):
        evidence.measurement_record(metric=m, period=pilot.starts_on - datetime.timedelta(weeks=1), value=1)


def test_acknowledging_a_flag_once():
    flag = FlagFactory()
    user = UserFactory()
    assert evidence.flag_acknowledge(flag=flag, by=user) is True
    assert evidence.flag_acknowledge(flag=flag, by=UserFactory()) is False
    flag.refresh_from_db()
    assert flag.acknowledged_by == user
