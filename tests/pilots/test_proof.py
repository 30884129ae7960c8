"""The chain measurement → judgement → flag → gate → decision → next stage, as a user meets it."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from pilots import services
from pilots.choices import DecisionOutcome, FlagKind, PilotStatus, Severity
from pilots.digest import preview_digest, render_digest
from pilots.evaluation import evaluate_pilots
from pilots.gate import expansion_gate
from pilots.models import Flag, Measurement, Pilot
from pilots.periods import missing_periods
from pilots.selectors import portfolio_counts
from scope.choices import Cadence, Direction, WorkItemStatus
from tests.conftest import logged_in_client
from tests.factories import (
    CandidateFactory,
    FlagFactory,
    PilotFactory,
    ProviderCertificationFactory,
    SuccessMetricFactory,
    UserFactory,
    WorkItemFactory,
)
from tests.worker import celery_worker, wait_for
from vendors.choices import ProviderStatus

from .helpers import measure, measure_weeks, metric, monday, running_pilot

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 18)  # a Wednesday; the week of 9 Nov is due from Thursday 19 Nov


def missing_flag(pilot):
    return Flag.objects.open().filter(pilot=pilot, kind=FlagKind.MISSING_DATA).first()


# --- Every period is judged --------------------------------------------------------------------


def test_a_gap_in_the_middle_is_flagged_after_later_weeks_are_entered_until_it_is_filled():
    pilot = running_pilot(today=TODAY, weeks_running=5)
    m = metric(pilot, name="Accuracy", unit="%")
    for weeks_ago in (2, 4, 5):  # nothing for the weeks of 19 Oct (3 weeks ago)
        measure(m, today=TODAY, weeks_ago=weeks_ago, value="97")
    evaluate_pilots(today=TODAY, notify=False)
    flag = missing_flag(pilot)
    assert flag.message == (
        "Accuracy has no measurement for the week of 26 Oct 2026 (due by 4 Nov 2026). Missing data is never a pass."
    )
    # Another gap, later: one flag for the metric names both.
    evaluate_pilots(today=TODAY + datetime.timedelta(days=1), notify=False)
    flag = missing_flag(pilot)
    assert "the weeks of 26 Oct 2026 and 9 Nov 2026" in flag.message
    assert Flag.objects.open().filter(pilot=pilot, kind=FlagKind.MISSING_DATA).count() == 1
    # Filling the later week leaves the earlier gap flagged.
    measure(m, today=TODAY, weeks_ago=1, value="97")
    evaluate_pilots(today=TODAY + datetime.timedelta(days=1), notify=False)
    assert "the week of 26 Oct 2026" in missing_flag(pilot).message
    # Filling the gap resolves it.
    measure(m, today=TODAY, weeks_ago=3, value="97")
    evaluate_pilots(today=TODAY + datetime.timedelta(days=1), notify=False)
    assert missing_flag(pilot) is None


@pytest.mark.parametrize(
    ("grace", "today", "due"),
    [
        (3, datetime.date(2026, 11, 18), ["2026-10-26", "2026-11-02"]),  # week of 9 Nov inside its grace
        (3, datetime.date(2026, 11, 19), ["2026-10-26", "2026-11-02", "2026-11-09"]),  # the first day it is late
        (0, datetime.date(2026, 11, 16), ["2026-10-26", "2026-11-02", "2026-11-09"]),  # no grace: due on Monday
    ],
)
def test_due_periods_at_the_grace_boundary(settings, grace, today, due):
    settings.MISSING_DATA_GRACE_DAYS = grace
    missing = missing_periods(
        set(),
        today=today,
        cadence=Cadence.WEEKLY,
        starts_on=datetime.date(2026, 10, 28),
        ends_on=today + datetime.timedelta(weeks=4),
    )
    assert [d.isoformat() for d in missing] == due


def test_monthly_cadence_judges_every_month():
    pilot = running_pilot(today=TODAY, weeks_running=14)  # started Monday 17 Aug 2026
    m = metric(
        pilot,
        name="Cost per deliverable",
        cadence=Cadence.MONTHLY,
        unit="GBP",
        direction=Direction.LOWER_IS_BETTER,
        target=Decimal("400"),
        min_samples=3,
    )
    Measurement.objects.create(metric=m, period_start=datetime.date(2026, 8, 1), value=Decimal("390"))
    Measurement.objects.create(metric=m, period_start=datetime.date(2026, 10, 1), value=Decimal("380"))
    evaluate_pilots(today=TODAY, notify=False)
    # September is missing; October was due by 3 Nov; November is not over.
    assert missing_flag(pilot).message == (
        "Cost per deliverable has no measurement for the month of September 2026 (due by 3 Oct 2026). "
        "Missing data is never a pass."
    )


def test_the_pilot_page_shows_every_missing_period_on_the_card_and_the_chart(editor):
    today = timezone.localdate()
    pilot = running_pilot(today=today, weeks_running=4)
    m = metric(pilot, name="Accuracy", unit="%")
    measure(m, today=today, weeks_ago=2, value="97")
    measure(m, today=today, weeks_ago=4, value="97")
    page = logged_in_client(editor).get(pilot.get_absolute_url()).content.decode()
    gap = monday(today) - datetime.timedelta(weeks=3)
    assert f"No measurement for 1 period: {gap.day} {gap:%b %Y}." in page or "No measurement for 2 periods" in page
    assert "without a measurement" in page  # the chart's label
    assert page.count('<g class="missing">') >= 1


def test_near_miss_reads_as_at_risk_and_an_unreachable_margin_is_refused():
    pilot = running_pilot(today=TODAY, weeks_running=2, status=PilotStatus.PLANNED)
    m = metric(pilot, name="Accuracy", unit="%", target=Decimal("99.5"), warning_margin=Decimal("1"))
    with pytest.raises(ValidationError) as excinfo:
        m.full_clean()
    assert excinfo.value.message_dict["warning_margin"] == [
        "With a target of 99.5%, a warning margin of 1 would need 100.5% to count as met without risk, above the "
        "highest possible value (100%). Use at most 0.5."
    ]
    with pytest.raises(ValidationError):
        services.pilot_metric_update(metric=m, warning_margin=Decimal("2"))
    services.pilot_metric_update(metric=m, warning_margin=Decimal("0.3"))
    assert FlagKind.NEAR_MISS.label == "At risk"


def test_an_unreachable_margin_is_refused_on_the_pilot_form(editor):
    pilot = running_pilot(today=TODAY, status=PilotStatus.PLANNED)
    m = metric(pilot, name="Rework rate", unit="%", direction=Direction.LOWER_IS_BETTER, target=Decimal("2"))
    data = {
        "name": pilot.name,
        "owner": pilot.owner_id,
        "starts_on": pilot.starts_on,
        "ends_on": pilot.ends_on,
        "volume_share": "10",
        "metrics-TOTAL_FORMS": "1",
        "metrics-INITIAL_FORMS": "1",
        "metrics-0-id": m.pk,
        "metrics-0-name": m.name,
        "metrics-0-unit": "%",
        "metrics-0-direction": Direction.LOWER_IS_BETTER,
        "metrics-0-target": "2",
        "metrics-0-warning_margin": "3",
        "metrics-0-cadence": "weekly",
        "metrics-0-min_samples": "4",
        "metrics-0-critical": "on",
    }
    response = logged_in_client(editor).post(reverse("pilots:pilot-edit", args=[pilot.pk]), data)
    assert response.status_code == 200
    assert "below the lowest possible value (0%). Use at most 2." in response.content.decode()
    m.refresh_from_db()
    assert m.warning_margin == 0


@pytest.mark.django_db(transaction=True)
def test_a_measurement_that_misses_a_critical_target_raises_its_flag_within_seconds(tmp_path):
    today = timezone.localdate()
    owner = UserFactory(email="owner@example.com")
    pilot = running_pilot(today=today, weeks_running=1, owner=owner)
    m = metric(pilot, name="Accuracy", unit="%", target=Decimal("98"), critical=True)
    editor = UserFactory(groups=["editor"])
    with celery_worker(TEST_EMAIL_URL=f"filemail://{tmp_path}"):
        response = logged_in_client(editor).post(
            reverse("pilots:pilot-measurements", args=[pilot.pk]),
            {"period": monday(today) - datetime.timedelta(weeks=1), f"value_{m.pk}": "91"},
        )
        assert response.status_code == 302
        flag = wait_for(
            lambda: Flag.objects.open().filter(pilot=pilot, kind=FlagKind.TARGET_MISSED).first(), timeout=20
        )
        assert flag is not None and flag.severity == Severity.CRITICAL
        assert wait_for(lambda: list(tmp_path.iterdir()), timeout=20)
    text = "".join(path.read_text() for path in tmp_path.iterdir())
    assert f"Subject: Critical flag on {pilot.name}: Target missed" in text


# --- One gate, shown the same everywhere -------------------------------------------------------


def proven(owner, *, ends_on, values=("99",) * 4):
    pilot = running_pilot(today=timezone.localdate(), ends_on=ends_on, owner=owner, status=PilotStatus.IN_REVIEW)
    m = metric(pilot, name="Accuracy", unit="%", target=Decimal("98"))
    measure_weeks(m, today=timezone.localdate(), values=list(values))
    return pilot


def text(html: str) -> str:
    return re.sub(r"\s+", " ", html)


def test_the_gate_reads_word_for_word_on_every_page_that_shows_it(admin_user, admin_client):
    today = timezone.localdate()
    closed = proven(admin_user, ends_on=today - datetime.timedelta(days=1), values=("99", "90", "99", "99"))
    reasons = expansion_gate(closed).reasons
    assert reasons and reasons[0].startswith("Accuracy met its target (≥ 98%) in 3 of its last 4 weeks")
    client = logged_in_client(admin_user)
    pages = {
        "pilot": client.get(closed.get_absolute_url()),
        "decision": client.get(reverse("pilots:pilot-action", args=[closed.pk, "decide"])),
        "admin": admin_client.get(reverse("admin:pilots_pilot_change", args=[closed.pk])),
        "admin decision": admin_client.get(reverse("admin:pilots_pilot_lifecycle", args=[closed.pk, "decide"])),
    }
    for name, response in pages.items():
        page = text(response.content.decode())
        assert "Gate to expand: closed" in page, name
        for reason in reasons:
            assert text(reason.replace("≥", "&ge;")) in page or text(reason) in page, (name, reason)

    ready = proven(admin_user, ends_on=today - datetime.timedelta(days=1))
    headline = expansion_gate(ready).headline
    assert headline == "Gate to expand: open"
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert f"{ready.name}</a>" in dashboard and headline in dashboard
    digest = render_digest(preview_digest(admin_user))
    assert f"{ready.name} ({ready.provider.name}) — {headline}" in digest.body
    assert headline in digest.alternatives[0][0]


def test_the_decision_page_shows_the_evidence_and_offers_expand_only_while_the_gate_is_open(admin_user):
    today = timezone.localdate()
    client = logged_in_client(admin_user)
    closed = proven(admin_user, ends_on=today - datetime.timedelta(days=1), values=("99", "90", "99", "99"))
    FlagFactory(pilot=closed, severity=Severity.WARNING, kind=FlagKind.NEAR_MISS, message="Close call")
    page = client.get(reverse("pilots:pilot-action", args=[closed.pk, "decide"])).content.decode()
    assert 'id="evidence"' in page and "Close call" in page
    assert page.count('<span class="badge missed">missed</span>') == 1 and page.count("badge met") == 3
    assert 'value="expand"' not in page and 'value="stop"' in page
    assert 'name="early"' not in page  # the decision date has passed
    # A hand-made "expand" is refused with the gate's reasons.
    response = client.post(
        reverse("pilots:pilot-action", args=[closed.pk, "decide"]), {"outcome": "expand", "rationale": "Try"}
    )
    assert response.status_code == 400 and "The gate to expand is closed:" in response.content.decode()

    early = proven(admin_user, ends_on=today + datetime.timedelta(days=10))
    page = client.get(reverse("pilots:pilot-action", args=[early.pk, "decide"])).content.decode()
    assert 'value="expand"' in page and 'name="early"' in page  # the owner, with the proof, before the date
    other = logged_in_client(UserFactory(groups=["editor"]))
    page = other.get(reverse("pilots:pilot-action", args=[early.pk, "decide"])).content.decode()
    assert 'value="expand"' not in page  # not the owner: no early decision to expand


def test_after_a_decision_the_panel_says_what_was_decided(admin_user):
    pilot = proven(admin_user, ends_on=timezone.localdate() - datetime.timedelta(days=1))
    services.pilot_decide(pilot=pilot, outcome=DecisionOutcome.EXPAND, rationale="Proven", by=admin_user)
    pilot.refresh_from_db()
    page = logged_in_client(admin_user).get(pilot.get_absolute_url()).content.decode()
    assert "Gate to expand: decided to expand on" in page and "waiting to grow into stage 2" in page
    assert "Gate to expand: closed" not in page


# --- Outcomes carry through --------------------------------------------------------------------


def history_reasons(obj) -> list[str]:
    return [h.history_change_reason for h in obj.history.order_by("history_date", "history_id")]


def planned_pilot(**kwargs):
    item = WorkItemFactory(status=WorkItemStatus.SOURCING)
    SuccessMetricFactory(work_item=item, name="Accuracy", unit="%", target=Decimal("98"), critical=True)
    kwargs.setdefault("sourcing_note", "Incumbent, no competition for this pilot")
    today = timezone.localdate()
    return services.pilot_create(
        name=kwargs.pop("name", "AP pilot"),
        provider=kwargs.pop("provider"),
        work_items=[item],
        owner=kwargs.pop("owner", None),
        starts_on=today - datetime.timedelta(weeks=6),
        ends_on=today - datetime.timedelta(days=1),
        volume_share=Decimal(kwargs.pop("volume_share", "10")),
        **kwargs,
    )


def test_start_and_stop_carry_to_the_provider_and_work_items_with_their_cause(admin_user):
    provider = ProviderCertificationFactory().provider
    provider.status = ProviderStatus.SHORTLISTED
    provider.save()
    pilot = planned_pilot(provider=provider, owner=admin_user)
    item = pilot.work_items.get()
    services.pilot_start(pilot=pilot, by=admin_user)
    provider.refresh_from_db()
    item.refresh_from_db()
    assert (provider.status, item.status) == (ProviderStatus.PILOTING, WorkItemStatus.PILOTING)
    assert history_reasons(provider)[-1] == "Pilot 'AP pilot' started"
    assert history_reasons(item)[-1] == "Pilot 'AP pilot' started"
    assert provider.history.first().history_user == admin_user

    services.pilot_submit_for_review(pilot=pilot, by=admin_user)
    services.pilot_decide(pilot=pilot, outcome=DecisionOutcome.STOP, rationale="Too many errors", by=admin_user)
    provider.refresh_from_db()
    item.refresh_from_db()
    assert (provider.status, item.status) == (ProviderStatus.SHORTLISTED, WorkItemStatus.SOURCING)
    assert history_reasons(provider)[-1] == history_reasons(item)[-1] == "Pilot 'AP pilot' stopped"


def test_expansion_approves_the_provider_full_share_makes_it_active_and_a_closed_success_scales_the_item(admin_user):
    today = timezone.localdate()
    provider = ProviderCertificationFactory().provider
    pilot = planned_pilot(provider=provider, owner=admin_user)
    item = pilot.work_items.get()
    services.pilot_start(pilot=pilot, by=admin_user)
    measure_weeks(pilot.metrics.get(), today=today, values=["99"] * 6)
    services.pilot_submit_for_review(pilot=pilot, by=admin_user)
    services.pilot_decide(pilot=pilot, outcome=DecisionOutcome.EXPAND, rationale="Proven", by=admin_user)
    stage_two = services.pilot_expand(
        pilot=pilot,
        by=admin_user,
        volume_share=Decimal("100"),
        starts_on=today,
        ends_on=today + datetime.timedelta(weeks=6),
    )
    provider.refresh_from_db()
    assert provider.status == ProviderStatus.APPROVED
    assert history_reasons(provider)[-1] == "'AP pilot' expanded into stage 2"

    services.pilot_start(pilot=stage_two, by=admin_user)
    provider.refresh_from_db()
    assert provider.status == ProviderStatus.ACTIVE
    assert history_reasons(provider)[-1] == "Stage 2 of 'AP pilot — stage 2' runs at full share"

    Pilot.objects.filter(pk=stage_two.pk).update(status=PilotStatus.PASSED)
    services.pilot_close(pilot=stage_two, by=admin_user)
    item.refresh_from_db()
    assert item.status == WorkItemStatus.SCALED
    assert history_reasons(item)[-1] == "Last stage 'AP pilot — stage 2' closed as a success"
    # The provider list's status column tells the truth without anyone typing it.
    listing = logged_in_client(admin_user).get(reverse("vendors:provider-list") + f"?q={provider.name}")
    assert "Active" in listing.content.decode()


def test_selection_carries_into_the_pilot_and_another_provider_needs_a_reason(admin_user):
    candidate = CandidateFactory(status="selected", work_item=WorkItemFactory(status=WorkItemStatus.SOURCING))
    item = candidate.work_item
    SuccessMetricFactory(work_item=item, target=Decimal("98"))
    today = timezone.localdate()
    plan = {
        "work_items": [item],
        "owner": admin_user,
        "starts_on": today,
        "ends_on": today + datetime.timedelta(weeks=8),
        "volume_share": Decimal("10"),
        "by": admin_user,
    }
    pilot = services.pilot_create(name="From selection", provider=candidate.provider, **plan)
    assert pilot.candidate == candidate
    assert history_reasons(pilot) == [f"Planned with the selected candidate for '{item}'"]

    other = ProviderCertificationFactory().provider
    with pytest.raises(ValidationError) as excinfo:
        services.pilot_create(name="Someone else", provider=other, **plan)
    assert excinfo.value.message_dict["sourcing_note"] == [
        f"{other} is not the selected candidate: '{item}' has selected {candidate.provider}. "
        "To plan the pilot anyway, say why (it is kept with the pilot)."
    ]
    pilot = services.pilot_create(name="Someone else", provider=other, sourcing_note="Second source", **plan)
    assert pilot.sourcing_note == "Second source"
    assert history_reasons(pilot) == ["Planned without the selected candidate: Second source"]


def test_the_pilot_form_asks_why_when_the_provider_is_not_the_selected_candidate(editor):
    item = WorkItemFactory(status=WorkItemStatus.SOURCING)
    SuccessMetricFactory(work_item=item, target=Decimal("98"))
    other = ProviderCertificationFactory().provider
    today = timezone.localdate()
    data = {
        "name": "Unselected",
        "provider": other.pk,
        "work_items": [item.pk],
        "owner": editor.pk,
        "starts_on": today,
        "ends_on": today + datetime.timedelta(weeks=8),
        "volume_share": "10",
    }
    client = logged_in_client(editor)
    response = client.post(reverse("pilots:pilot-add"), data)
    assert response.status_code == 200
    assert "has no selected candidate yet" in response.content.decode()
    assert not Pilot.objects.exists()
    response = client.post(reverse("pilots:pilot-add"), {**data, "sourcing_note": "Urgent cover while sourcing"})
    assert response.status_code == 302
    assert Pilot.objects.get().sourcing_note == "Urgent cover while sourcing"


# --- Dashboard and digest tell the same truth ---------------------------------------------------


def test_worst_flag_first_on_the_dashboard_and_in_the_pilot_list(editor):
    today = timezone.localdate()
    quiet = running_pilot(today=today, name="Quiet pilot", ends_on=today + datetime.timedelta(days=1))
    warned = running_pilot(today=today, name="Warned pilot", ends_on=today + datetime.timedelta(days=2))
    FlagFactory(pilot=warned, severity=Severity.WARNING)
    critical = running_pilot(today=today, name="Critical pilot", ends_on=today + datetime.timedelta(days=30))
    FlagFactory(pilot=critical, severity=Severity.CRITICAL)
    paused = running_pilot(today=today, name="Paused pilot", status=PilotStatus.PAUSED)
    review = running_pilot(
        today=today, name="Review pilot", status=PilotStatus.IN_REVIEW, ends_on=today - datetime.timedelta(days=9)
    )
    client = logged_in_client(editor)
    page = client.get(reverse("dashboard")).content.decode()
    order = [page.index(f">{p.name}</a>") for p in (critical, warned, quiet)]
    assert order == sorted(order)
    for pilot in (paused, review):
        assert f">{pilot.name}</a>" in page
    assert "overdue since" in page  # the review pilot's decision, nine days late
    listing = client.get(reverse("pilots:pilot-list") + "?sort=worst_flag").content.decode()
    order = [listing.index(f">{p.name}</a>") for p in (critical, warned, quiet)]
    assert order == sorted(order)
    overdue = client.get(reverse("pilots:pilot-list") + "?decision=overdue").content.decode()
    assert "Review pilot" in overdue and "Quiet pilot" not in overdue


def test_dashboard_and_digest_count_the_same_on_the_same_day(editor):
    today = timezone.localdate()
    for days in (-20, -3, 0, 5, 13, 15, 40):
        pilot = running_pilot(today=today, ends_on=today + datetime.timedelta(days=days))
        FlagFactory(pilot=pilot, severity=Severity.CRITICAL if days < 0 else Severity.WARNING)
    running_pilot(today=today, status=PilotStatus.PAUSED, ends_on=today - datetime.timedelta(days=2))
    cert = ProviderCertificationFactory(expires_on=today + datetime.timedelta(days=20))
    PilotFactory(provider=cert.provider, status=PilotStatus.PLANNED)
    counts = portfolio_counts(today=today)
    assert (counts["overdue"], counts["due"], counts["certificates"]) == (3, 3, 1)
    digest = preview_digest(editor)
    assert digest.counts == counts
    page = logged_in_client(editor).get(reverse("dashboard")).content.decode()
    for key in ("under-way", "critical", "warnings", "overdue", "due", "certificates"):
        value = counts["under_way" if key == "under-way" else key]
        assert re.search(rf'id="stat-{key}" href="[^"]+"><div class="stat[^"]*">{value}</div>', page), key
    body = render_digest(digest).body
    assert f"{counts['overdue']} decisions overdue · {counts['due']} decisions due in 14 days" in body
    assert "1 certificate expiring" in body


def test_stat_cards_link_to_their_lists(editor):
    page = logged_in_client(editor).get(reverse("dashboard")).content.decode()
    for link in re.findall(r'class="card stat-card" id="stat-[a-z-]+" href="([^"]+)"', page):
        if link.startswith("#"):
            assert f'id="{link[1:]}"' in page
        else:
            assert logged_in_client(editor).get(link.replace("&amp;", "&")).status_code == 200


# --- What a fresh pair of eyes tried -----------------------------------------------------------


def test_two_pilots_with_one_provider_return_it_to_its_status_before_either(admin_user):
    provider = ProviderCertificationFactory().provider
    provider.status = ProviderStatus.SHORTLISTED
    provider.save()
    first = planned_pilot(provider=provider, owner=admin_user, name="First")
    second = planned_pilot(provider=provider, owner=admin_user, name="Second")
    for pilot in (first, second):
        services.pilot_start(pilot=pilot, by=admin_user)
        services.pilot_submit_for_review(pilot=pilot, by=admin_user)
    services.pilot_decide(pilot=first, outcome=DecisionOutcome.STOP, rationale="No", by=admin_user)
    provider.refresh_from_db()
    assert provider.status == ProviderStatus.PILOTING  # the second still runs
    services.pilot_decide(pilot=second, outcome=DecisionOutcome.STOP, rationale="No", by=admin_user)
    provider.refresh_from_db()
    assert provider.status == ProviderStatus.SHORTLISTED


def test_a_stop_keeps_the_work_item_while_another_pilot_of_it_passed(admin_user):
    passed = planned_pilot(provider=ProviderCertificationFactory().provider, owner=admin_user, name="Passed one")
    item = passed.work_items.get()
    services.pilot_start(pilot=passed, by=admin_user)
    Pilot.objects.filter(pk=passed.pk).update(status=PilotStatus.PASSED)
    other = services.pilot_create(
        name="Other",
        provider=ProviderCertificationFactory().provider,
        work_items=[item],
        owner=admin_user,
        starts_on=passed.starts_on,
        ends_on=passed.ends_on,
        volume_share=Decimal("10"),
        sourcing_note="Second source",
    )
    services.pilot_start(pilot=other, by=admin_user)
    services.pilot_submit_for_review(pilot=other, by=admin_user)
    services.pilot_decide(pilot=other, outcome=DecisionOutcome.STOP, rationale="No", by=admin_user)
    item.refresh_from_db()
    assert item.status == WorkItemStatus.PILOTING
    passed.refresh_from_db()
    services.pilot_close(pilot=passed, by=admin_user)
    item.refresh_from_db()
    passed.provider.refresh_from_db()
    assert item.status == WorkItemStatus.SCALED
    assert passed.provider.status == ProviderStatus.APPROVED  # a success settles the provider too


def test_a_blocked_provider_does_not_grow_into_a_next_stage(admin_user):
    pilot = proven(admin_user, ends_on=timezone.localdate() - datetime.timedelta(days=1))
    services.pilot_decide(pilot=pilot, outcome=DecisionOutcome.EXPAND, rationale="Proven", by=admin_user)
    pilot.provider.status, pilot.provider.blocked_reason = ProviderStatus.BLOCKED, "Fraud"
    pilot.provider.save()
    with pytest.raises(ValidationError, match="is blocked and cannot start new pilots"):
        services.pilot_expand(pilot=pilot, by=admin_user, volume_share=Decimal("50"))


def test_dates_near_the_calendars_ends_are_refused_not_a_server_error(editor):
    item = WorkItemFactory(status=WorkItemStatus.READY)
    response = logged_in_client(editor).post(
        reverse("pilots:pilot-add"),
        {
            "name": "Year one",
            "provider": ProviderCertificationFactory().provider_id,
            "work_items": [item.pk],
            "owner": editor.pk,
            "starts_on": "0001-01-01",
            "ends_on": "0001-01-03",
            "volume_share": "10",
        },
    )
    assert response.status_code == 200
    assert "Give a date between 2000 and 2099." in response.content.decode()
    assert not Pilot.objects.exists()


def test_a_missing_period_waits_for_long_grace_too(settings):
    settings.MISSING_DATA_GRACE_DAYS = 10
    missing = missing_periods(
        set(),
        today=datetime.date(2026, 11, 18),
        cadence=Cadence.WEEKLY,
        starts_on=datetime.date(2026, 10, 26),
        ends_on=datetime.date(2026, 12, 31),
    )
    # The week of 2 Nov ended on 8 Nov and is late from 19 Nov; the week of 26 Oct is late.
    assert [d.isoformat() for d in missing] == ["2026-10-26"]
