import django.db.models.deletion
import events.models
from django.conf import settings
from django.db import migrations, models


def fill_series_end(apps, schema_editor):
    """No series existed before this migration: every event ends where its one occurrence does."""
    Event = apps.get_model("events", "Event")
    Event.objects.update(series_end=models.F("end"))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_sender_mailboxes"),
        ("events", "0003_attachments"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="event",
            name="exdates",
            field=models.JSONField(blank=True, default=list, verbose_name="excluded dates"),
        ),
        migrations.AddField(
            model_name="event",
            name="recurrence_id",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="event",
            name="series",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="exceptions",
                to="events.event",
            ),
        ),
        migrations.AddField(
            model_name="event",
            name="series_end",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.RunPython(fill_series_end, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="event",
            name="series_end",
            field=models.DateTimeField(editable=False),
        ),
        migrations.AddField(
            model_name="event",
            name="split_from",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="events.event",
            ),
        ),
        migrations.AlterField(
            model_name="event",
            name="uid",
            field=models.CharField(default=events.models.new_uid, editable=False, max_length=255),
        ),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(fields=["start"], name="event_start_idx"),
        ),
        migrations.AddIndex(
            model_name="event",
            index=models.Index(
                condition=models.Q(("recurrence__isnull", False)),
                fields=["series_end"],
                name="event_series_end_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="event",
            constraint=models.UniqueConstraint(
                condition=models.Q(("series__isnull", True)),
                fields=("uid",),
                name="event_unique_uid",
            ),
        ),
        migrations.AddConstraint(
            model_name="event",
            constraint=models.UniqueConstraint(
                condition=models.Q(("series__isnull", False)),
                fields=("series", "recurrence_id"),
                name="event_unique_occurrence",
            ),
        ),
        migrations.AddConstraint(
            model_name="event",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("recurrence_id__isnull", True), ("series__isnull", True)),
                    models.Q(
                        ("recurrence__isnull", True),
                        ("recurrence_id__isnull", False),
                        ("series__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="event_exception_has_recurrence_id",
            ),
        ),
    ]
