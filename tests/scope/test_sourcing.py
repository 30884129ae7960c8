import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from config.formatting import day
from scope.choices import CandidateStatus, CriterionBasis, PreferredDelivery, WorkItemStatus
from scope.models import EvaluationCriterion
from scope.selectors import rank_providers
from scope.services import candidate_add, candidate_set_status, score_record
from tests.conftest import logged_in_client
from tests.factories import (
    CandidateFactory,
    CertificationTypeFactory,
    DeliveryCenterFactory,
    IndustryExperienceFactory,
    IndustryFactory,
    LanguageFactory,
    ProviderCertificationFactory,
    ProviderFactory,
    ServiceLineFactory,
    UserFactory,
    WorkItemFactory,
)
from vendors.choices import ProviderStatus

pytestmark = pytest.mark.django_db

UNTIL = timezone.localdate() + datetime.timedelta(weeks=12)


@pytest.fixture
def setting():
    """A nearshore process work item requiring ISO 27001, and a provider that passes every gate."""
    iso = CertificationTypeFactory(code="ISO27001")
    process = ServiceLineFactory(name="Accounts payable", kind="process")
    item = WorkItemFactory(status=WorkItemStatus.READY, kind="process", preferred_delivery=PreferredDelivery.NEARSHORE)
    item.required_certifications.add(iso)

    def provider(name, **changes):
        p = ProviderFactory(name=name)
        p.service_lines.add(process)
        DeliveryCenterFactory(provider=p, country="PL", time_zone="Europe/Warsaw")
        ProviderCertificationFactory(provider=p, certification_type=iso, expires_on=UNTIL + datetime.timedelta(days=1))
        return p

    return {"iso": iso, "item": item, "provider": provider}


def reasons_for(item, provider):
    ranking = rank_providers(work_item=item, valid_through=UNTIL)
    eligible = {fit.facts.id for fit in ranking.eligible}
    if provider.pk in eligible:
        return []
    return next(fit.gate_problems for fit in ranking.ineligible if fit.facts.id == provider.pk)


def test_a_provider_passing_every_gate_is_eligible(setting):
    assert reasons_for(setting["item"], setting["provider"]("Vistula")) == []


def test_blocked_fails_alone(setting):
    p = setting["provider"]("Vistula")
    p.status, p.blocked_reason = ProviderStatus.BLOCKED, "Sanctions review"
    p.save()
    assert reasons_for(setting["item"], p) == ["Vistula is blocked: Sanctions review"]


def test_missing_certificate_fails_alone(setting):
    p = setting["provider"]("Vistula")
    p.certifications.all().delete()
    assert reasons_for(setting["item"], p) == [
        f"Vistula does not hold ISO27001, which '{setting['item'].title}' requires."
    ]


def test_unverified_certificate_fails_alone(setting):
    p = setting["provider"]("Vistula")
    p.certifications.update(verified_at=None, verified_by=None)
    assert reasons_for(setting["item"], p) == ["Vistula's ISO27001 certificate is not verified yet."]


def test_certificate_expiring_before_the_pilot_ends_fails_alone(setting):
    p = setting["provider"]("Vistula")
    p.certifications.update(expires_on=UNTIL - datetime.timedelta(days=1))
    [reason] = reasons_for(setting["item"], p)
    assert reason.startswith("Vistula's ISO27001 certificate expires on")
    assert reason.endswith(f"before {day(UNTIL)}.")


def test_no_centre_in_the_preferred_location_fails_alone(setting):
    p = setting["provider"]("Vistula")
    p.delivery_centers.update(country="IN", time_zone="Asia/Kolkata")
    assert reasons_for(setting["item"], p) == [
        f"Vistula has no nearshore delivery centre, which '{setting['item'].title}' prefers."
    ]


def test_no_service_line_of_the_kind_fails_alone(setting):
    p = setting["provider"]("Vistula")
    p.service_lines.update(kind="knowledge")
    assert reasons_for(setting["item"], p) == ["Vistula offers no Process (BPO) service line."]


