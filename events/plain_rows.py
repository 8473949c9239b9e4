"""Rows of a query straight from the database cursor, instants converted in one cheap pass.

Why: for the tens of thousands of rows of a team's busy read, Django's per-value
converter pass cost more than the query itself (on SQLite, text parsed and made aware
value by value, with a settings look-up each; on PostgreSQL, a Python-level loader per
``timestamptz``). The ORM still builds every query; only the reading is done here.
"""

from __future__ import annotations

import datetime as dt

from django.db import connections
from django.db.models import BigIntegerField, Func

from .models import as_instant


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


def _utc(value: object) -> dt.datetime | None:
    """A database instant as an aware UTC datetime: epoch microseconds (``RawInstant``),
    naive UTC text (SQLite), or a datetime."""
    if type(value) is str:
        instant = dt.datetime.fromisoformat(value)
        return instant if instant.tzinfo is not None else instant.replace(tzinfo=dt.UTC)
    if value is None or (type(value) is dt.datetime and value.tzinfo is not None):
        return value  # type: ignore[return-value]
    if type(value) is int:
        return as_instant(value)
    return value.replace(tzinfo=dt.UTC)  # type: ignore[union-attr]


def plain_rows(queryset, instants: tuple[int, ...] = ()) -> list[tuple]:
    """The rows of a ``values_list`` query; the columns at ``instants`` become aware UTC
    datetimes, every other value is as the database driver returns it."""
    sql, params = queryset.query.get_compiler(queryset.db).as_sql()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        raw = cursor.fetchall()
    if not instants:
        return raw
    out = []
    for row in raw:
        row = list(row)
        for i in instants:
            row[i] = _utc(row[i])
        out.append(tuple(row))
    return out
