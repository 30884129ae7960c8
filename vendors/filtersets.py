import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django_countries import countries

from config.fields import CheckboxList

from .choices import LocationClass, ProviderStatus, WorkKind
from .models import (
    CertificationType,
    DeliveryCenter,
    Industry,
    IndustryExperience,
    Provider,
    ProviderCertification,
    ServiceLine,
)


class ProviderFilterSet(django_filters.FilterSet):
    """Every filter on a related row is an EXISTS subquery: no duplicates, no DISTINCT, index-backed."""

    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.MultipleChoiceFilter(choices=ProviderStatus.choices, distinct=False, widget=CheckboxList)
    location_class = django_filters.ChoiceFilter(
        choices=LocationClass.choices, method="filter_location_class", label="Delivers from"
    )
    # Each `field_name` names the column a method filter reads, so the API schema can type it.
    country = django_filters.ChoiceFilter(
        choices=countries,
        method="filter_country",
        field_name="delivery_centers__country",
        label="Delivery centre country",
    )
    kind = django_filters.ChoiceFilter(choices=WorkKind.choices, method="filter_kind", label="Service kind")
    service_line = django_filters.ModelChoiceFilter(
        queryset=ServiceLine.objects.all(),
        method="filter_service_line",
        field_name="service_lines",
        label="Service line",
    )
    industry = django_filters.ModelChoiceFilter(
        queryset=Industry.objects.all(),
        method="filter_industry",
        field_name="industry_experience__industry",
        label="Industry experience",
    )
    valid_certification = django_filters.ModelChoiceFilter(
        queryset=CertificationType.objects.all(),
        method="filter_valid_certification",
        field_name="certifications__certification_type",
        label="Holds a valid certification",
    )

    class Meta:
        model = Provider
        fields = ["q", "status"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value))

    def filter_location_class(self, queryset, name, value):
        return queryset.filter(Exists(DeliveryCenter.objects.in_location_class(value).filter(provider=OuterRef("pk"))))

    def filter_country(self, queryset, name, value):
        return queryset.filter(Exists(DeliveryCenter.objects.filter(provider=OuterRef("pk"), country=value)))

    def filter_kind(self, queryset, name, value):
        lines = Provider.service_lines.through.objects.filter(provider=OuterRef("pk"), serviceline__kind=value)
        return queryset.filter(Exists(lines))

    def filter_service_line(self, queryset, name, value):
        lines = Provider.service_lines.through.objects.filter(provider=OuterRef("pk"), serviceline=value)
        return queryset.filter(Exists(lines))

    def filter_industry(self, queryset, name, value):
        return queryset.filter(Exists(IndustryExperience.objects.filter(provider=OuterRef("pk"), industry=value)))

    def filter_valid_certification(self, queryset, name, value):
        valid = ProviderCertification.objects.valid_through(timezone.localdate()).filter(
            provider=OuterRef("pk"), certification_type=value
        )
        return queryset.filter(Exists(valid))
