"""Two people editing the same record: the second is shown the first one's change instead of
overwriting it, and may then save on purpose; double submits end in a clear message, never a 500."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from scope.models import EvaluationCriterion
from tests.conftest import logged_in_client
from tests.factories import PilotFactory, ProviderFactory, UserFactory, WorkItemFactory
from tests.support.forms import form_data
from tests.support.races import clients_of, race
from vendors.models import Provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_editors():
    return (
        logged_in_client(UserFactory(username="ann", groups=["editor"])),
        logged_in_client(UserFactory(username="bob", groups=["editor"])),
    )


@pytest.mark.parametrize(
    ("url_name", "factory", "field", "first", "second"),
    [
        ("vendors:provider-edit", ProviderFactory, "description", "Description by Ann", "Description by Bob"),
        ("scope:workitem-edit", WorkItemFactory, "description", "Scope by Ann", "Scope by Bob"),
        ("pilots:pilot-edit", PilotFactory, "decision_rule", "Rule by Ann", "Rule by Bob"),
    ],
)
def test_the_second_save_sees_the_first_instead_of_overwriting_it(two_editors, url_name, factory, field, first, second):
    ann, bob = two_editors
    obj = factory()
    url = reverse(url_name, args=[obj.pk])
    ann_form, bob_form = form_data(ann.get(url)), form_data(bob.get(url))
    assert "_version" in ann_form
    assert ann.post(url, {**ann_form, field: first}).status_code == 302
    response = bob.post(url, {**bob_form, field: second})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else saved this by ann" in page and f"now “{first}”" in page
    obj.refresh_from_db()
    assert getattr(obj, field) == first  # Ann's change is not lost
    # Bob has seen it and saves again on purpose: both changes are in the history.
    again = form_data(response)
    assert bob.post(url, {**again, field: second}).status_code == 302
    obj.refresh_from_db()
    assert getattr(obj, field) == second
    values = [getattr(h, field) for h in obj.history.order_by("history_date")]
    assert first in values and second in values


@pytest.mark.django_db(transaction=True)
def test_double_submits_of_creating_forms_never_fail():
    clients = clients_of(UserFactory(username="dora", groups=["editor"]), 6)
    url = reverse("vendors:provider-add")
    data = form_data(clients[0].get(url))
    data.update({"name": "Twin Submit Ltd", "headquarters_country": "GB", "website": "", "description": ""})
    statuses = race([lambda c=c: c.post(url, data).status_code for c in clients])
    assert 500 not in statuses, statuses
    assert Provider.objects.filter(name="Twin Submit Ltd").count() == 1
    assert statuses == [302] * len(clients), statuses  # the repeats land on the provider the first created
    # Without the form's submission mark (a script), the unique name still turns the repeats away.
    bare = {k: v for k, v in data.items() if k != "_submission"} | {"name": "Bare Twin Ltd"}
    statuses = race([lambda c=c: c.post(url, bare).status_code for c in clients])
    assert sorted(statuses) == [200] * (len(clients) - 1) + [302], statuses
    assert Provider.objects.filter(name="Bare Twin Ltd").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_repeat_arriving_after_the_first_committed_goes_to_the_record_it_created():
    [client] = clients_of(UserFactory(username="late", groups=["editor"]), 1)
    url = reverse("vendors:provider-add")
    data = form_data(client.get(url))
    data.update({"name": "Late Twin Ltd", "headquarters_country": "GB", "website": "", "description": ""})
    first, repeat = client.post(url, data), client.post(url, data)  # the repeat validates after the commit
    assert (first.status_code, repeat.status_code) == (302, 302)
    assert repeat["Location"] == first["Location"] == Provider.objects.get(name="Late Twin Ltd").get_absolute_url()


@pytest.mark.django_db(transaction=True)
def test_a_double_submitted_work_item_is_created_once():
    from scope.models import WorkItem

    user = UserFactory(username="dbl", groups=["editor"])
    clients = clients_of(user, 5)
    url = reverse("scope:workitem-add")
    data = form_data(clients[0].get(url))
    assert len(data["_submission"]) == 32
    data.update({"title": "Supplier invoice validation for the Leeds plant", "description": "x"})
    statuses = race([lambda c=c: c.post(url, data).status_code for c in clients])
    assert 500 not in statuses, statuses
    assert WorkItem.objects.filter(title="Supplier invoice validation for the Leeds plant").count() == 1
    assert statuses == [302] * len(clients), statuses


@pytest.mark.django_db(transaction=True)
def test_concurrent_criteria_edits_never_leave_weights_off_100():
    item = WorkItemFactory()
    EvaluationCriterion.objects.filter(work_item=item).delete()
    for name, weight in [("Cost", 50), ("Quality", 50)]:
        EvaluationCriterion.objects.create(work_item=item, name=name, weight=weight)
    clients = [clients_of(UserFactory(username=f"crit{i}", groups=["editor"]), 1)[0] for i in range(2)]
    url = reverse("scope:workitem-criteria", args=[item.pk])
    forms = [form_data(c.get(url)) for c in clients]
    # One moves 5 points to cost, the other adds a 5-point criterion: each totals 100 on its own.
    first = {**forms[0], "criteria-0-weight": "55", "criteria-1-weight": "45"}
    rows = int(forms[1]["criteria-TOTAL_FORMS"])
    second = {
        **forms[1],
        "criteria-1-weight": "45",
        f"criteria-{rows - 1}-name": "Speed",
        f"criteria-{rows - 1}-weight": "5",
        f"criteria-{rows - 1}-basis": "manual",
    }
    statuses = race([lambda: clients[0].post(url, first).status_code, lambda: clients[1].post(url, second).status_code])
    assert 500 not in statuses, statuses
    assert sorted(statuses) == [302, 409], statuses
    assert sum(EvaluationCriterion.objects.filter(work_item=item).values_list("weight", flat=True)) == 100


@pytest.mark.django_db(transaction=True)
def test_double_submits_of_adding_a_candidate_scoring_and_planning_a_pilot_never_fail():
    from scope.choices import CriterionBasis, WorkItemStatus
    from scope.models import Candidate, Score
    from tests.factories import CandidateFactory

    user = UserFactory(username="swift", groups=["editor"])
    clients = clients_of(user, 6)
    item = WorkItemFactory(status=WorkItemStatus.READY)
    provider = ProviderFactory()
    add = reverse("scope:candidate-add", args=[item.pk])
    statuses = race([lambda c=c: c.post(add, {"provider": provider.pk}).status_code for c in clients])
    assert statuses == [302] * len(clients), statuses
    assert Candidate.objects.filter(work_item=item, provider=provider).count() == 1

    candidate = CandidateFactory()
    from vendors.models import ServiceLine

    kind_lines = ServiceLine.objects.filter(kind=candidate.work_item.kind)
    candidate.provider.service_lines.add(*kind_lines)  # eligible to be scored
    criterion = EvaluationCriterion.objects.create(
        work_item=candidate.work_item, name="References", weight=15, basis=CriterionBasis.MANUAL
    )
    score = reverse("scope:candidate-score", args=[candidate.pk])
    data = {f"value_{criterion.pk}": "4", f"comment_{criterion.pk}": "Good references"}
    statuses = race([lambda c=c: c.post(score, data).status_code for c in clients])
    assert statuses == [302] * len(clients), statuses
    assert Score.objects.filter(candidate=candidate, criterion=criterion, evaluator=user).count() == 1

    plan = reverse("pilots:pilot-add")
    pilot_item = WorkItemFactory(status=WorkItemStatus.READY)
    form = form_data(clients[0].get(plan + f"?work_items={pilot_item.pk}&provider={provider.pk}"))
    form.update(
        {
            "name": "Twin pilot",
            "starts_on": str(timezone.localdate()),
            "ends_on": str(timezone.localdate() + datetime.timedelta(weeks=8)),
            "volume_share": "10",
        }
    )
    statuses = race([lambda c=c: c.post(plan, form).status_code for c in clients])
    assert 500 not in statuses, statuses
    from pilots.models import Pilot

    assert Pilot.objects.filter(name="Twin pilot").count() == 1
    assert statuses == [302] * len(clients), statuses  # the repeats land on the pilot the first one saved


def test_a_form_shown_again_with_errors_still_notices_a_change_saved_meanwhile(two_editors):
    ann, bob = two_editors
    provider = ProviderFactory()
    url = reverse("vendors:provider-edit", args=[provider.pk])
    ann_form, bob_form = form_data(ann.get(url)), form_data(bob.get(url))
    assert bob.post(url, {**bob_form, "description": "Description by Bob"}).status_code == 302
    shown_again = ann.post(url, {**ann_form, "website": "not a website at all"})
    assert shown_again.status_code == 200  # a field error; the version it was opened with is kept
    response = ann.post(url, {**form_data(shown_again), "website": "https://ann.example"})
    assert response.status_code == 409 and "Description by Bob" in response.content.decode()


def test_saving_the_same_form_twice_is_no_conflict(two_editors):
    ann, _ = two_editors
    provider = ProviderFactory()
    url = reverse("vendors:provider-edit", args=[provider.pk])
    data = {**form_data(ann.get(url)), "description": "Once, twice"}
    assert ann.post(url, data).status_code == 302
    assert ann.post(url, data).status_code == 302  # a double click: the same values are stored already


def test_a_rolled_back_new_record_is_still_a_new_record(two_editors):
    ann, _ = two_editors
    url = reverse("vendors:provider-add")
    data = form_data(ann.get(url))
    data.update({"name": "Phantom Ltd", "headquarters_country": "GB", "contacts-TOTAL_FORMS": "2"})
    for i in range(2):
        data.update({f"contacts-{i}-name": f"Same {i}", f"contacts-{i}-email": "same@example.com"})
    response = ann.post(url, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "New provider" in page and "_version" not in page
    assert not Provider.objects.filter(name="Phantom Ltd").exists()
