"""Triggers that change a person's busy-time token (``BusyVersion``) with every write to
what their busy time is read from: their attendances (which carry copies of their
events' windows) and the stored occurrences of series they attend. In the database, so
that bulk updates and every future write path are covered too."""

from django.db import migrations

SQLITE_TOKEN = "lower(hex(randomblob(12)))"
SQLITE_UPSERT = (
    "INSERT INTO events_busyversion (user_id, token) {rows} "
    "ON CONFLICT(user_id) DO UPDATE SET token = excluded.token;"
)


def _sqlite(schema_editor):
    def user(ref):
        return f"VALUES ({ref}.user_id, {SQLITE_TOKEN})"

    def series(ref):
        return (
            f"SELECT user_id, {SQLITE_TOKEN} FROM events_attendee "
            f"WHERE event_id = {ref}.series_id AND user_id IS NOT NULL"
        )

    statements = []
    for when, ref in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
        statements.append(
            f"CREATE TRIGGER busy_version_attendee_{when.lower()} AFTER {when} ON events_attendee "
            f"FOR EACH ROW WHEN {ref}.user_id IS NOT NULL BEGIN "
            + SQLITE_UPSERT.format(rows=user(ref))
            + " END"
        )
        statements.append(
            f"CREATE TRIGGER busy_version_occurrence_{when.lower()} AFTER {when} "
            f"ON events_seriesoccurrence FOR EACH ROW BEGIN "
            + SQLITE_UPSERT.format(rows=series(ref))
            + " END"
        )
    # An attendance moved to another person changes the old person's busy time too.
    statements.append(
        "CREATE TRIGGER busy_version_attendee_moved AFTER UPDATE OF user_id ON events_attendee "
        "FOR EACH ROW WHEN OLD.user_id IS NOT NULL AND OLD.user_id IS NOT NEW.user_id BEGIN "
        + SQLITE_UPSERT.format(rows=user("OLD"))
        + " END"
    )
    for statement in statements:
        schema_editor.execute(statement)


PG_FUNCTIONS = """
CREATE OR REPLACE FUNCTION busy_version_bump(uid bigint) RETURNS void AS $$
BEGIN
    INSERT INTO events_busyversion (user_id, token)
    VALUES (uid, md5(random()::text || clock_timestamp()::text))
    ON CONFLICT (user_id) DO UPDATE SET token = excluded.token;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION busy_version_attendee() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.user_id IS NOT NULL THEN
        PERFORM busy_version_bump(NEW.user_id);
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.user_id IS NOT NULL
       AND (TG_OP = 'DELETE' OR OLD.user_id IS DISTINCT FROM NEW.user_id) THEN
        PERFORM busy_version_bump(OLD.user_id);
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION busy_version_occurrence() RETURNS trigger AS $$
DECLARE sid bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN sid := OLD.series_id; ELSE sid := NEW.series_id; END IF;
    INSERT INTO events_busyversion (user_id, token)
    SELECT user_id, md5(random()::text || clock_timestamp()::text || user_id::text)
    FROM events_attendee WHERE event_id = sid AND user_id IS NOT NULL
    ON CONFLICT (user_id) DO UPDATE SET token = excluded.token;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER busy_version_attendee AFTER INSERT OR UPDATE OR DELETE ON events_attendee
    FOR EACH ROW EXECUTE FUNCTION busy_version_attendee();
CREATE TRIGGER busy_version_occurrence AFTER INSERT OR UPDATE OR DELETE ON events_seriesoccurrence
    FOR EACH ROW EXECUTE FUNCTION busy_version_occurrence();
"""

PG_DROP = """
DROP TRIGGER IF EXISTS busy_version_attendee ON events_attendee;
DROP TRIGGER IF EXISTS busy_version_occurrence ON events_seriesoccurrence;
DROP FUNCTION IF EXISTS busy_version_attendee();
DROP FUNCTION IF EXISTS busy_version_occurrence();
DROP FUNCTION IF EXISTS busy_version_bump(bigint);
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FUNCTIONS)
    else:
        _sqlite(schema_editor)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DROP)
        return
    for name in ("insert", "update", "delete"):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS busy_version_attendee_{name}")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS busy_version_occurrence_{name}")
    schema_editor.execute("DROP TRIGGER IF EXISTS busy_version_attendee_moved")


class Migration(migrations.Migration):
    dependencies = [("events", "0013_busy_version")]

    operations = [migrations.RunPython(create, drop)]
