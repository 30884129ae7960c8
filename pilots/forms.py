from django import forms
from django.conf import settings
from django.forms import inlineformset_factory

from config.fields import FORMSET_LIMITS, CheckboxList, IdsChoiceField, ModelForm, OneLineFormField
from config.viewsets import MAX_PER_PAGE
from scope.lifecycle import PILOTABLE as PILOTABLE_WORK_ITEMS
from scope.models import WorkItem
from vendors.models import Provider

from .batches import MAX_NOTE
from .choices import DecisionOutcome
from .evidence import PeriodEntry
from .gate import expansion_gate
from .lifecycle import NOT_STARTED
from .models import DigestPreference, Flag, Pilot, PilotMetric, validate_pilot_date
from .rules import target_text, value_problem


class DecisionForm(forms.Form):
    """The review's decision. Expand is offered only while the gate is open, or, before the decision
    date, to the owner once the proof is there (an early decision); "early" only before the date."""

    outcome = forms.ChoiceField(choices=DecisionOutcome.choices, widget=forms.RadioSelect)
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), help_text="Why, in a few sentences.")
    early = forms.BooleanField(
        required=False, label="This is an early decision (before the decision date); only the owner may record it."
    )
    extend_to = forms.DateField(
        required=False,
        label="New decision date (extend only)",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_pilot_date],
    )

    def __init__(self, *args, pilot: Pilot, user=None, gate=None, **kwargs):
        super().__init__(*args, **kwargs)
        gate = gate or expansion_gate(pilot)
        before_date = gate.date_reason is not None
        is_owner = user is not None and user.pk == pilot.owner_id
        can_expand = gate.is_open or (before_date and gate.proof_ready and is_owner)
        if not can_expand:
            # Not offered; a hand-made "expand" still reaches the service, which answers with the gate's reasons.
            self.fields["outcome"].widget.choices = [
                c for c in DecisionOutcome.choices if c[0] != DecisionOutcome.EXPAND
            ]
            self.fields["outcome"].help_text = "Expand is not offered: the gate to expand is closed (see above)."
        if not (before_date and is_owner):  # an early decision is the owner's, before the date
            del self.fields["early"]

    def clean(self):
        data = super().clean()
        if data.get("outcome") == DecisionOutcome.EXTEND and not data.get("extend_to"):
            self.add_error("extend_to", "Give the new decision date for the extension.")
        return data


class ExpandForm(forms.Form):
    volume_share = forms.DecimalField(
        max_digits=5, decimal_places=2, min_value=0.01, max_value=100, label="Share of volume for the next stage (%)"
    )
    starts_on = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), validators=[validate_pilot_date]
    )
    ends_on = forms.DateField(
        required=False,
        label="Decision date",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_pilot_date],
    )
    budget = forms.DecimalField(
        required=False, max_digits=14, decimal_places=2, min_value=0, label=f"Budget ({settings.CURRENCY})"
    )
    make_active = forms.BooleanField(
        required=False,
        label="The relationship is established: make the provider active (otherwise it becomes approved).",
    )

    def __init__(self, *args, pilot: Pilot, user=None, gate=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["volume_share"].help_text = f"More than this stage's {pilot.volume_share}%."

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] <= data["starts_on"]:
            self.add_error("ends_on", "The decision date must be after the start date.")
        return data


class PauseForm(forms.Form):
    reason = forms.CharField(required=False, max_length=200)


class ConfirmForm(forms.Form):
    """Actions that need nothing but a confirmation."""


ACTION_FORMS = {"decide": DecisionForm, "expand": ExpandForm, "pause": PauseForm}


def action_form(action: str, pilot: Pilot, data=None, *, user=None, gate=None) -> forms.Form:
    """The form a lifecycle action asks for (a bare confirmation for most); `gate`, when the caller
    has the pilot's gate answer already, saves reading it again."""
    form_class = ACTION_FORMS.get(action, ConfirmForm)
    if form_class in {DecisionForm, ExpandForm}:
        return form_class(data, pilot=pilot, user=user, gate=gate)
    return form_class(data)


DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PilotCreateForm(ModelForm):
    """Plans a pilot through `pilot_create`, which checks the rules across rows."""

    work_items = IdsChoiceField(
        queryset=WorkItem.objects.filter(status__in=PILOTABLE_WORK_ITEMS).order_by("title"),
        widget=CheckboxList,
        help_text="One or two work items that passed their readiness check.",
    )

    class Meta(ModelForm.Meta):
        model = Pilot
        fields = [
            "name",
            "provider",
            "work_items",
            "owner",
            "starts_on",
            "ends_on",
            "volume_share",
            "budget",
            "decision_rule",
            "sourcing_note",
        ]
        widgets = {
            "starts_on": DATE_INPUT,
            "ends_on": DATE_INPUT,
            "decision_rule": forms.Textarea(attrs={"rows": 2}),
            "sourcing_note": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {
            "ends_on": "Decision date",
            "sourcing_note": "Why not the selected candidate",
            "budget": f"Budget ({settings.CURRENCY})",
        }
        help_texts = {
            "sourcing_note": "Needed only when the provider is not the selected candidate of a work item in sourcing.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = Provider.objects.eligible_for_pilots().order_by("name")


class PilotEditForm(ModelForm):
    """The plan can change until the pilot starts; afterwards only its name and budget (the owner and
    the decision rule were agreed up front: an early decision is the owner's)."""

    class Meta(ModelForm.Meta):
        model = Pilot
        fields = ["name", "owner", "starts_on", "ends_on", "volume_share", "budget", "decision_rule"]
        widgets = {"starts_on": DATE_INPUT, "ends_on": DATE_INPUT, "decision_rule": forms.Textarea(attrs={"rows": 2})}
        labels = {"ends_on": "Decision date", "budget": f"Budget ({settings.CURRENCY})"}

    def clean_volume_share(self):
        share = self.cleaned_data.get("volume_share")
        parent = self.instance.parent
        if share is not None and parent is not None and share <= parent.volume_share:
            raise forms.ValidationError(
                f"A later stage takes a larger share of volume than the stage it grew from ({parent.volume_share}%)."
            )
        return share

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.status not in NOT_STARTED:
            for name in ("owner", "starts_on", "ends_on", "volume_share", "decision_rule"):
                self.fields[name].disabled = True
                self.fields[name].help_text = "Fixed once the pilot started."


PilotMetricFormSet = inlineformset_factory(
    Pilot,
    PilotMetric,
    extra=1,
    can_delete=True,
    fields=["name", "unit", "direction", "target", "warning_margin", "critical", "cadence", "min_samples"],
    **FORMSET_LIMITS,
)
PilotMetricFormSet.legend = "Metrics and targets (frozen once the pilot starts)"


class MeasurementEntryForm(forms.Form):
    """One period's values for every metric of a pilot at once; blank values are skipped."""

    period = forms.DateField(
        widget=DATE_INPUT, help_text="Any day in the period: weekly metrics use its week, monthly ones its month."
    )

    def __init__(self, *args, metrics, **kwargs):
        super().__init__(*args, **kwargs)
        self.metrics = list(metrics)
        for metric in self.metrics:
            unit = f" ({metric.unit})" if metric.unit else ""
            # Text inputs, not type=number: a browser sends an empty string for a number it cannot
            # parse ("12,5"), which would read as "no value"; as text it arrives as typed and is
            # answered with a field error.
            self.fields[f"value_{metric.pk}"] = forms.DecimalField(
                label=f"{metric.name}{unit}",
                required=False,
                max_digits=14,
                decimal_places=4,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
                help_text=f"Target {target_text(target=metric.target, direction=metric.direction, unit=metric.unit)}"
                f" · {metric.get_cadence_display().lower()}",
            )
            self.fields[f"samples_{metric.pk}"] = forms.IntegerField(
                label="Sample size",
                required=False,
                min_value=0,
                max_value=2_000_000_000,
                help_text="Left blank on a correction, the recorded sample size stays.",
                widget=forms.TextInput(
                    attrs={"inputmode": "numeric", "autocomplete": "off", "aria-label": f"{metric.name}: sample size"}
                ),
            )
            self.fields[f"note_{metric.pk}"] = forms.CharField(
                label=f"Note on {metric.name}",
                required=False,
                max_length=MAX_NOTE,
                help_text="Left blank on a correction, the recorded note stays.",
                widget=forms.TextInput(attrs={"autocomplete": "off", "aria-label": f"{metric.name}: note"}),
            )

    def metric_rows(self):
        """Each metric with its three inputs and, when the view gave it (`status`, the metric's
        overview), its last value and missing periods."""
        status = getattr(self, "status", {})
        return [
            (m, self[f"value_{m.pk}"], self[f"samples_{m.pk}"], self[f"note_{m.pk}"], status.get(m.pk))
            for m in self.metrics
        ]

    def clean(self):
        data = super().clean()
        if not any(data.get(f"value_{m.pk}") is not None for m in self.metrics):
            raise forms.ValidationError("Enter at least one value.")
        for metric in self.metrics:
            value = data.get(f"value_{metric.pk}")
            problem = value_problem(value=value, unit=metric.unit) if value is not None else None
            if problem:
                self.add_error(f"value_{metric.pk}", problem)
            if value is None and data.get(f"note_{metric.pk}"):
                self.add_error(f"note_{metric.pk}", "A note goes with a value: enter the value it explains.")
        return data

    def entries(self) -> list[PeriodEntry]:
        """Each value given, with its sample size and note."""
        return [
            PeriodEntry(
                m,
                self.cleaned_data[f"value_{m.pk}"],
                self.cleaned_data.get(f"samples_{m.pk}"),
                self.cleaned_data.get(f"note_{m.pk}", ""),
            )
            for m in self.metrics
            if self.cleaned_data.get(f"value_{m.pk}") is not None
        ]


class DigestPreferenceForm(forms.ModelForm):
    class Meta:
        model = DigestPreference
        fields = ["weekly_digest", "skip_when_all_clear"]


class DisputeForm(forms.Form):
    reason = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), help_text="What is wrong with the value, and why."
    )


