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
    """An instant column as the database holds it, for ``plain_rows`` to convert.

    PostgreSQL: microseconds since the epoch (``bigint``). SQLite: the stored text with
    its UTC offset appended: an expression has no declared type, so the driver hands the
    text over unconverted, and ``fromisoformat`` makes it an aware datetime in one step.
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
        return self.as_sql(compiler, connection, template="(%(expressions)s || '+00:00')", **extra)


def _utc(value: object) -> dt.datetime | None:
    """A database instant as an aware UTC datetime: epoch microseconds (``RawInstant`` on
    PostgreSQL), UTC text with its offset (``RawInstant`` on SQLite), naive UTC text, or a
    datetime."""
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
