from django.db import migrations

from pilots.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [
        ("pilots", "0001_initial"),
        ("scope", "0001_initial"),
        ("vendors", "0002_reference_data"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
