"""Seats for the bookings made so far, and, on PostgreSQL, the constraint that keeps one
person's active seats from overlapping (as 0002 does for a booking's owner, but across
every link a person is on, their colleagues' joint links included)."""

from django.db import migrations

CONSTRAINT = "booking_seat_no_overlap"


def seats_for_existing(apps, schema_editor):
    Booking = apps.get_model("booking", "Booking")
    BookingSeat = apps.get_model("booking", "BookingSeat")
    BookingSeat.objects.bulk_create(
        [
            BookingSeat(booking_id=b.pk, user_id=b.owner_id, start=b.start, end=b.end, active=True)
            for b in Booking.objects.filter(status="confirmed").only("pk", "owner_id", "start", "end")
        ],
        batch_size=1000,
    )


def create_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE booking_bookingseat ADD CONSTRAINT {CONSTRAINT} "
        "EXCLUDE USING gist (user_id WITH =, tstzrange(start, \"end\", '[)') WITH &&) "
        "WHERE (active)"
    )


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE booking_bookingseat DROP CONSTRAINT IF EXISTS {CONSTRAINT}")


class Migration(migrations.Migration):
    dependencies = [("booking", "0008_joint_links")]

    operations = [
        migrations.RunPython(seats_for_existing, migrations.RunPython.noop),
        migrations.RunPython(create_constraint, drop_constraint),
    ]
