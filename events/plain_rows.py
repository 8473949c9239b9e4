"""Rows of a query straight from the database cursor, instants as epoch microseconds.

Why: for the tens of thousands of rows of a team's busy read, Django's per-value
converter pass cost more than the query itself (on SQLite, text parsed and made aware
value by value, with a settings look-up each; on PostgreSQL, a Python-level loader per
``timestamptz``). The database computes each instant as an integer (``RawInstant``),
the busy read merges integers and makes datetimes only of what it returns. The ORM still
builds every query; only the reading is done here.
"""

from __future__ import annotations

from django.db import connections
from django.db.models import BigIntegerField, Func


class RawInstant(Func):
    """An instant column as microseconds since the epoch (``bigint``), computed by the
    database: the busy read then compares, sorts and merges integers and makes datetimes
    only of what it returns. SQLite keeps naive UTC text ("2026-06-01 08:00:00[.ffffff]");
    ``strftime('%s')`` of the text up to the seconds gives those (given the fraction, it
    rounds), the padded text after the seconds the fraction.
    """

    output_field = BigIntegerField()
    template = "%(expressions)s"

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint",
            **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            # "%%%%" survives both the template's and the backend's "%" formatting.
            template=(
                "(CAST(strftime('%%%%s', substr(%(expressions)s, 1, 19)) AS INTEGER) * 1000000"
                " + CAST(substr(%(expressions)s || '.000000', 21, 6) AS INTEGER))"
            ),
            **extra,
        )


def plain_rows(queryset) -> list[tuple]:
    """The rows of a ``values_list`` query as the database driver returns them (instants
    as ``RawInstant`` integers), without Django's per-value converters."""
    sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
