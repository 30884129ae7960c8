from django import forms
from django.forms import inlineformset_factory

from .models import SuccessMetric, WorkItem


class WorkItemForm(forms.ModelForm):
    class Meta:
        model = WorkItem
        fields = [
            "title",
            "kind",
            "service_line",
            "industry",
            "business_unit",
            "owner",
            "monthly_volume",
            "volume_unit",
            "complexity",
            "data_sensitivity",
            "preferred_delivery",
            "required_certifications",
            "required_languages",
            "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"title": "Say what is done, e.g. 'invoice validation and vendor helpdesk', not 'finance work'."}


SuccessMetricFormSet = inlineformset_factory(
    WorkItem,
    SuccessMetric,
    fields=["name", "unit", "direction", "target", "critical", "cadence"],
    extra=2,
    can_delete=True,
)
SuccessMetricFormSet.legend = "Success metrics (the targets a pilot will be judged on)"
