"""Reads about work items and the providers that could do them: hard gates and fit ranking.

The hard-gate rule is written once (`gate_failures`) over plain facts about a provider, so a
single pilot's start check and the ranking of 20,000 providers give the same answer; the ranking
loads those facts set-based, in a fixed number of queries.
"""

import datetime
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

from django.db.models import Avg, BooleanField, Count, ExpressionWrapper, Q
from django.utils import timezone

from vendors.choices import LocationClass, ProviderStatus
from vendors.models import (
    CertificationType,
    DeliveryCenter,
    IndustryExperience,
    Provider,
    ProviderCertification,
    countries_in_location_class,
    location_class_for,
)

from .choices import CriterionBasis, PreferredDelivery
from .models import Candidate, EvaluationCriterion, Score, WorkItem

# A pilot usually runs about three months: certificates must hold at least that long to source.
DEFAULT_PILOT_WEEKS = 12


@dataclass(slots=True)
class CertHolding:
    expires_on: datetime.date | None
    verified: bool

    def valid_through(self, day: datetime.date) -> bool:
        return self.verified and (self.expires_on is None or self.expires_on >= day)


@dataclass(slots=True)
class ProviderFacts:
    """What the gates and the fit score need to know about one provider."""

    id: int
    name: str
    status: str
    blocked_reason: str = ""
    # Filled in only as far as needed: the gates for every provider, the rest for the eligible.
    location_classes: frozenset[str] | set[str] = frozenset()
    countries: frozenset[str] | set[str] = frozenset()
    kinds: frozenset[str] | set[str] = frozenset()
    certs: dict[int, list[CertHolding]] | None = None
    language_ids: frozenset[int] | set[int] = frozenset()
    industry_years: int = 0
    reference_clients: int = 0


def gate_failures(
    facts: ProviderFacts, *, work_item: WorkItem, required: dict[int, str], valid_through: datetime.date
) -> list[str]:
    """The hard gates: not blocked; every required certification held, verified and in force through
    `valid_through`; a delivery centre in the preferred location class. `required` maps type id → code."""
    return list(_gate_failures(facts, work_item=work_item, required=required, valid_through=valid_through))


def _gate_failures(
    facts: ProviderFacts,
    *,
    work_item: WorkItem,
    required: dict[int, str],
    valid_through: datetime.date,
    kind_checked: bool = False,
) -> Iterator[str]:
    """One message per failed gate, produced lazily: `next()` answers "eligible?" with a single message."""
    if facts.status == ProviderStatus.BLOCKED:
        yield f"{facts.name} is blocked: {facts.blocked_reason}"
    for type_id, code in required.items():
        holdings = facts.certs.get(type_id) if facts.certs else None
        if not holdings:
            yield f"{facts.name} does not hold {code}, which '{work_item.title}' requires."
            continue
        verified = [h for h in holdings if h.verified]
        if any(h.expires_on is None or h.expires_on >= valid_through for h in verified):
            continue
        if not verified:
            yield f"{facts.name}'s {code} certificate is not verified yet."
        else:
            latest = max(h.expires_on for h in verified)
            yield f"{facts.name}'s {code} certificate expires on {latest:%d %b %Y}, before {valid_through:%d %b %Y}."
    preferred = work_item.preferred_delivery
    if preferred != PreferredDelivery.ANY and preferred not in facts.location_classes:
        yield (
            f"{facts.name} has no {LocationClass(preferred).label.lower()} delivery centre, "
            f"which '{work_item.title}' prefers."
        )
    if kind_checked and work_item.kind not in facts.kinds:
        yield f"{facts.name} offers no {work_item.get_kind_display()} service line."


def hard_gate_problems(*, provider: Provider, work_item: WorkItem, valid_through: datetime.date) -> list[str]:
    """Why `provider` may not do `work_item` (empty when every hard gate passes)."""
    facts = ProviderFacts(
        id=provider.pk,
        name=provider.name,
        status=provider.status,
        blocked_reason=provider.blocked_reason,
        location_classes={centre.location_class for centre in provider.delivery_centers.all()},
        certs={},
    )
    for cert in provider.certifications.all():
        facts.certs.setdefault(cert.certification_type_id, []).append(
            CertHolding(expires_on=cert.expires_on, verified=cert.verified_at is not None)
        )
    required = {t.pk: t.code for t in work_item.required_certifications.order_by("code")}
    return gate_failures(facts, work_item=work_item, required=required, valid_through=valid_through)


