from django.db import migrations

from pilots.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [("pilots", "0012_measurement_imports")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
