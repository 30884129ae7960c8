"""Reads about work items and the providers that could do them: hard gates and fit ranking.

The hard gates are written once (`_gates`), as conditions the database evaluates, so a single
pilot's start check and the ranking of 20,000 providers give the same answer. A ranking asks the
database which providers pass every gate, with the few numbers their scores need, and which do
not; Python scores and orders them. The words (each score's explanation, each failed gate's
reason) are built only for the providers a caller reads, a slice at a time, in a fixed number of
queries, so a page showing 25 of 13,000 eligible providers explains 25.
"""

import datetime
import operator
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial, reduce
from typing import overload

from django.db.models import (
    Avg,
    BooleanField,
    Count,
    Exists,
    Expression,
    ExpressionWrapper,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Q,
    Value,
)
from django.db.models.functions import Cast
from django.utils import timezone

from config.formatting import day
from vendors.choices import LocationClass, ProviderStatus
from vendors.models import (
    CertificationType,
    DeliveryCenter,
    IndustryExperience,
    Provider,
    ProviderCertification,
    location_class_for,
)

from .choices import CriterionBasis, PreferredDelivery
from .models import Candidate, EvaluationCriterion, Score, WorkItem

# A pilot usually runs about three months: certificates must hold at least that long to source.
DEFAULT_PILOT_WEEKS = 12


def default_valid_through() -> datetime.date:
    return timezone.localdate() + datetime.timedelta(weeks=DEFAULT_PILOT_WEEKS)


# Past this many ids, a slice asks for its whole side of the ranking rather than sending the list.
LONG_SLICE = 500


@dataclass(slots=True)
class CertHolding:
    expires_on: datetime.date | None
    verified: bool


@dataclass(slots=True)
class ProviderFacts:
    """What the words about one provider need: its gates' reasons and its scores' explanations."""

    id: int
    name: str
    blocked_reason: str = ""
    location_classes: set[str] = field(default_factory=set)
    language_ids: set[int] = field(default_factory=set)
    valid_codes: list[str] = field(default_factory=list)  # certificates in force today, by type code
    industry_years: int = 0
    reference_clients: int = 0
    certs: dict[int, list[CertHolding]] = field(default_factory=dict)  # the required types' holdings


# --- Hard gates --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gate:
    """One hard gate: the condition a provider must meet (SQL over providers) and the reason when not."""

    name: str
    passes: Q
    reason: Callable[[ProviderFacts], str]
    reads_certificates: bool = False  # its reason needs the provider's holdings of the required types


def _gates(
    *, work_item: WorkItem, required: list[CertificationType], valid_through: datetime.date, kind: bool
) -> list[Gate]:
    """Not blocked; every required certification held, verified and in force through `valid_through`;
    a delivery centre in the preferred location class; with `kind`, a service line of the item's kind."""
    title = work_item.title
    gates = [Gate("gate_not_blocked", ~Q(status=ProviderStatus.BLOCKED), _blocked_reason)]
    for cert_type in required:
        holders = ProviderCertification.objects.filter(certification_type=cert_type).valid_through(valid_through)
        gates.append(
            Gate(
                f"gate_cert_{cert_type.pk}",
                Q(Exists(holders.filter(provider=OuterRef("pk")))),
                partial(_certificate_reason, cert_type=cert_type, title=title, valid_through=valid_through),
                reads_certificates=True,
            )
        )
    preferred = work_item.preferred_delivery
    if preferred != PreferredDelivery.ANY:
        label = LocationClass(preferred).label.lower()
        gates.append(
            Gate(
                "gate_delivery",
                Q(Exists(DeliveryCenter.objects.in_location_class(preferred).filter(provider=OuterRef("pk")))),
                lambda facts: f"{facts.name} has no {label} delivery centre, which '{title}' prefers.",
            )
        )
    if work_item.service_line_required and work_item.service_line_id:
        line = work_item.service_line
        offering = Provider.service_lines.through.objects.filter(serviceline=line)
        gates.append(
            Gate(
                "gate_service_line",
                Q(Exists(offering.filter(provider=OuterRef("pk")))),
                lambda facts: f"{facts.name} does not offer {line}, which '{title}' requires.",
            )
        )
    if kind:
        lines = Provider.service_lines.through.objects.filter(serviceline__kind=work_item.kind)
        kind_label = work_item.get_kind_display()
        gates.append(
            Gate(
                "gate_kind",
                Q(Exists(lines.filter(provider=OuterRef("pk")))),
                lambda facts: f"{facts.name} offers no {kind_label} service line.",
            )
        )
    return gates