def test_weighted_total_matches_a_hand_calculation():
    industry = IndustryFactory(name="Retail", slug="retail")
    item = WorkItemFactory(status=WorkItemStatus.READY, industry=industry)
    process = ServiceLineFactory(kind="process")
    provider = ProviderFactory(name="Pennine")
    provider.service_lines.add(process)
    IndustryExperienceFactory(provider=provider, industry=industry, years=7, reference_clients=3)
    ProviderCertificationFactory(provider=provider, certification_type=CertificationTypeFactory(code="ISO9001"))
    ProviderCertificationFactory(provider=provider, certification_type=CertificationTypeFactory(code="ISO27001"))
    EvaluationCriterion.objects.create(work_item=item, name="Industry", weight=40, basis=CriterionBasis.INDUSTRY)
    EvaluationCriterion.objects.create(work_item=item, name="Security", weight=30, basis=CriterionBasis.CERTIFICATIONS)
    cost = EvaluationCriterion.objects.create(work_item=item, name="Cost", weight=30, basis=CriterionBasis.MANUAL)
    candidate = CandidateFactory(work_item=item, provider=provider)
    score_record(candidate=candidate, criterion=cost, evaluator=UserFactory(), value=4)
    score_record(candidate=candidate, criterion=cost, evaluator=UserFactory(), value=5)

    [fit] = rank_providers(work_item=item).eligible
    scores = {s.criterion.name: (s.score, s.explanation) for s in fit.scores}
    # 7 years → 4; two valid certificates → 1 + 4 × 2/4 = 3; cost averaged (4 + 5) / 2 = 4.5
    assert scores["Industry"] == (4, "7 years in Retail, 3 reference clients")
    assert scores["Security"] == (3.0, "2 valid: ISO27001, ISO9001")
    assert scores["Cost"] == (4.5, "Average of 2 evaluators")
    # 40 × 4/5 + 30 × 3/5 + 30 × 4.5/5 = 32 + 18 + 27
    assert fit.total == 77.0


def test_delivery_fit_counts_required_languages(setting):
    item = setting["item"]
    english, german = LanguageFactory(code="xx", name="Xish"), LanguageFactory(code="yy", name="Yish")
    item.required_languages.set([english, german])
    EvaluationCriterion.objects.create(work_item=item, name="Delivery", weight=100, basis=CriterionBasis.DELIVERY)
    p = setting["provider"]("Vistula")
    p.languages.add(english)
    [fit] = rank_providers(work_item=item, valid_through=UNTIL).eligible
    assert fit.scores[0].score == 3.0
    assert fit.scores[0].explanation == "Delivers nearshore; 1 of 2 required languages (Xish)"


@pytest.mark.parametrize("size", [5, 50])
def test_ranking_runs_a_fixed_number_of_queries(setting, size):
    """Ranking, then reading every eligible fit's explained scores and every ineligible one's reasons."""
    item = setting["item"]
    item.industry = IndustryFactory()
    item.save()
    item.required_languages.add(LanguageFactory(code="xx", name="Xish"))
    for basis, weight in [("industry", 25), ("certifications", 25), ("delivery", 25), ("manual", 25)]:
        EvaluationCriterion.objects.create(work_item=item, name=basis, weight=weight, basis=basis)
    for i in range(size):
        setting["provider"](f"Provider {i:03d}")
        setting["provider"](f"Unverified {i:03d}").certifications.update(verified_at=None, verified_by=None)
    with CaptureQueriesContext(connection) as ranking_queries:
        ranking = rank_providers(work_item=item, valid_through=UNTIL)
    with CaptureQueriesContext(connection) as reading_queries:
        explained = [s.explanation for fit in ranking.eligible for s in fit.scores]
        reasons = [reason for fit in ranking.ineligible for reason in fit.gate_problems]
    assert (len(ranking.eligible), len(ranking.ineligible)) == (size, size)
    assert len(explained) == 4 * size
    assert reasons[0] == "Unverified 000's ISO27001 certificate is not verified yet."
    # Criteria, required certificates, required languages, scores, candidates, certification types,
    # the eligible with their numbers, every id by name.
    assert len(ranking_queries) == 8
    # Eligible: names, industry experience, certificates, centres, languages; ineligible: gates, holdings.
    assert len(reading_queries) == 7


def test_sourcing_page_runs_a_fixed_number_of_queries(setting):
    item = setting["item"]
    for basis, weight in [("industry", 25), ("certifications", 25), ("delivery", 25), ("manual", 25)]:
        EvaluationCriterion.objects.create(work_item=item, name=basis, weight=weight, basis=basis)
    client = logged_in_client(UserFactory(groups=["editor"]))
    counts = {}
    made = 0
    for size in (5, 60):
        for i in range(made, size):
            candidate_add(work_item=item, provider=setting["provider"](f"Provider {i:03d}"))
            setting["provider"](f"Unverified {i:03d}").certifications.update(verified_at=None, verified_by=None)
        made = size
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("scope:workitem-sourcing", args=[item.pk])).content.decode()
        assert f"{size} eligible of {2 * size} providers" in page
        assert page.count('<span class="badge ok">eligible</span>') == size  # each candidate's gates checked
        counts[size] = len(queries)
    # The ranking and its slices, plus the candidates' own hard gates (required types, gates).
    assert counts == {5: 22, 60: 22}