# --- Fit ---------------------------------------------------------------------------------------


@dataclass
class CriterionScore:
    criterion: EvaluationCriterion
    score: float | None  # 1–5, None when evaluators have not scored it yet
    explain: Callable[[], str]  # words are built only for the rows a page shows

    @property
    def explanation(self) -> str:
        return self.explain()


@dataclass
class ScoringContext:
    """What every criterion score of one ranking reads, shared by all its fits."""

    work_item: WorkItem
    criteria: list[EvaluationCriterion]
    required_languages: dict[int, str]
    valid_codes: dict[int, list[str]]
    manual: dict[tuple[int, int], tuple[float, int]]


@dataclass
class Fit:
    facts: ProviderFacts
    values: list[float | None] | None = None  # one 1–5 score (or None) per criterion, in criteria order
    context: ScoringContext | None = None
    failures: Iterator[str] | None = None  # the failed gates after the first, described on first read
    first_failure: str | None = None
    candidate: Candidate | None = None
    _problems: list[str] | None = None

    @property
    def gate_problems(self) -> list[str]:
        if self._problems is None:
            self._problems = [self.first_failure, *(self.failures or ())] if self.first_failure else []
        return self._problems

    @property
    def eligible(self) -> bool:
        return self.first_failure is None

    @property
    def scores(self) -> list[CriterionScore]:
        """Each criterion with its score and the words that explain it (built when read)."""
        if self.context is None:
            return []
        return [
            CriterionScore(criterion, value, partial(_explanation, criterion, self.facts, self.context))
            for criterion, value in zip(self.context.criteria, self.values, strict=True)
        ]

    @property
    def total(self) -> float:
        """Weighted total out of 100: each criterion adds weight × score / 5; unscored adds nothing."""
        if self.context is None:
            return 0.0
        return round(
            sum(c.weight * v / 5 for c, v in zip(self.context.criteria, self.values, strict=True) if v is not None), 1
        )

    @property
    def unscored(self) -> list[str]:
        return [s.criterion.name for s in self.scores if s.score is None]


@dataclass
class Ranking:
    eligible: list[Fit]
    ineligible: list[Fit]
    valid_through: datetime.date


def industry_score(years: int) -> int:
    """Years of experience in the work item's industry, on the 1–5 scale."""
    return 1 if years == 0 else 2 if years < 3 else 3 if years < 6 else 4 if years < 10 else 5


def certification_score(valid_count: int) -> float:
    """More valid security and quality certificates, more assurance; four or more is full marks."""
    return 1 + 4 * min(valid_count, 4) / 4


def delivery_score(*, offered: int, required: int) -> float:
    """The preferred location is a gate; the score rewards covering the required languages."""
    return 5.0 if required == 0 else 1 + 4 * offered / required


