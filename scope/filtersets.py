import django_filters
from django.db.models import Q

from config.fields import CheckboxList
from vendors.choices import WorkKind
from vendors.models import Industry, ServiceLine

from .choices import DataSensitivity, WorkItemStatus
from .models import WorkItem
from .readiness import readiness_problems


class WorkItemFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    kind = django_filters.ChoiceFilter(choices=WorkKind.choices)
    status = django_filters.MultipleChoiceFilter(choices=WorkItemStatus.choices, distinct=False, widget=CheckboxList)
    service_line = django_filters.ModelChoiceFilter(queryset=ServiceLine.objects.all())
    industry = django_filters.ModelChoiceFilter(queryset=Industry.objects.all())
    data_sensitivity = django_filters.ChoiceFilter(choices=DataSensitivity.choices, label="Data sensitivity")
    readiness = django_filters.ChoiceFilter(
        choices=[("ready", "No problems"), ("problems", "Has problems")], method="filter_readiness"
    )

    class Meta:
        model = WorkItem
        fields = ["q", "kind", "status", "service_line", "industry", "data_sensitivity"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))

    def filter_readiness(self, queryset, name, value):
        # The check is a Python function (it reads titles); run it over the filtered rows with
        # their metrics and certifications prefetched: three queries whatever the row count.
        rows = (
            queryset.select_related(None)
            .only("id", "title", "monthly_volume", "volume_unit", "data_sensitivity")
            .prefetch_related("success_metrics", "required_certifications")
        )
        wanted = value == "ready"
        return queryset.filter(pk__in=[item.pk for item in rows if (not readiness_problems(item)) == wanted])
