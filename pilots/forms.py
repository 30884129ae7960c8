from django import forms

from .choices import DecisionOutcome
from .models import Pilot


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(choices=DecisionOutcome.choices, widget=forms.RadioSelect)
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), help_text="Why, in a few sentences.")
    early = forms.BooleanField(
        required=False, label="This is an early decision (before the decision date); only the owner may record it."
    )
    extend_to = forms.DateField(
        required=False, label="New decision date (extend only)", widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        if data.get("outcome") == DecisionOutcome.EXTEND and not data.get("extend_to"):
            self.add_error("extend_to", "Give the new decision date for the extension.")
        return data


class ExpandForm(forms.Form):
    volume_share = forms.DecimalField(
        max_digits=5, decimal_places=2, min_value=0.01, max_value=100, label="Share of volume for the next stage (%)"
    )
    starts_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(required=False, label="Decision date", widget=forms.DateInput(attrs={"type": "date"}))
    budget = forms.DecimalField(required=False, max_digits=14, decimal_places=2, min_value=0)

    def __init__(self, *args, pilot: Pilot, **kwargs):
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