def _blocked_reason(facts: ProviderFacts) -> str:
    return f"{facts.name} is blocked: {facts.blocked_reason}"


def _certificate_reason(
    facts: ProviderFacts, *, cert_type: CertificationType, title: str, valid_through: datetime.date
) -> str:
    """Why a required certificate does not count: not held, not verified, or ending too soon."""
    holdings = facts.certs.get(cert_type.pk, [])
    if not holdings:
        return f"{facts.name} does not hold {cert_type.code}, which '{title}' requires."
    verified = [h for h in holdings if h.verified]
    if not verified:
        return f"{facts.name}'s {cert_type.code} certificate is not verified yet."
    latest = max((h.expires_on for h in verified if h.expires_on is not None), default=None)
    if latest is None:  # renewed since the gates were read
        return f"{facts.name}'s {cert_type.code} certificate was not in force through {day(valid_through)}."
    return f"{facts.name}'s {cert_type.code} certificate expires on {day(latest)}, before {day(valid_through)}."


def _required_certifications(work_item: WorkItem) -> list[CertificationType]:
    return list(work_item.required_certifications.order_by("code"))


def _gate_reasons(
    provider_ids: list[int], *, gates: list[Gate], required: list[CertificationType], within=None
) -> dict[int, tuple[ProviderFacts, list[str]]]:
    """Each provider's facts and the reasons for every gate it fails, in gate order (two queries).
    `within`, a subquery holding the ids, stands in for a long list of them."""
    wanted = set(provider_ids)
    within = provider_ids if within is None else within
    annotations = {gate.name: ExpressionWrapper(gate.passes, output_field=BooleanField()) for gate in gates}
    rows = (
        Provider.objects.filter(pk__in=within)
        .annotate(**annotations)
        .values_list("pk", "name", "blocked_reason", *annotations)
    )
    facts, failed = {}, {}
    for pk, name, blocked_reason, *passed in rows:
        if pk in wanted:
            facts[pk] = ProviderFacts(id=pk, name=name, blocked_reason=blocked_reason)
            failed[pk] = [gate for gate, ok in zip(gates, passed, strict=True) if not ok]
    if any(gate.reads_certificates for gates_failed in failed.values() for gate in gates_failed):
        for provider_id, type_id, expires_on, verified_at in ProviderCertification.objects.filter(
            provider__in=within, certification_type__in=required
        ).values_list("provider_id", "certification_type_id", "expires_on", "verified_at"):
            if provider_id in facts:
                facts[provider_id].certs.setdefault(type_id, []).append(
                    CertHolding(expires_on=expires_on, verified=verified_at is not None)
                )
    return {pk: (facts[pk], [gate.reason(facts[pk]) for gate in failed[pk]]) for pk in facts}


def hard_gate_problems(
    *, provider: Provider, work_item: WorkItem, valid_through: datetime.date | None, for_sourcing: bool = False
) -> list[str]:
    """Why `provider` may not do `work_item` (empty when every hard gate passes). Sourcing also asks
    for a service line of the item's kind; certificates must last through `valid_through`, by
    default a usual pilot's length from today."""
    return gate_problems_by_provider(
        work_item=work_item, provider_ids=[provider.pk], valid_through=valid_through, for_sourcing=for_sourcing
    )[provider.pk]