@contextmanager
def _without_gc_pauses():
    """Building tens of thousands of small acyclic objects triggers collection after collection of
    the cycle collector, costing as much as the work itself; pause it meanwhile (reference counting
    still frees everything)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def rank_providers(
    *, work_item: WorkItem, valid_through: datetime.date | None = None, provider_ids: list[int] | None = None
) -> Ranking:
    """Every provider (or those in `provider_ids`) for `work_item`: the eligible ranked by fit with
    each score explained, the ineligible with their reasons. A fixed number of queries.

    The gates read only what they need for every provider (kind, preferred location, required
    certificates); the facts that only scoring needs are loaded for the eligible providers alone.
    """
    with _without_gc_pauses():
        return _rank_providers(work_item=work_item, valid_through=valid_through, provider_ids=provider_ids)


def _rank_providers(
    *, work_item: WorkItem, valid_through: datetime.date | None, provider_ids: list[int] | None
) -> Ranking:
    valid_through = valid_through or timezone.localdate() + datetime.timedelta(weeks=DEFAULT_PILOT_WEEKS)
    criteria = list(work_item.criteria.all())
    required = {t.pk: t.code for t in work_item.required_certifications.order_by("code")}
    required_languages = {lang.pk: lang.name for lang in work_item.required_languages.all()}
    providers = Provider.objects.all() if provider_ids is None else Provider.objects.filter(pk__in=provider_ids)
    scope = providers.values("pk")
    facts = {
        pk: ProviderFacts(id=pk, name=name, status=status, blocked_reason=reason)
        for pk, name, status, reason in providers.values_list("id", "name", "status", "blocked_reason")
    }
    for provider_id in Provider.service_lines.through.objects.filter(
        provider__in=scope, serviceline__kind=work_item.kind
    ).values_list("provider_id", flat=True):
        facts[provider_id].kinds = {work_item.kind}
    preferred = work_item.preferred_delivery
    if preferred != PreferredDelivery.ANY:
        codes, exclude = countries_in_location_class(preferred)
        centres = DeliveryCenter.objects.filter(provider__in=scope)
        centres = centres.exclude(country__in=codes) if exclude else centres.filter(country__in=codes)
        for provider_id in centres.order_by().values_list("provider_id", flat=True).distinct():
            facts[provider_id].location_classes = {preferred}
    if required:
        for provider_id, type_id, expires_on, verified in (
            ProviderCertification.objects.filter(provider__in=scope, certification_type__in=list(required))
            .annotate(verified=ExpressionWrapper(Q(verified_at__isnull=False), output_field=BooleanField()))
            .values_list("provider_id", "certification_type_id", "expires_on", "verified")
        ):
            provider = facts[provider_id]
            if provider.certs is None:
                provider.certs = {}
            provider.certs.setdefault(type_id, []).append(CertHolding(expires_on=expires_on, verified=verified))

    eligible, ineligible = [], []
    candidates = {c.provider_id: c for c in work_item.candidates.all()}
    for provider in facts.values():
        failures = _gate_failures(
            provider, work_item=work_item, required=required, valid_through=valid_through, kind_checked=True
        )
        fit = Fit(
            facts=provider,
            failures=failures,
            first_failure=next(failures, None),
            candidate=candidates.get(provider.id),
        )
        (eligible if fit.eligible else ineligible).append(fit)

    # A full ranking scores the eligible only; a chosen few (a comparison) are all scored.
    scored = eligible if provider_ids is None else eligible + ineligible
    # Past a few thousand ids an IN list costs more than reading the whole scope and skipping the rest.
    scored_ids = [fit.facts.id for fit in scored]
    ids = scope if len(scored_ids) > 2000 else scored_ids
    _load_scoring_facts(work_item, {fit.facts.id: fit.facts for fit in scored}, required_languages, ids)
    context = ScoringContext(
        work_item=work_item,
        criteria=criteria,
        required_languages=required_languages,
        valid_codes=_valid_certificate_codes(ids),
        manual=_manual_scores(work_item),
    )
    facts_scored = [fit.facts for fit in scored]
    columns = [_values(criterion, facts_scored, context) for criterion in criteria]
    for fit, values in zip(scored, zip(*columns, strict=True) if columns else ([] for _ in scored), strict=True):
        fit.context = context
        fit.values = list(values)
    eligible.sort(key=lambda fit: (-fit.total, fit.facts.name))
    ineligible.sort(key=lambda fit: fit.facts.name)
    return Ranking(eligible=eligible, ineligible=ineligible, valid_through=valid_through)


def _load_scoring_facts(work_item: WorkItem, facts: dict[int, ProviderFacts], required_languages: dict, ids) -> None:
    for provider in facts.values():
        provider.location_classes, provider.countries, provider.language_ids = set(), set(), set()
    class_of: dict[str, str] = {}  # a country's class, worked out once per country
    for provider_id, country in DeliveryCenter.objects.filter(provider__in=ids).values_list("provider_id", "country"):
        if provider_id in facts:
            if country not in class_of:
                class_of[country] = location_class_for(country)
            facts[provider_id].countries.add(country)
            facts[provider_id].location_classes.add(class_of[country])
    if required_languages:
        for provider_id, language_id in Provider.languages.through.objects.filter(
            provider__in=ids, language__in=list(required_languages)
        ).values_list("provider_id", "language_id"):
            if provider_id in facts:
                facts[provider_id].language_ids.add(language_id)
    if work_item.industry_id:
        for provider_id, years, references in IndustryExperience.objects.filter(
            provider__in=ids, industry_id=work_item.industry_id
        ).values_list("provider_id", "years", "reference_clients"):
            if provider_id in facts:
                facts[provider_id].industry_years, facts[provider_id].reference_clients = years, references


def _valid_certificate_codes(provider_ids) -> dict[int, list[str]]:
    """Each provider's certificates in force today, by type code (types read once, not joined per row)."""
    code_of = dict(CertificationType.objects.values_list("id", "code"))
    codes: dict[int, list[str]] = {}
    for provider_id, type_id in (
        ProviderCertification.objects.valid_through(timezone.localdate())
        .filter(provider__in=provider_ids)
        .values_list("provider_id", "certification_type_id")
    ):
        codes.setdefault(provider_id, []).append(code_of[type_id])
    return codes


