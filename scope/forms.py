from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseInlineFormSet, inlineformset_factory

from config.fields import FORMSET_LIMITS, ModelForm

from .choices import SUGGESTED_METRICS, CriterionBasis
from .models import EvaluationCriterion, SuccessMetric, WorkItem
from .services import criteria_removal_problem, criteria_weight_problem


class WorkItemForm(ModelForm):
    class Meta(ModelForm.Meta):
        model = WorkItem
        fields = [
            "title",
            "kind",
            "service_line",
            "service_line_required",
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


class BaseSuccessMetricFormSet(BaseInlineFormSet):
    legend = "Success metrics (the targets a pilot will be judged on)"


SuccessMetricFormSet = inlineformset_factory(
    WorkItem,
    SuccessMetric,
    formset=BaseSuccessMetricFormSet,
    fields=["name", "unit", "direction", "target", "critical", "cadence"],
    extra=2,
    can_delete=True,
    **FORMSET_LIMITS,
)


def suggested_metric_formset(kind: str, data=None, instance=None):
    """A new work item is offered the metrics that judge its kind of work; the user sets the targets.
    Suggested rows left without a target are not saved."""
    suggestions = SUGGESTED_METRICS.get(kind, [])
    formset_class = inlineformset_factory(
        WorkItem,
        SuccessMetric,
        formset=BaseSuccessMetricFormSet,
        fields=["name", "unit", "direction", "target", "critical", "cadence"],
        extra=len(suggestions) + 1,
        can_delete=True,
        **FORMSET_LIMITS,
    )
    initial = [{"name": name, "unit": unit, "direction": direction} for name, unit, direction in suggestions]
    formset = formset_class(data, instance=instance, prefix="metrics", initial=initial)
    formset.legend = f"Success metrics — suggested for {kind} work; set a target for each you keep"
    return formset


class CriteriaFormSetBase(BaseInlineFormSet):
    """The weights of a work item's criteria must total 100."""

    legend = "Evaluation criteria and weights (total 100)"

    def clean(self):
        super().clean()
        weights = [
            form.cleaned_data["weight"]
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("weight")
        ]
        problem = criteria_weight_problem(weights, had_criteria=self.initial_form_count() > 0)
        if problem:
            raise ValidationError(problem)
        problem = criteria_removal_problem(f.instance for f in self.deleted_forms)
        if problem:
            raise ValidationError(problem)
        names = [
            f.cleaned_data["name"].casefold()
            for f in self.forms
            if f.cleaned_data.get("name") and f not in self.deleted_forms
        ]
        if len(names) != len(set(names)):
            raise ValidationError("Two criteria cannot have the same name.")


CriteriaFormSet = inlineformset_factory(
    WorkItem,
    EvaluationCriterion,
    formset=CriteriaFormSetBase,
    fields=["name", "weight", "basis"],
    extra=1,
    can_delete=True,
    **FORMSET_LIMITS,
)


class ScoreForm(forms.Form):
    """One evaluator's scores of one candidate: 1–5 and a comment per manual criterion."""

    def __init__(self, *args, criteria, existing, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = [c for c in criteria if c.basis == CriterionBasis.MANUAL]
        for criterion in self.criteria:
            current = existing.get(criterion.pk)
            self.fields[f"value_{criterion.pk}"] = forms.TypedChoiceField(
                label=f"{criterion.name} (weight {criterion.weight})",
                coerce=int,
                required=False,
                choices=[("", "—"), *[(i, str(i)) for i in range(1, 6)]],
                initial=current.value if current else "",
            )
            self.fields[f"comment_{criterion.pk}"] = forms.CharField(
                label="Comment",
                required=False,
                initial=current.comment if current else "",
                widget=forms.TextInput(
                    attrs={"placeholder": "Why this score", "aria-label": f"{criterion.name}: comment"}
                ),
            )

    def rows(self):
        return [(c, self[f"value_{c.pk}"], self[f"comment_{c.pk}"]) for c in self.criteria]

    def entries(self):
        return [
            (c, self.cleaned_data[f"value_{c.pk}"], self.cleaned_data.get(f"comment_{c.pk}", ""))
            for c in self.criteria
            if self.cleaned_data.get(f"value_{c.pk}") not in (None, "")
        ]
