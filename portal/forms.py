from django import forms

from pilots.forms import DATE_INPUT
from vendors.models import Contact


class LinkIssueForm(forms.Form):
    contact = forms.ModelChoiceField(queryset=Contact.objects.none())
    expires_on = forms.DateField(required=False, widget=DATE_INPUT, label="Valid until")

    def __init__(self, *args, pilot, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = pilot.provider.contacts.exclude(email="")