def gate_problems_by_provider(
    *,
    work_item: WorkItem,
    provider_ids: list[int],
    valid_through: datetime.date | None = None,
    for_sourcing: bool = True,
) -> dict[int, list[str]]:
    """Why each of the given providers may not do `work_item` (empty lists for those that pass), in a
    few queries however many: the candidate table shows this beside each candidate."""
    if not provider_ids:
        return {}
    valid_through = valid_through or default_valid_through()
    required = _required_certifications(work_item)
    gates = _gates(work_item=work_item, required=required, valid_through=valid_through, kind=for_sourcing)
    return {
        pk: reasons for pk, (_facts, reasons) in _gate_reasons(provider_ids, gates=gates, required=required).items()
    }


# --- Fit ---------------------------------------------------------------------------------------


@dataclass
class CriterionScore:
    criterion: EvaluationCriterion
    score: float | None  # 1–5, None when evaluators have not scored it yet
    explain: Callable[[], str]  # words are built only when read

    @property
    def explanation(self) -> str:
        return self.explain()


@dataclass
class ScoringContext:
    """What every criterion score of one ranking reads, shared by all its fits."""

    work_item: WorkItem
    criteria: list[EvaluationCriterion]
    required_languages: dict[int, str]
    manual: dict[tuple[int, int], tuple[float, int]]


def weighted_totals(criteria: list[EvaluationCriterion], vectors: list[list[float | None]]) -> list[float]:
    """Each provider's total out of 100 from its criterion scores (one vector per criterion, one entry
    per provider): each criterion adds weight × score / 5; an unscored criterion adds nothing."""
    if not vectors:
        return []
    parts = [
        [0.0 if value is None else criterion.weight * value / 5 for value in vector]
        for criterion, vector in zip(criteria, vectors, strict=True)
    ]
    return [round(sum(shares), 1) for shares in zip(*parts, strict=True)]


@dataclass
class Fit:
    facts: ProviderFacts
    gate_problems: list[str]
    candidate: Candidate | None = None
    values: Sequence[float | None] = ()  # one 1–5 score (or None) per criterion, in criteria order
    total: float = 0.0  # weighted, out of 100
    context: ScoringContext | None = None
    offers_service_line: bool | None = None  # None when the work item names no service line

    @property
    def service_line_note(self) -> str:
        """Whether the provider offers the work item's service line, which ranks it first."""
        if self.offers_service_line is None or self.context is None:
            return ""
        line = self.context.work_item.service_line
        if self.offers_service_line:
            return f"Offers {line}"
        return f"Does not offer {line}: ranked below every provider that does"

    @property
    def eligible(self) -> bool:
        return not self.gate_problems

    @property
    def scores(self) -> list[CriterionScore]:
        """Each criterion with its score and the words that explain it."""
        if self.context is None:
            return []
        return [
            CriterionScore(criterion, value, partial(_explanation, criterion, self.facts, self.context))
            for criterion, value in zip(self.context.criteria, self.values, strict=True)
        ]

    @property
    def unscored(self) -> list[str]:
        return [s.criterion.name for s in self.scores if s.score is None]


class Fits(Sequence[Fit]):
    """Providers in ranking order; a `Fit` (with its words) is built when a slice of them is read,
    in a fixed number of queries per slice, so a page showing 25 of 13,000 builds 25."""

    def __init__(self, ids: list[int], build: Callable[[list[int]], dict[int, Fit]]):
        self._ids, self._build, self._built = ids, build, {}

    def __len__(self) -> int:
        return len(self._ids)

    @overload
    def __getitem__(self, index: int) -> Fit: ...
    @overload
    def __getitem__(self, index: slice) -> list[Fit]: ...

    def __getitem__(self, index):
        ids = self._ids[index]
        wanted = [ids] if isinstance(index, int) else ids
        missing = [pk for pk in wanted if pk not in self._built]
        if missing:
            self._built.update(self._build(missing))
        fits = [self._built[pk] for pk in wanted]
        return fits[0] if isinstance(index, int) else fits

    def __iter__(self) -> Iterator[Fit]:
        return iter(self[:])


