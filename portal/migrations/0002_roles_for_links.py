from django.db import migrations

from pilots.roles import sync_roles


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_submission_links"), ("pilots", "0014_disputes_and_provider_submissions")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
