from django import template

from pilots.lifecycle import RECORDABLE

from ..models import SubmissionLink
from ..services import default_expiry

register = template.Library()


@register.inclusion_tag("portal/includes/links.html", takes_context=True)
def submission_links(context, pilot):
    """The pilot's submission links and the form to issue one, on the pilot's page."""
    user = context["request"].user
    return {
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "pilot": pilot,
        "links": SubmissionLink.objects.filter(pilot=pilot).select_related("contact", "issued_by", "pilot")[:20],
        "contacts": pilot.provider.contacts.exclude(email="").order_by("name"),
        "can_issue": user.has_perm("portal.add_submissionlink") and pilot.status in RECORDABLE,
        "can_revoke": user.has_perm("portal.change_submissionlink"),
        "default_expiry": default_expiry(pilot),
    }
