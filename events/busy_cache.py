"""Busy time from events, kept in the cache under each person's busy-time token.

Why: reading a person's busy time is one statement that sorts and merges thousands of
rows (a calendar of 2,000 events with 300 weekly series, 60 days: about 10 ms); a joint
booking link of ten people read it ten times on every request, and a booking page asked
again read it again although nothing had changed. The token (``BusyVersion``) is changed
by database triggers with every write to what busy time is read from, so an entry can
only be found while it is still true: no write path has to remember to invalidate it.

The token is read before the data: a write that commits in between leaves an entry under
the old token holding newer data, which no later reader asks for.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from django.core.cache import cache
from django.db.models import IntegerField, QuerySet, Value

from .models import BusyVersion

#: Entries of tokens no longer current are never read again; they expire after this.
TTL = 3600

Spans = list[tuple[int, int]]
Series = list[tuple[int, int, int | None, int | None]]
Statement = Callable[[list[int], int, int], tuple[dict[int, Spans], Series]]


def tokens_of(user_ids: list[int]) -> QuerySet:
    """(0, user_id, token) per person with a token (a person who never attended anything
    has none yet), to be read in one query with whatever else the caller needs."""
    return (
        BusyVersion.objects.filter(user_id__in=user_ids)
        .order_by()
        .annotate(row_kind=Value(0, output_field=IntegerField()))
        .values_list("row_kind", "user_id", "token")
    )


def read(
    user_ids: list[int], lo: int, hi: int, statement: Statement, tokens: dict[int, str]
) -> tuple[dict[int, Spans], Series]:
    """Each person's merged busy spans in ``[lo, hi)`` and their uncovered series, from
    the cache where it holds them under the person's current token (``tokens``, read
    before this), from ``statement`` (one call, for everyone missing) otherwise."""
    keys = {uid: f"busy:{uid}:{tokens.get(uid, '-')}:{lo}:{hi}" for uid in user_ids}
    found = cache.get_many(list(keys.values()))
    merged: dict[int, Spans] = {}
    series: Series = []
    missing = []
    for uid in user_ids:
        entry = found.get(keys[uid])
        if entry is None:
            missing.append(uid)
            continue
        merged[uid], own_series = entry
        series.extend(own_series)
    if missing:
        fresh, fresh_series = statement(missing, lo, hi)
        per_user: dict[int, Series] = defaultdict(list)
        for item in fresh_series:
            per_user[item[0]].append(item)
        cache.set_many({keys[uid]: (fresh[uid], per_user[uid]) for uid in missing}, TTL)
        merged.update(fresh)
        series.extend(fresh_series)
    return merged, series