def test_long_slices_read_the_same_words_as_short_ones(setting, monkeypatch):
    """Past LONG_SLICE ids a slice asks for its whole side of the ranking instead of an id list."""
    item = setting["item"]
    EvaluationCriterion.objects.create(work_item=item, name="Security", weight=50, basis=CriterionBasis.CERTIFICATIONS)
    EvaluationCriterion.objects.create(work_item=item, name="Delivery", weight=50, basis=CriterionBasis.DELIVERY)
    for i in range(6):
        setting["provider"](f"Provider {i}")
        setting["provider"](f"Unverified {i}").certifications.update(verified_at=None, verified_by=None)

    def read():
        ranking = rank_providers(work_item=item, valid_through=UNTIL)
        eligible = [(f.facts.name, f.total, [s.explanation for s in f.scores]) for f in ranking.eligible[1:5]]
        return eligible, [(f.facts.name, f.gate_problems) for f in ranking.ineligible[1:5]]

    by_list = read()
    monkeypatch.setattr("scope.selectors.LONG_SLICE", 2)
    assert read() == by_list
    # One valid certificate: 1 + 4 × 1/4 = 2 → 50 × 2/5 = 20; no languages required: 5 → 50.
    assert by_list[0][0] == ("Provider 1", 70.0, ["Delivers nearshore", "1 valid: ISO27001"])
    assert by_list[1][0] == ("Unverified 1", ["Unverified 1's ISO27001 certificate is not verified yet."])


def test_score_outside_1_to_5_refused():
    candidate = CandidateFactory()
    manual = EvaluationCriterion.objects.create(work_item=candidate.work_item, name="Cost", weight=100)
    for value in (0, 6):
        with pytest.raises(ValidationError) as excinfo:
            score_record(candidate=candidate, criterion=manual, evaluator=UserFactory(), value=value)
        assert "value" in excinfo.value.message_dict
    computed = EvaluationCriterion.objects.create(
        work_item=candidate.work_item, name="Industry", weight=1, basis=CriterionBasis.INDUSTRY
    )
    with pytest.raises(ValidationError, match="computed from the provider's data"):
        score_record(candidate=candidate, criterion=computed, evaluator=UserFactory(), value=3)


def test_score_page_refuses_an_out_of_range_value():
    candidate = CandidateFactory()
    cost = EvaluationCriterion.objects.create(work_item=candidate.work_item, name="Cost", weight=100)
    client = logged_in_client(UserFactory(groups=["editor"]))
    response = client.post(reverse("scope:candidate-score", args=[candidate.pk]), {f"value_{cost.pk}": "7"})
    assert response.status_code == 400
    assert "Select a valid choice. 7 is not one of the available choices." in response.content.decode()


def test_weights_not_totalling_100_are_refused_with_a_message():
    item = WorkItemFactory()
    client = logged_in_client(UserFactory(groups=["editor"]))
    data = {
        "criteria-TOTAL_FORMS": "2",
        "criteria-INITIAL_FORMS": "0",
        "criteria-0-name": "Cost",
        "criteria-0-weight": "60",
        "criteria-0-basis": "manual",
        "criteria-1-name": "Industry",
        "criteria-1-weight": "30",
        "criteria-1-basis": "industry",
    }
    response = client.post(reverse("scope:workitem-criteria", args=[item.pk]), data)
    assert response.status_code == 400
    assert "The weights total 90; they must total 100." in response.content.decode()
    assert not item.criteria.exists()
    data["criteria-1-weight"] = "40"
    assert client.post(reverse("scope:workitem-criteria", args=[item.pk]), data).status_code == 302
    assert sorted(item.criteria.values_list("weight", flat=True)) == [40, 60]


