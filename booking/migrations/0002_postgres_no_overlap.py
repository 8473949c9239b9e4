"""PostgreSQL only: confirmed bookings of one owner may not overlap.

The booking service already serialises bookings per owner (a row lock on the owner) and
re-checks the slot; this constraint is the database's own guarantee behind it. Ranges
are half-open ('[)'), so back-to-back meetings are allowed. ``btree_gist`` lets the GiST
index compare the owner id with ``=``. SQLite has no exclusion constraints; there every
write transaction is serialised (BEGIN IMMEDIATE), which gives the same outcome.
"""

from django.db import migrations

CONSTRAINT = "booking_confirmed_no_overlap"


def create_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    schema_editor.execute(
        f"ALTER TABLE booking_booking ADD CONSTRAINT {CONSTRAINT} "
        "EXCLUDE USING gist (owner_id WITH =, tstzrange(start, \"end\", '[)') WITH &&) "
        "WHERE (status = 'confirmed')"
    )


def drop_constraint(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE booking_booking DROP CONSTRAINT IF EXISTS {CONSTRAINT}")


class Migration(migrations.Migration):
    dependencies = [("booking", "0001_initial")]

    operations = [migrations.RunPython(create_constraint, drop_constraint)]