@dataclass
class Ranking:
    eligible: Fits  # ranked by weighted total, then name
    ineligible: Fits  # by name, each with the reasons it fails
    valid_through: datetime.date
    criteria: list[EvaluationCriterion]  # in the order of every fit's scores


def industry_score(years: int) -> int:
    """Years of experience in the work item's industry, on the 1–5 scale."""
    return 1 if years == 0 else 2 if years < 3 else 3 if years < 6 else 4 if years < 10 else 5


def certification_score(valid_count: int) -> float:
    """More valid security and quality certificates, more assurance; four or more is full marks."""
    return 1 + 4 * min(valid_count, 4) / 4


def delivery_score(*, offered: int, required: int) -> float:
    """The preferred location is a gate; the score rewards covering the required languages."""
    return 5.0 if required == 0 else 1 + 4 * offered / required


def rank_providers(
    *, work_item: WorkItem, valid_through: datetime.date | None = None, provider_ids: list[int] | None = None
) -> Ranking:
    """Every provider (or those in `provider_ids`) for `work_item`: the eligible ranked by fit with
    each score explained, the ineligible with their reasons. A fixed number of queries: eight to
    rank, then up to five for each slice of the eligible and two for each slice of the ineligible
    a caller reads. A full ranking scores the eligible only; a chosen few (a comparison) are all
    scored, so an ineligible candidate still shows how it would have fared."""
    valid_through = valid_through or default_valid_through()
    criteria = list(work_item.criteria.all())
    required = _required_certifications(work_item)
    gates = _gates(work_item=work_item, required=required, valid_through=valid_through, kind=True)
    context = ScoringContext(
        work_item=work_item,
        criteria=criteria,
        required_languages={lang.pk: lang.name for lang in work_item.required_languages.all()},
        manual=_manual_scores(work_item),
    )
    candidates = {c.provider_id: c for c in work_item.candidates.all()}

    # A full ranking scores the eligible only; a chosen few (a comparison) are all scored.
    passes = reduce(operator.and_, (gate.passes for gate in gates))
    columns, ineligible_ids = _ranking_columns(
        work_item=work_item, context=context, passes=passes, provider_ids=provider_ids
    )
    vectors = [_values(criterion, columns, context) for criterion in criteria]
    by_provider = zip(*vectors, strict=True) if vectors else ([] for _ in columns["pk"])
    values = dict(zip(columns["pk"], by_provider, strict=True))
    totals = dict(zip(columns["pk"], weighted_totals(criteria, vectors) or [0.0] * len(values), strict=True))
    eligible_ids = [pk for pk, ok in zip(columns["pk"], columns["eligible"], strict=True) if ok]
    offers = dict(zip(columns["pk"], columns["offers_line"], strict=True)) if "offers_line" in columns else {}
    # Providers offering the work item's service line first, then by total; rows come by name, and a
    # stable sort keeps that order among equals.
    eligible_ids.sort(key=lambda pk: (offers.get(pk, True), totals[pk]), reverse=True)

    def build(ids: list[int], *, failed: bool) -> dict[int, Fit]:
        # A long list of ids costs more to send than asking for the whole side of the ranking the
        # slice comes from (a semi-join) and skipping the rest.
        within = None
        if len(ids) > LONG_SLICE:
            side = Provider.objects.exclude(passes) if failed else Provider.objects.filter(passes)
            within = side.values("pk")
        if failed:
            described = _gate_reasons(ids, gates=gates, required=required, within=within)
            facts = {pk: f for pk, (f, _reasons) in described.items()}
            reasons = {pk: r for pk, (_f, r) in described.items()}
        else:
            wanted = set(ids)
            names = Provider.objects.filter(pk__in=ids if within is None else within).values_list("pk", "name")
            facts = {pk: ProviderFacts(id=pk, name=name) for pk, name in names if pk in wanted}
            reasons = {}
        with_scores = {pk: facts[pk] for pk in ids if pk in values}
        if with_scores:
            _load_explanation_facts(with_scores, columns, context, within=within)
        return {
            pk: Fit(
                facts=facts[pk],
                gate_problems=reasons.get(pk, []),
                candidate=candidates.get(pk),
                values=values.get(pk, ()),
                total=totals.get(pk, 0.0),
                context=context if pk in values else None,
                offers_service_line=offers.get(pk),
            )
            for pk in ids
        }

    return Ranking(
        eligible=Fits(eligible_ids, partial(build, failed=False)),
        ineligible=Fits(ineligible_ids, partial(build, failed=True)),
        valid_through=valid_through,
        criteria=criteria,
    )