class DisputeWithdrawForm(forms.Form):
    note = forms.CharField(max_length=2000, required=False, widget=forms.TextInput(), label="Why (optional)")


class DisputeCorrectForm(forms.Form):
    value = forms.DecimalField(
        max_digits=14, decimal_places=4, widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
    )
    sample_size = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=2_000_000_000,
        help_text="Left blank, the recorded sample size stays.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    note = forms.CharField(max_length=2000, widget=forms.TextInput(), label="What was corrected")

    def __init__(self, *args, metric=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.metric = metric

    def clean_value(self):
        value = self.cleaned_data["value"]
        if self.metric is not None and (problem := value_problem(value=value, unit=self.metric.unit)):
            raise forms.ValidationError(problem)
        return value


MAX_FLAGS_ACKNOWLEDGED = MAX_PER_PAGE  # a page of the flag list at its largest


class FlagAcknowledgeForm(forms.Form):
    """Acknowledge one flag (the row's button) or the ones ticked on the flag list, with a note."""

    flag = IdsChoiceField(
        queryset=Flag.objects.all(),
        error_messages={"required": "Tick the flags to acknowledge."},
    )
    note = OneLineFormField(
        max_length=500,
        required=False,
        label="Note (optional)",
        help_text="What is being done about them; shown beside each flag.",
    )

    def clean_flag(self):
        flags = self.cleaned_data["flag"]
        if len(flags) > MAX_FLAGS_ACKNOWLEDGED:
            raise forms.ValidationError(f"Acknowledge at most {MAX_FLAGS_ACKNOWLEDGED} flags at once.")
        return flags
