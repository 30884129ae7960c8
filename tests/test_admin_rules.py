"""The admin refuses what the browser refuses: statuses move only through the services."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pilots.choices import PilotStatus
from scope.choices import CandidateStatus, WorkItemStatus
from tests.factories import (
    CandidateFactory,
    EvaluationCriterionFactory,
    FlagFactory,
    PilotFactory,
    ProviderFactory,
    WorkItemFactory,
)
from vendors.choices import ProviderStatus

pytestmark = pytest.mark.django_db


def form_data(form) -> dict:
    """What a browser posts back for `form` as rendered (an unticked box sends nothing)."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        if isinstance(value, list | tuple):
            value = [str(v) for v in value]
        data[form.add_prefix(name)] = value
    return data


def change_data(client, url: str) -> dict:
    """The change form, with its inline rows, as the admin renders it, ready to post back."""
    response = client.get(url)
    data = form_data(response.context["adminform"].form)
    for inline in response.context.get("inline_admin_formsets", []):
        formset = inline.formset
        data.update(form_data(formset.management_form))
        for form in formset.forms:
            data.update(form_data(form))
    return data


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_a_vague_work_item_cannot_be_marked_ready_in_the_admin(admin_client):
    item = WorkItemFactory(title="Finance work", status=WorkItemStatus.DRAFT)
    url = reverse("admin:scope_workitem_change", args=[item.pk])
    data = change_data(admin_client, url)
    assert "status" not in data  # read-only
    data["status"] = WorkItemStatus.READY
    assert admin_client.post(url, data).status_code == 302
    item.refresh_from_db()
    assert item.status == WorkItemStatus.DRAFT

    action = reverse("admin:scope_workitem_lifecycle", args=[item.pk, "mark_ready"])
    response = admin_client.post(action)
    assert response.status_code == 400
    assert "&#x27;Finance work&#x27; names a department or category" in response.content.decode()
    response = admin_client.post(
        reverse("admin:scope_workitem_changelist"), {"action": "mark_ready_selected", "_selected_action": [item.pk]}
    )
    assert any("names a department or category" in m for m in messages_of(admin_client.get(response["Location"])))
    item.refresh_from_db()
    assert item.status == WorkItemStatus.DRAFT


def test_a_blocked_provider_cannot_be_selected_in_the_admin(admin_client):
    item = WorkItemFactory(status=WorkItemStatus.SOURCING)
    provider = ProviderFactory(status=ProviderStatus.BLOCKED, blocked_reason="Failed the security audit")
    candidate = CandidateFactory(work_item=item, provider=provider, status=CandidateStatus.SHORTLISTED)
    url = reverse("admin:scope_candidate_change", args=[candidate.pk])
    data = change_data(admin_client, url)
    data["status"] = CandidateStatus.SELECTED
    assert admin_client.post(url, data).status_code == 302
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.SHORTLISTED

    response = admin_client.post(reverse("admin:scope_candidate_lifecycle", args=[candidate.pk, "select"]))
    assert response.status_code == 400
    page = response.content.decode()
    assert f"{provider} fails a hard gate, so you cannot select it:" in page
    assert f"{provider} is blocked: Failed the security audit" in page
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.SHORTLISTED


def test_a_running_pilots_provider_cannot_be_swapped_in_the_admin(admin_client):
    today = timezone.localdate()
    pilot = PilotFactory(
        status=PilotStatus.RUNNING,
        starts_on=today - datetime.timedelta(weeks=2),
        ends_on=today + datetime.timedelta(weeks=6),
    )
    original = pilot.provider
    blocked = ProviderFactory(status=ProviderStatus.BLOCKED, blocked_reason="Sanctions list")
    url = reverse("admin:pilots_pilot_change", args=[pilot.pk])
    data = change_data(admin_client, url)
    assert "provider" not in data and "starts_on" not in data and "volume_share" not in data
    data.update(provider=blocked.pk, volume_share="90", name="Renamed pilot")
    response = admin_client.post(url, data, follow=True)
    assert (
        f"Not changed: &#x27;{pilot.name}&#x27; has started, so its provider, share of volume (%) stay as planned"
        in (response.content.decode())
    )
    pilot.refresh_from_db()
    assert (pilot.provider, pilot.volume_share, pilot.name) == (original, Decimal("10.00"), "Renamed pilot")


