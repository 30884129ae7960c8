from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """What belongs to no one domain: personal API tokens."""

    name = "config"
    label = "config"
    verbose_name = "Access"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import signals  # noqa: F401
