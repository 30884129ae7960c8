from django import forms
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils import timezone

from config.fields import FORMSET_LIMITS, ModelForm

from .models import Contact, DeliveryCenter, IndustryExperience, Provider, ProviderCertification
from .services import evidence_discard_on_commit

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProviderForm(ModelForm):
    """The profile; the status changes through the provider's actions (block, offboard, …) and pilots."""

    website = forms.URLField(required=False, assume_scheme="https")

    class Meta(ModelForm.Meta):
        model = Provider
        fields = [
            "name",
            "website",
            "headquarters_country",
            "owner",
            "service_lines",
            "languages",
            "pricing_models",
            "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class CertificationForm(forms.ModelForm):
    """Ticking "verified" records who verified the evidence and when."""

    verified = forms.BooleanField(required=False, help_text="Evidence checked")

    class Meta:
        model = ProviderCertification
        fields = ["certification_type", "certificate_id", "issuer", "issued_on", "expires_on", "evidence", "verified"]
        widgets = {"issued_on": DATE, "expires_on": DATE}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["verified"].initial = bool(self.instance.verified_at)
        self.stored_evidence = self.instance.evidence.name if self.instance.pk else ""

    def save(self, commit=True):
        instance = super().save(commit=False)
        if self.cleaned_data.get("verified") and instance.verified_at is None:
            instance.verified_by, instance.verified_at = self.user, timezone.now()
        elif not self.cleaned_data.get("verified"):
            instance.verified_by, instance.verified_at = None, None
        if commit:
            instance.save()
        if self.stored_evidence and instance.evidence.name != self.stored_evidence:
            evidence_discard_on_commit(self.stored_evidence)  # replaced or cleared
        return instance


class CertificationFormSetBase(BaseInlineFormSet):
    def delete_existing(self, obj, commit=True):
        name = obj.evidence.name
        super().delete_existing(obj, commit=commit)
        if commit:
            evidence_discard_on_commit(name)


def _formset(model, legend: str, **kwargs):
    formset = inlineformset_factory(Provider, model, extra=1, can_delete=True, **FORMSET_LIMITS, **kwargs)
    formset.legend = legend
    return formset


DeliveryCenterFormSet = _formset(
    DeliveryCenter, "Delivery centres", fields=["country", "city", "headcount", "time_zone"]
)
CertificationFormSet = _formset(
    ProviderCertification, "Certifications", form=CertificationForm, formset=CertificationFormSetBase
)
IndustryExperienceFormSet = _formset(
    IndustryExperience,
    "Industry experience",
    fields=["industry", "years", "reference_clients", "notes"],
    widgets={"notes": forms.TextInput()},
)
ContactFormSet = _formset(Contact, "Contacts", fields=["name", "role", "email", "phone"])
