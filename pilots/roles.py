"""The two browser roles, `viewer` and `editor`, and the model permissions each holds.

Called from migrations (with the historical app registry) whenever a model is added, so the
groups always match the models. Reference data is the administrators' to change.
"""

from django.contrib.auth.management import create_permissions

DOMAIN_APPS = ("vendors", "scope", "pilots", "portal")
REFERENCE_MODELS = {"industry", "certificationtype", "serviceline", "language", "pricingmodel"}
# Per-person records people manage on their own settings page, or administrators in the admin.
PERSONAL_MODELS = {"digestpreference", "digestdelivery", "linkreminder"}
VIEWER = "viewer"
EDITOR = "editor"


def sync_roles(apps, schema_editor=None):
    for app_config in apps.get_app_configs():
        # Permissions are normally created after `migrate` finishes; make sure they exist now.
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    domain = (
        Permission.objects.filter(content_type__app_label__in=DOMAIN_APPS)
        .exclude(content_type__model__startswith="historical")
        .exclude(content_type__model__in=PERSONAL_MODELS)
    )
    viewer, _ = Group.objects.get_or_create(name=VIEWER)
    editor, _ = Group.objects.get_or_create(name=EDITOR)
    viewer.permissions.set(domain.filter(codename__startswith="view_"))
    editor.permissions.set(
        domain.filter(codename__startswith="view_")
        | domain.exclude(content_type__model__in=REFERENCE_MODELS).filter(codename__regex=r"^(add|change|delete)_")
    )