def _manual_scores(work_item: WorkItem) -> dict[tuple[int, int], tuple[float, int]]:
    """(provider, criterion) → (average score, number of evaluators) over the item's candidates."""
    return {
        (row["candidate__provider_id"], row["criterion_id"]): (row["average"], row["evaluators"])
        for row in Score.objects.filter(candidate__work_item=work_item)
        .values("candidate__provider_id", "criterion_id")
        .annotate(average=Avg("value"), evaluators=Count("evaluator", distinct=True))
    }


LOCATION_ORDER = tuple(LocationClass.values)


def _values(criterion, providers: list[ProviderFacts], context: ScoringContext) -> list[float | None]:
    """The criterion's 1–5 score for each provider: computed from its data, or the evaluators' average.
    One pass per criterion over all providers, since a ranking scores thousands at once."""
    basis = criterion.basis
    if basis == CriterionBasis.INDUSTRY:
        if not context.work_item.industry_id:
            return [None] * len(providers)
        return [industry_score(p.industry_years) for p in providers]
    if basis == CriterionBasis.CERTIFICATIONS:
        codes = context.valid_codes
        return [certification_score(len(set(codes.get(p.id, ())))) for p in providers]
    if basis == CriterionBasis.DELIVERY:
        required = list(context.required_languages)
        return [
            delivery_score(offered=sum(1 for pk in required if pk in p.language_ids), required=len(required))
            for p in providers
        ]
    manual, key = context.manual, criterion.pk
    return [
        None if (average := manual.get((p.id, key), (None, 0))[0]) is None else round(float(average), 2)
        for p in providers
    ]


def _explanation(criterion, provider: ProviderFacts, context: ScoringContext) -> str:
    """Why the provider has the score it has on the criterion, in words."""
    work_item, basis = context.work_item, criterion.basis
    if basis == CriterionBasis.INDUSTRY:
        if not work_item.industry_id:
            return "The work item names no industry."
        refs = provider.reference_clients
        clients = f"{refs} reference client{'s' if refs != 1 else ''}"
        return f"{provider.industry_years} years in {work_item.industry}, {clients}"
    if basis == CriterionBasis.CERTIFICATIONS:
        codes = sorted(set(context.valid_codes.get(provider.id, ())))
        return f"{len(codes)} valid: {', '.join(codes)}" if codes else "No valid certification"
    if basis == CriterionBasis.DELIVERY:
        classes = ", ".join(c for c in LOCATION_ORDER if c in provider.location_classes) or "no centres"
        text = f"Delivers {classes}"
        required = context.required_languages
        if required:
            offered = [name for pk, name in required.items() if pk in provider.language_ids]
            text += f"; {len(offered)} of {len(required)} required languages"
            text += f" ({', '.join(offered)})" if offered else ""
        return text
    average, evaluators = context.manual.get((provider.id, criterion.pk), (None, 0))
    if average is None:
        return "Not scored yet"
    return f"Average of {evaluators} evaluator{'s' if evaluators != 1 else ''}"


__all__ = ["DEFAULT_PILOT_WEEKS", "Fit", "Ranking", "gate_failures", "hard_gate_problems", "rank_providers"]