def _ranking_columns(
    *, work_item: WorkItem, context: ScoringContext, passes: Q, provider_ids: list[int] | None
) -> tuple[dict[str, tuple], list[int]]:
    """The providers to score, ordered by name, as columns: id, whether it passes every gate, and
    the numbers its computed criteria need; and the ids of the ineligible, by name.

    A full ranking lets the database pick the eligible (the gates are semi-joins) and asks the
    numbers of them alone, then subtracts them from every id by name. The numbers are hashed
    look-ups rather than a subquery per provider, so the cost stays flat however many pass.
    """
    providers = Provider.objects.all() if provider_ids is None else Provider.objects.filter(pk__in=provider_ids)
    annotations = {}
    bases = {criterion.basis for criterion in context.criteria}
    if CriterionBasis.INDUSTRY in bases and work_item.industry_id:
        providers = providers.annotate(
            experience=FilteredRelation(
                "industry_experience", condition=Q(industry_experience__industry=work_item.industry_id)
            )
        )
        annotations["industry_years"] = F("experience__years")
    if CriterionBasis.CERTIFICATIONS in bases:
        # How many certification types a provider holds in force today: one yes/no per type, added up.
        in_force = ProviderCertification.objects.valid_through(timezone.localdate())
        annotations["valid_types"] = _count_of(
            in_force.filter(certification_type=type_id).values("provider_id")
            for type_id in CertificationType.objects.values_list("pk", flat=True)
        )
    if CriterionBasis.DELIVERY in bases and context.required_languages:
        speakers = Provider.languages.through.objects
        annotations["languages_offered"] = _count_of(
            speakers.filter(language=language_id).values("provider_id") for language_id in context.required_languages
        )
    if work_item.service_line_id:
        offering = Provider.service_lines.through.objects.filter(serviceline=work_item.service_line_id)
        annotations["offers_line"] = Exists(offering.filter(provider=OuterRef("pk")))
    if provider_ids is not None:
        annotations["eligible"] = ExpressionWrapper(passes, output_field=BooleanField())
        columns = _columns(providers.annotate(**annotations), ["pk", *annotations])
        return columns, [pk for pk, ok in zip(columns["pk"], columns["eligible"], strict=True) if not ok]
    columns = _columns(providers.filter(passes).annotate(**annotations), ["pk", *annotations])
    columns["eligible"] = (True,) * len(columns["pk"])
    eligible = set(columns["pk"])
    return columns, [pk for pk in providers.order_by("name").values_list("pk", flat=True) if pk not in eligible]


def _columns(queryset, names: list[str]) -> dict[str, tuple]:
    """The rows of `queryset` by name, turned into one tuple per column."""
    rows = list(queryset.order_by("name").values_list(*names))
    return dict(zip(names, zip(*rows, strict=True) if rows else [() for _ in names], strict=True))


