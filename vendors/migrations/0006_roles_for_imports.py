"""The viewer and editor groups get the new model's permissions: viewers may read the imports
(and download their files), editors may also make them.

The groups' rule lives in `pilots.roles.sync_roles`, which vendors may not import (vendors depends
on no other app); this migration applies that rule to the one new model, and any later
`sync_roles` recomputes the same set. On a fresh database the groups do not exist yet: the pilots
migration that creates them grants every domain permission, this model's included.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODEL = "providerimport"


def grant(apps, schema_editor):
    app_config = apps.get_app_config("vendors")
    app_config.models_module = True  # permissions are normally created after `migrate` finishes
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="vendors", content_type__model=MODEL)
    for group in Group.objects.filter(name="viewer"):
        group.permissions.add(*permissions.filter(codename__startswith="view_"))
    for group in Group.objects.filter(name="editor"):
        group.permissions.add(*permissions.filter(codename__regex=r"^(view|add|change|delete)_"))


class Migration(migrations.Migration):
    dependencies = [
        ("vendors", "0005_provider_imports"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