def test_candidates_move_through_the_list_and_one_is_selected_for_a_pilot(setting):
    item, editor = setting["item"], UserFactory(groups=["editor"])
    a, b = setting["provider"]("Alpha"), setting["provider"]("Beta")
    first = candidate_add(work_item=item, provider=a, by=editor)
    item.refresh_from_db()
    assert item.status == WorkItemStatus.SOURCING
    second = candidate_add(work_item=item, provider=b, by=editor)
    with pytest.raises(ValidationError, match="already a candidate"):
        candidate_add(work_item=item, provider=a)
    with pytest.raises(ValidationError, match="cannot move to selected"):
        candidate_set_status(candidate=first, status=CandidateStatus.SELECTED)
    for candidate in (first, second):
        candidate_set_status(candidate=candidate, status=CandidateStatus.SHORTLISTED)
    candidate_set_status(candidate=first, status=CandidateStatus.SELECTED)
    with pytest.raises(ValidationError, match="Alpha is already selected"):
        candidate_set_status(candidate=second, status=CandidateStatus.SELECTED)

    client = logged_in_client(editor)
    candidate_set_status(candidate=first, status=CandidateStatus.SHORTLISTED)
    response = client.post(reverse("scope:candidate-status", args=[first.pk]), {"status": "selected", "plan": "1"})
    assert response["Location"] == f"{reverse('pilots:pilot-add')}?work_items={item.pk}&provider={a.pk}"
    form_page = client.get(response["Location"]).content.decode()
    assert f'<option value="{a.pk}" selected>Alpha</option>' in form_page


def test_shortlisting_a_provider_that_fails_a_gate_is_refused_with_its_reasons(setting):
    item = setting["item"]
    p = setting["provider"]("Vistula")
    p.certifications.update(verified_at=None, verified_by=None)
    candidate = candidate_add(work_item=item, provider=p)
    with pytest.raises(ValidationError) as excinfo:
        candidate_set_status(candidate=candidate, status=CandidateStatus.SHORTLISTED)
    assert excinfo.value.messages == [
        "Vistula fails a hard gate, so you cannot shortlist it:",
        "Vistula's ISO27001 certificate is not verified yet.",
    ]


def test_a_draft_item_cannot_be_sourced():
    with pytest.raises(ValidationError, match="mark it ready before sourcing"):
        candidate_add(work_item=WorkItemFactory(), provider=ProviderFactory())


def test_new_work_item_offers_the_metrics_of_its_kind():
    client = logged_in_client(UserFactory(groups=["editor"]))
    process = client.get(reverse("scope:workitem-add")).content.decode()
    knowledge = client.get(reverse("scope:workitem-add") + "?kind=knowledge").content.decode()
    for name in ["Turnaround time", "Accuracy", "Cost per transaction", "SLA adherence"]:
        assert f'value="{name}"' in process
    for name in ["Reviewer quality score", "Rework rate", "On-time delivery of reports", "Cost per deliverable"]:
        assert f'value="{name}"' in knowledge
        assert f'value="{name}"' not in process
    # Suggestions kept with a target are saved; the others are not.
    response = client.post(
        reverse("scope:workitem-add"),
        {
            "title": "Equity research notes for analysts",
            "kind": "knowledge",
            "complexity": "high",
            "preferred_delivery": "any",
            "metrics-TOTAL_FORMS": "5",
            "metrics-INITIAL_FORMS": "0",
            **{
                f"metrics-{i}-{field}": value
                for i, (name, unit, direction) in enumerate(
                    [
                        ("Reviewer quality score", "score 1–5", "higher_is_better"),
                        ("Rework rate", "%", "lower_is_better"),
                        ("On-time delivery of reports", "%", "higher_is_better"),
                        ("Cost per deliverable", "GBP", "lower_is_better"),
                    ]
                )
                for field, value in {"name": name, "unit": unit, "direction": direction, "cadence": "weekly"}.items()
            },
            "metrics-0-target": "4.2",
            "metrics-4-cadence": "weekly",
        },
    )
    assert response.status_code == 302, [
        (f.errors, f.non_field_errors()) for f in response.context["formsets"]["metrics"]
    ] + [response.context["form"].errors]
    from scope.models import WorkItem

    item = WorkItem.objects.get(title="Equity research notes for analysts")
    assert [(m.name, m.target) for m in item.success_metrics.all()] == [("Reviewer quality score", Decimal("4.2"))]