def test_a_planned_pilot_cannot_take_a_blocked_provider_in_the_admin(admin_client):
    pilot = PilotFactory(status=PilotStatus.PLANNED)
    blocked = ProviderFactory(status=ProviderStatus.BLOCKED, blocked_reason="Sanctions list")
    url = reverse("admin:pilots_pilot_change", args=[pilot.pk])
    data = change_data(admin_client, url)
    data["provider"] = blocked.pk
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert f"{blocked} is blocked and cannot start new pilots: Sanctions list" in response.content.decode()


def test_history_revert_cannot_restore_a_status(admin_client):
    provider = ProviderFactory(status=ProviderStatus.PROSPECT)
    first_version = provider.history.first().history_id
    provider.status, provider.blocked_reason = ProviderStatus.BLOCKED, "Fraud"
    provider.save()
    url = reverse("admin:vendors_provider_simple_history", args=[provider.pk, first_version])
    data = change_data(admin_client, url)
    response = admin_client.post(url, data)
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.status == ProviderStatus.BLOCKED
    follow = admin_client.get(response["Location"])
    assert any("Old versions are kept for reading; none is restored." in m for m in messages_of(follow))


def test_criteria_are_not_edited_one_by_one_and_scores_go_through_the_scoring_service(admin_client, admin_user):
    criterion = EvaluationCriterionFactory()
    assert admin_client.get(reverse("admin:scope_evaluationcriterion_add")).status_code == 403
    change = reverse("admin:scope_evaluationcriterion_change", args=[criterion.pk])
    assert admin_client.post(change, {"name": criterion.name, "weight": "5"}).status_code == 403

    candidate = CandidateFactory(status=CandidateStatus.LONG_LIST)  # its provider offers no service line
    manual = EvaluationCriterionFactory(work_item=candidate.work_item, basis="manual")
    response = admin_client.post(
        reverse("admin:scope_score_add"),
        {"candidate": candidate.pk, "criterion": manual.pk, "evaluator": admin_user.pk, "value": "4"},
    )
    assert response.status_code == 200
    assert "fails a hard gate, so you cannot score it" in response.content.decode()


