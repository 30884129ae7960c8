import datetime

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.utils import timezone

from config.fields import CheckboxList

from .choices import FlagKind, MeasurementSource, PilotStatus, Severity
from .lifecycle import UNDER_WAY
from .models import Flag, Measurement, Pilot
from .selectors import DECISIONS_AHEAD_DAYS

DATE = forms.DateInput(attrs={"type": "date"})


def people():
    return get_user_model().objects.filter(is_active=True).order_by("first_name", "username")


class PilotFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Search")
    status = django_filters.MultipleChoiceFilter(choices=PilotStatus.choices, distinct=False, widget=CheckboxList)
    provider = django_filters.CharFilter(field_name="provider__name", lookup_expr="icontains", label="Provider")
    work_item = django_filters.CharFilter(method="filter_work_item", label="Work item")
    owner = django_filters.ModelChoiceFilter(queryset=people())
    has_open_flags = django_filters.BooleanFilter(
        method="filter_has_open_flags",
        label="Has open flags",
        widget=forms.Select(choices=[("", "Any"), ("true", "Yes"), ("false", "No")]),
    )
    severity = django_filters.ChoiceFilter(
        choices=Severity.choices, method="filter_severity", label="Open flag severity"
    )
    decision = django_filters.ChoiceFilter(
        choices=[("overdue", "Overdue"), ("due", f"Due in the next {DECISIONS_AHEAD_DAYS} days")],
        method="filter_decision",
        label="Decision",
    )
    decision_due_before = django_filters.DateFilter(
        field_name="ends_on", lookup_expr="lte", label="Decision due by", widget=DATE
    )

    class Meta:
        model = Pilot
        fields = ["q", "status", "provider", "owner"]

    def filter_decision(self, queryset, name, value):
        """Pilots under way whose decision date has passed, or falls in the next two weeks."""
        today = timezone.localdate()
        queryset = queryset.filter(status__in=UNDER_WAY)
        if value == "overdue":
            return queryset.filter(ends_on__lt=today)
        return queryset.filter(ends_on__range=(today, today + datetime.timedelta(days=DECISIONS_AHEAD_DAYS)))

    def filter_work_item(self, queryset, name, value):
        items = Pilot.work_items.through.objects.filter(pilot=OuterRef("pk"), workitem__title__icontains=value)
        return queryset.filter(Exists(items))

    def filter_has_open_flags(self, queryset, name, value):
        open_flags = Exists(Flag.objects.open().filter(pilot=OuterRef("pk")))
        return queryset.filter(open_flags) if value else queryset.exclude(open_flags)

    def filter_severity(self, queryset, name, value):
        return queryset.filter(Exists(Flag.objects.open().filter(pilot=OuterRef("pk"), severity=value)))


class FlagFilterSet(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        choices=[("open", "Open"), ("resolved", "Resolved")],
        method="filter_state",
        empty_label="Open and resolved",
        label="State",
    )
    kind = django_filters.MultipleChoiceFilter(choices=FlagKind.choices, distinct=False, widget=CheckboxList)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    provider = django_filters.CharFilter(field_name="pilot__provider__name", lookup_expr="icontains", label="Provider")
    pilot = django_filters.CharFilter(field_name="pilot__name", lookup_expr="icontains", label="Pilot")
    owner = django_filters.ModelChoiceFilter(field_name="pilot__owner", queryset=people(), label="Pilot owner")

    class Meta:
        model = Flag
        fields = ["state", "kind", "severity", "provider", "pilot", "owner"]

    def filter_state(self, queryset, name, value):
        return queryset.filter(resolved_at__isnull=value == "open")


class MeasurementFilterSet(django_filters.FilterSet):
    """The API's measurement list: by pilot, metric, period and source."""

    pilot = django_filters.NumberFilter(field_name="metric__pilot", label="Pilot id")
    metric = django_filters.NumberFilter(field_name="metric", label="Metric id")
    period_from = django_filters.DateFilter(field_name="period_start", lookup_expr="gte", label="Periods from")
    period_to = django_filters.DateFilter(field_name="period_start", lookup_expr="lte", label="Periods up to")
    source = django_filters.MultipleChoiceFilter(choices=MeasurementSource.choices, distinct=False, widget=CheckboxList)

    class Meta:
        model = Measurement
        fields = ["pilot", "metric", "period_from", "period_to", "source"]