def test_sourcing_page_lists_the_ranked_and_the_ineligible(setting):
    setting["provider"]("Alpha")
    blocked = setting["provider"]("Blocked Co")
    blocked.status, blocked.blocked_reason = ProviderStatus.BLOCKED, "Fraud case"
    blocked.save()
    client = logged_in_client(UserFactory(groups=["viewer"]))
    page = client.get(reverse("scope:workitem-sourcing", args=[setting["item"].pk])).content.decode()
    assert "1 eligible of 2 providers" in page
    assert "Blocked Co is blocked: Fraud case" in page
    assert "Add to long list" not in page  # viewers change nothing


def test_the_work_items_service_line_ranks_its_providers_first_or_is_a_gate_when_required(setting):
    item = setting["item"]
    accounts_payable = ServiceLineFactory(name="Accounts payable (AP)", kind="process")
    item.service_line = accounts_payable
    item.save()
    EvaluationCriterion.objects.create(work_item=item, name="certifications", weight=100, basis="certifications")
    offers = setting["provider"]("Offers AP")
    offers.service_lines.add(accounts_payable)
    strong = setting["provider"]("Strong without AP")
    for code in ("SOC2", "PCI", "HIPAA-X"):
        ProviderCertificationFactory(provider=strong, certification_type=CertificationTypeFactory(code=code))
    ranking = rank_providers(work_item=item, valid_through=UNTIL)
    fits = list(ranking.eligible)
    assert [f.facts.name for f in fits] == ["Offers AP", "Strong without AP"]
    assert fits[0].total < fits[1].total  # a better total does not outrank the service line
    assert fits[0].service_line_note == "Offers Accounts payable (AP)"
    assert fits[1].service_line_note == ("Does not offer Accounts payable (AP): ranked below every provider that does")

    item.service_line_required = True
    item.save()
    assert reasons_for(item, strong) == [
        f"Strong without AP does not offer Accounts payable (AP), which '{item.title}' requires."
    ]
    assert reasons_for(item, offers) == []


def test_an_ineligible_candidate_is_shown_with_its_reasons_and_cannot_be_shortlisted_scored_or_selected(setting):
    item = setting["item"]
    p = setting["provider"]("Vistula")
    candidate = candidate_add(work_item=item, provider=p)
    p.certifications.update(verified_at=None, verified_by=None)
    client = logged_in_client(UserFactory(groups=["editor"]))
    page = client.get(reverse("scope:workitem-sourcing", args=[item.pk])).content.decode()
    assert "not eligible" in page and "Vistula&#x27;s ISO27001 certificate is not verified yet." in page
    assert 'value="shortlisted"' not in page  # no Shortlist button for it
    # A hand-made POST is refused with the reasons.
    response = client.post(
        reverse("scope:candidate-status", args=[candidate.pk]), {"status": "shortlisted"}, follow=True
    )
    assert "Vistula fails a hard gate, so you cannot shortlist it:" in response.content.decode()
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.LONG_LIST
    manual = EvaluationCriterion.objects.create(work_item=item, name="Cost", weight=100)
    response = client.post(reverse("scope:candidate-score", args=[candidate.pk]), {f"value_{manual.pk}": "4"})
    assert response.status_code == 400
    assert "Vistula fails a hard gate, so you cannot score it:" in response.content.decode()
    assert not candidate.scores.exists()
    type(candidate).objects.filter(pk=candidate.pk).update(status=CandidateStatus.SHORTLISTED)
    with pytest.raises(ValidationError, match="so you cannot select it"):
        candidate_set_status(candidate=candidate, status=CandidateStatus.SELECTED)


def test_shortlisting_checks_the_same_valid_through_date_the_sourcing_page_showed(setting):
    item = setting["item"]
    p = setting["provider"]("Vistula")
    p.certifications.update(expires_on=timezone.localdate() + datetime.timedelta(weeks=5))
    candidate = candidate_add(work_item=item, provider=p)
    client = logged_in_client(UserFactory(groups=["editor"]))
    soon = (timezone.localdate() + datetime.timedelta(weeks=4)).isoformat()
    page = client.get(reverse("scope:workitem-sourcing", args=[item.pk]) + f"?until={soon}").content.decode()
    assert f'name="until" value="{soon}"' in page and 'value="shortlisted"' in page
    url = reverse("scope:candidate-status", args=[candidate.pk])
    client.post(url, {"status": "shortlisted"})  # no date: a usual 12-week pilot, which the certificate misses
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.LONG_LIST
    client.post(url, {"status": "shortlisted", "until": soon})
    candidate.refresh_from_db()
    assert candidate.status == CandidateStatus.SHORTLISTED