def _count_of(provider_sets) -> Expression:
    """How many of the given sets of provider ids hold each provider, as an SQL sum of yes/no."""
    terms = [
        Cast(ExpressionWrapper(Q(pk__in=ids), output_field=BooleanField()), IntegerField()) for ids in provider_sets
    ]
    return reduce(operator.add, terms) if terms else Value(0)


def _load_explanation_facts(
    facts: dict[int, ProviderFacts], columns: dict[str, tuple], context: ScoringContext, within=None
) -> None:
    """What the explanations of the given providers' scores read, in up to four queries. `within`,
    a subquery holding the ids, stands in for a long list of them."""
    bases = {criterion.basis for criterion in context.criteria}
    ids = list(facts) if within is None else within
    if CriterionBasis.INDUSTRY in bases and "industry_years" in columns:
        for provider_id, years, references in IndustryExperience.objects.filter(
            provider__in=ids, industry_id=context.work_item.industry_id
        ).values_list("provider_id", "years", "reference_clients"):
            if provider_id in facts:
                facts[provider_id].industry_years, facts[provider_id].reference_clients = years, references
    if CriterionBasis.CERTIFICATIONS in bases:
        for provider_id, code in (
            ProviderCertification.objects.valid_through(timezone.localdate())
            .filter(provider__in=ids)
            .order_by("certification_type__code")
            .values_list("provider_id", "certification_type__code")
        ):
            if provider_id in facts and code not in facts[provider_id].valid_codes:
                facts[provider_id].valid_codes.append(code)
    if CriterionBasis.DELIVERY in bases:
        for provider_id, country in DeliveryCenter.objects.filter(provider__in=ids).values_list(
            "provider_id", "country"
        ):
            if provider_id in facts:
                facts[provider_id].location_classes.add(location_class_for(country))
        if context.required_languages:
            for provider_id, language_id in Provider.languages.through.objects.filter(
                provider__in=ids, language__in=list(context.required_languages)
            ).values_list("provider_id", "language_id"):
                if provider_id in facts:
                    facts[provider_id].language_ids.add(language_id)


def _manual_scores(work_item: WorkItem) -> dict[tuple[int, int], tuple[float, int]]:
    """(provider, criterion) → (average score, number of evaluators) over the item's candidates."""
    return {
        (row["candidate__provider_id"], row["criterion_id"]): (row["average"], row["evaluators"])
        for row in Score.objects.filter(candidate__work_item=work_item)
        .values("candidate__provider_id", "criterion_id")
        .annotate(average=Avg("value"), evaluators=Count("evaluator", distinct=True))
    }


LOCATION_ORDER = tuple(LocationClass.values)


def _values(criterion, columns: dict[str, tuple], context: ScoringContext) -> list[float | None]:
    """The criterion's 1–5 score for each provider in `columns`: computed from its data, or the
    evaluators' average. One pass per criterion, since a ranking scores thousands at once."""
    basis, ids = criterion.basis, columns["pk"]
    if basis == CriterionBasis.INDUSTRY:
        if "industry_years" not in columns:
            return [None] * len(ids)
        return [industry_score(years or 0) for years in columns["industry_years"]]
    if basis == CriterionBasis.CERTIFICATIONS:
        return [certification_score(count) for count in columns["valid_types"]]
    if basis == CriterionBasis.DELIVERY:
        required = len(context.required_languages)
        if not required:
            return [delivery_score(offered=0, required=0)] * len(ids)
        return [delivery_score(offered=offered, required=required) for offered in columns["languages_offered"]]
    manual, key = context.manual, criterion.pk
    return [
        None if (average := manual.get((pk, key), (None, 0))[0]) is None else round(float(average), 2) for pk in ids
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
        codes = provider.valid_codes
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


__all__ = [
    "DEFAULT_PILOT_WEEKS",
    "Fit",
    "Fits",
    "Ranking",
    "default_valid_through",
    "gate_problems_by_provider",
    "hard_gate_problems",
    "rank_providers",
    "weighted_totals",
]
