"""French was offered but never translated: its readers move to English."""

from django.db import migrations


def french_to_english(apps, schema_editor):
    apps.get_model("accounts", "User").objects.filter(language="fr").update(language="en")
    apps.get_model("booking", "Booking").objects.filter(language="fr").update(language="en")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_sender_mailboxes"),
        ("booking", "0003_link_token_salt"),
    ]

    operations = [migrations.RunPython(french_to_english, migrations.RunPython.noop)]