def test_a_started_pilots_metrics_cannot_be_deleted_reverted_or_added_and_saving_one_works(admin_client):
    pilot = PilotFactory(status=PilotStatus.PLANNED)
    metric = pilot.metrics.create(name="Accuracy", unit="%", direction="higher_is_better", target=Decimal("50"))
    first_version = metric.history.first().history_id
    url = reverse("admin:pilots_pilotmetric_change", args=[metric.pk])
    data = change_data(admin_client, url)
    data.update(target="99", critical="on")
    assert admin_client.post(url, data).status_code == 302  # planned: editable, and saving does not fail
    metric.refresh_from_db()
    assert metric.target == Decimal("99")

    PilotFactory._meta.model.objects.filter(pk=pilot.pk).update(status=PilotStatus.RUNNING)
    assert (
        admin_client.post(reverse("admin:pilots_pilotmetric_delete", args=[metric.pk]), {"post": "yes"}).status_code
        == 403
    )
    revert = reverse("admin:pilots_pilotmetric_simple_history", args=[metric.pk, first_version])
    response = admin_client.post(revert, change_data(admin_client, revert))
    assert response.status_code == 302
    metric.refresh_from_db()
    assert (metric.target, metric.critical) == (Decimal("99"), True)
    response = admin_client.post(
        reverse("admin:pilots_pilotmetric_add"),
        {
            "pilot": pilot.pk,
            "name": "Late addition",
            "direction": "higher_is_better",
            "target": "1",
            "warning_margin": "0",
            "cadence": "weekly",
            "min_samples": "4",
            "measurements-TOTAL_FORMS": "0",
            "measurements-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200 and "frozen since it started" in response.content.decode()
    assert admin_client.post(reverse("admin:pilots_pilot_delete", args=[pilot.pk]), {"post": "yes"}).status_code == 403


def test_a_ready_work_item_cannot_be_made_vague_in_the_admin(admin_client):
    item = WorkItemFactory(status=WorkItemStatus.READY)
    item.success_metrics.create(name="Accuracy", unit="%", direction="higher_is_better", target=Decimal("98"))
    url = reverse("admin:scope_workitem_change", args=[item.pk])
    data = change_data(admin_client, url)
    data["title"] = "Finance work"
    response = admin_client.post(url, data, follow=True)
    assert "must stay ready for sourcing" in response.content.decode()
    item.refresh_from_db()
    assert item.title != "Finance work"
    metric = item.success_metrics.get()
    response = admin_client.post(
        reverse("admin:scope_successmetric_delete", args=[metric.pk]), {"post": "yes"}, follow=True
    )
    assert "Add at least one success metric" in response.content.decode()
    assert item.success_metrics.exists()


def test_crafted_history_ids_answer_404(admin_client):
    pilot = PilotFactory()
    assert admin_client.get(f"/admin/pilots/pilot/{pilot.pk}/history/abc/").status_code == 404


def test_old_versions_are_for_reading_only(admin_client):
    flag = FlagFactory()
    version = flag.history.first().history_id
    flag.resolved_at = timezone.now()
    flag.save()
    url = reverse("admin:pilots_flag_simple_history", args=[flag.pk, version])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {})
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.resolved_at is not None
    for path in ("/admin/pilots/pilot/abc/history/", "/admin/scope/successmetric/1/history/abc/"):
        assert admin_client.get(path).status_code == 404


def test_an_edit_read_before_a_status_change_does_not_undo_it(editor):
    from pilots import services
    from tests.conftest import logged_in_client

    today = timezone.localdate()
    pilot = PilotFactory(
        status=PilotStatus.RUNNING,
        starts_on=today - datetime.timedelta(weeks=2),
        ends_on=today + datetime.timedelta(weeks=6),
        owner=editor,
    )
    client = logged_in_client(editor)
    form_page = client.get(reverse("pilots:pilot-edit", args=[pilot.pk]))
    data = {k: v for k, v in form_page.context["form"].initial.items() if v is not None}
    services.pilot_submit_for_review(pilot=pilot, by=editor)
    response = client.post(
        reverse("pilots:pilot-edit", args=[pilot.pk]), {**data, "name": "Renamed", "owner": editor.pk}
    )
    assert response.status_code == 302
    pilot.refresh_from_db()
    assert (pilot.name, pilot.status) == ("Renamed", PilotStatus.IN_REVIEW)


def test_a_started_pilots_owner_and_rule_are_fixed(editor):
    from tests.conftest import logged_in_client

    today = timezone.localdate()
    pilot = PilotFactory(
        status=PilotStatus.RUNNING,
        starts_on=today - datetime.timedelta(weeks=2),
        ends_on=today + datetime.timedelta(weeks=6),
        decision_rule="Accuracy ≥ 98% for four weeks",
    )
    response = logged_in_client(editor).post(
        reverse("pilots:pilot-edit", args=[pilot.pk]),
        {"name": pilot.name, "owner": editor.pk, "decision_rule": "Anything goes", "volume_share": "10"},
    )
    assert response.status_code == 302
    pilot.refresh_from_db()
    assert (pilot.owner, pilot.decision_rule) != (editor, "Anything goes")
    assert pilot.decision_rule == "Accuracy ≥ 98% for four weeks" and pilot.owner != editor
