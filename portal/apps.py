from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The provider's side of a pilot: a submission link per contact, what it lets them see and do,
    and the reminders it brings."""

    name = "portal"
    verbose_name = "Provider links"
    default_auto_field = "django.db.models.BigAutoField"
