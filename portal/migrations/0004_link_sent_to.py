from django.db import migrations, models


def sent_to_the_contacts_address(apps, schema_editor):
    # Links issued before the address was kept were sent to the contact's address of the time; the
    # current one is the best record of it.
    SubmissionLink = apps.get_model("portal", "SubmissionLink")
    Contact = apps.get_model("vendors", "Contact")
    email = Contact.objects.filter(pk=models.OuterRef("contact_id")).values("email")[:1]
    SubmissionLink.objects.filter(sent_to="").update(sent_to=models.Subquery(email))


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0003_reminder_per_cadence"),
    ]

    operations = [
        migrations.AddField(
            model_name="submissionlink",
            name="sent_to",
            field=models.EmailField(default="", editable=False, help_text="The address the link was emailed to.", max_length=254),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="historicalsubmissionlink",
            name="sent_to",
            field=models.EmailField(default="", editable=False, help_text="The address the link was emailed to.", max_length=254),
            preserve_default=False,
        ),
        migrations.RunPython(sent_to_the_contacts_address, migrations.RunPython.noop),
    ]
