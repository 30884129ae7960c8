import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from pilots.choices import PilotStatus
from pilots.models import Decision, Flag, Measurement, Pilot, PilotMetric
from scope.choices import Cadence, DataSensitivity, Direction
from scope.models import Candidate, EvaluationCriterion, Score, SuccessMetric, WorkItem
from vendors.choices import WorkKind
from vendors.models import (
    CertificationType,
    Contact,
    DeliveryCenter,
    Industry,
    IndustryExperience,
    Language,
    Provider,
    ProviderCertification,
    ServiceLine,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("secret-pass-123")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.set(Group.objects.filter(name__in=extracted))
            self.save()


class IndustryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Industry
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Industry {n}")
    slug = factory.Sequence(lambda n: f"industry-{n}")


class CertificationTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CertificationType
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"CERT{n}")
    name = factory.LazyAttribute(lambda c: f"{c.code} certificate")
    category = "security"


class ServiceLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceLine
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Service line {n}")
    kind = WorkKind.PROCESS


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    name = factory.Sequence(lambda n: f"Provider {n}")
    headquarters_country = "IN"


class DeliveryCenterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeliveryCenter

    provider = factory.SubFactory(ProviderFactory)
    country = "IN"
    city = factory.Sequence(lambda n: f"City {n}")
    headcount = 100
    time_zone = "Asia/Kolkata"


class IndustryExperienceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IndustryExperience

    provider = factory.SubFactory(ProviderFactory)
    industry = factory.SubFactory(IndustryFactory)
    years = 5
    reference_clients = 2


class ProviderCertificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderCertification

    provider = factory.SubFactory(ProviderFactory)
    certification_type = factory.SubFactory(CertificationTypeFactory)
    certificate_id = factory.Sequence(lambda n: f"C-{n}")
    issued_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=365))
    expires_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=365))
    verified_by = factory.SubFactory(UserFactory)
    verified_at = factory.LazyFunction(timezone.now)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    provider = factory.SubFactory(ProviderFactory)
    name = "Pat Contact"
    email = factory.Sequence(lambda n: f"contact{n}@provider.example")


class WorkItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkItem

    title = factory.Sequence(lambda n: f"Invoice validation for supplier batch {n}")
    kind = WorkKind.PROCESS
    monthly_volume = 1000
    volume_unit = "invoices"
    data_sensitivity = DataSensitivity.INTERNAL


class SuccessMetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SuccessMetric

    work_item = factory.SubFactory(WorkItemFactory)
    name = factory.Sequence(lambda n: f"Accuracy {n}")
    unit = "%"
    direction = Direction.HIGHER_IS_BETTER
    target = Decimal("98")
    critical = True
    cadence = Cadence.WEEKLY


class CandidateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Candidate

    work_item = factory.SubFactory(WorkItemFactory)
    provider = factory.SubFactory(ProviderFactory)


class EvaluationCriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EvaluationCriterion

    work_item = factory.SubFactory(WorkItemFactory)
    name = factory.Sequence(lambda n: f"Criterion {n}")
    weight = 20


class ScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Score

    candidate = factory.SubFactory(CandidateFactory)
    criterion = factory.SubFactory(EvaluationCriterionFactory, work_item=factory.SelfAttribute("..candidate.work_item"))
    evaluator = factory.SubFactory(UserFactory)
    value = 4


class PilotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pilot
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Pilot {n}")
    provider = factory.SubFactory(ProviderFactory)
    owner = factory.SubFactory(UserFactory)
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(weeks=8))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(weeks=4))
    volume_share = Decimal("10")
    status = PilotStatus.PLANNED

    @factory.post_generation
    def work_items(self, create, extracted, **kwargs):
        if create:
            self.work_items.set(extracted or [WorkItemFactory()])


class PilotMetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PilotMetric

    pilot = factory.SubFactory(PilotFactory)
    name = factory.Sequence(lambda n: f"Metric {n}")
    unit = "%"
    direction = Direction.HIGHER_IS_BETTER
    target = Decimal("95")
    warning_margin = Decimal("1")
    critical = True
    cadence = Cadence.WEEKLY
    min_samples = 4


class MeasurementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measurement

    metric = factory.SubFactory(PilotMetricFactory)
    period_start = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(weeks=1))
    value = Decimal("96")
    sample_size = 100


class FlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Flag

    pilot = factory.SubFactory(PilotFactory)
    kind = "target_missed"
    severity = "critical"
    message = "Accuracy 90 is below its target of 95."


class DecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Decision

    pilot = factory.SubFactory(PilotFactory)
    outcome = "expand"
    rationale = "Every critical target met."


class LanguageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Language
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"l{n}")
    name = factory.Sequence(lambda n: f"Language {n}")
