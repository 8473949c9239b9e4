"""Busy time merged by the database: one statement from attendances to merged intervals.

Why: booking slots, ``/freebusy`` and the planner need only the union of a person's busy
time, and a calendar with weekly series holds far more busy rows than merged intervals
(300 series are about 2,700 occurrences in 60 days, which merge with the single events
into about 600 intervals). Reading every row into Python to sort and merge it there made
a calendar with series cost what its row count costs (perf profile of 2026-12: 1.4-1.6×
the same calendar of single events). Here the database sorts and merges (the
"gaps and islands" of window functions, which SQLite ≥ 3.25 and PostgreSQL both have)
and returns only the merged intervals, as epoch-microsecond integers.

What the database reads: single events from the attendances' copy of their window (as
``events.occurrences._busy_rows`` does), the stored occurrences
(``events.occurrence_store``) of the series attended, and the busy blocks of the
person's outside calendars (``sources``): only for people who have any (the same
statement names them), their busy time is then read from its per-day summary
(``sources.busy_days``) and joined in Python. Occurrences the store does not
hold (a window beyond a series' stored range) are not here: ``occurrences.busy_intervals``
expands those on demand and merges them in.
"""

from __future__ import annotations

import datetime as dt

from django.db import connections
from django.db.models import Case, CharField, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from scheduling.intervals import merge_pairs_in
from sources import busy_days
from sources.models import BusySource
from sources.selectors import stale_q

from . import busy_cache
from .models import Attendee, as_instant, micros
from .plain_rows import RawInstant
from .validation import earliest_start_reaching

DAY = 86_400_000_000  # microseconds

#: The set of busy instants of a person: merged, sorted, clipped (epoch microseconds).
MergedBusy = list[tuple[int, int]]
#: A busy series the store does not cover: user_id, series_id, stored from, stored until.
Uncovered = tuple[int, int, int | None, int | None]

# Each span is clipped to the window; a span starts a new island unless it starts at or
# before the latest end among the spans sorted before it (touching spans join, as
# ``scheduling.intervals.merge`` joins them); the running count of islands numbers them.
_MERGE = """
WITH spans(uid, s, e) AS ({spans}),
clipped AS (SELECT uid, {greatest}(s, %s) AS s, {least}(e, %s) AS e FROM spans),
marked AS (
    SELECT uid, s, e,
        CASE WHEN s <= MAX(e) OVER (
            PARTITION BY uid ORDER BY s, e ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) THEN 0 ELSE 1 END AS fresh
    FROM clipped
),
islands AS (
    SELECT uid, s, e,
        SUM(fresh) OVER (PARTITION BY uid ORDER BY s, e ROWS UNBOUNDED PRECEDING) AS island
    FROM marked
)
SELECT 0, uid, MIN(s), MAX(e), NULL FROM islands GROUP BY uid, island
UNION ALL {uncovered}
ORDER BY 1, 2, 3
"""
_SCALAR_BOUNDS = {"postgresql": ("GREATEST", "LEAST")}


def busy_attendances(user_ids: list[int]) -> QuerySet:
    """Attendances that make their person busy: not cancelled, shown as busy, and
    organized or attended without having declined."""
    return (
        Attendee.objects.filter(user_id__in=user_ids, event_busy=True)
        .exclude(status=Attendee.Status.DECLINED)
        .order_by()
    )


def _spans(user_ids: list[int], start: dt.datetime, end: dt.datetime) -> QuerySet:
    """(user_id, start, end) of every busy single event and stored occurrence near the
    window, each half an index seek per person (as in ``occurrences._busy_rows``)."""
    busy = busy_attendances(user_ids)
    earliest = earliest_start_reaching(start)
    singles = (
        busy.filter(
            event_repeats=False,
            event_start__gte=earliest,
            event_start__lt=end,
            event_end__gt=start,
        )
        .annotate(span_start=RawInstant("event_start"), span_end=RawInstant("event_end"))
        .values_list("user_id", "span_start", "span_end")
    )
    # One filter() call: the three conditions apply to the same stored occurrence.
    stored = busy.filter(
        event_repeats=True,
        event_reach__gt=start,
        event_start__lt=end,
        event__stored_occurrences__start__gte=micros(earliest),
        event__stored_occurrences__start__lt=micros(end),
        event__stored_occurrences__end__gt=micros(start),
    ).values_list("user_id", "event__stored_occurrences__start", "event__stored_occurrences__end")
    return singles.union(stored, all=True)


def _uncovered(user_ids: list[int], start: dt.datetime, end: dt.datetime) -> QuerySet:
    """(1, user_id, series_id, stored from, stored until) of the busy series whose stored
    range does not cover the window: usually none (a window far ahead, or a series
    written before the store). The leading 1 tells these rows from merged intervals."""
    earliest = earliest_start_reaching(start)
    return (
        busy_attendances(user_ids)
        .filter(event_repeats=True, event_reach__gt=start, event_start__lt=end)
        .filter(
            Q(event_stored_from__isnull=True)
            | Q(event_stored_from__gt=earliest)
            | Q(event_stored_until__lt=end)
        )
        .annotate(
            row_kind=Value(1, output_field=IntegerField()),
            stored_from=RawInstant("event_stored_from"),
            stored_until=RawInstant("event_stored_until"),
        )
        .values_list("row_kind", "user_id", "event_id", "stored_from", "stored_until")
    )


def _sources(user_ids: list[int]) -> QuerySet:
    """(2 or 4, user_id, -) for each outside calendar of these people: 2 when it is
    stale (its busy blocks may miss what is there now: ``sources.selectors.stale_q``),
    4 when fresh. Most people have none, and then nothing more is read."""
    kind = Case(
        When(stale_q(timezone.now()), then=Value(2)),
        default=Value(4),
        output_field=IntegerField(),
    )
    return (
        BusySource.objects.filter(user_id__in=user_ids)
        .order_by()
        .annotate(row_kind=kind, nothing=Value("", output_field=CharField()))
        .values_list("row_kind", "user_id", "nothing")
    )


def _statement(
    user_ids: list[int], lo: int, hi: int
) -> tuple[dict[int, MergedBusy], list[Uncovered]]:
    """The one statement: each person's merged busy time from their events in
    ``[lo, hi)`` (epoch microseconds), and the series their stored range does not cover."""
    start, end = as_instant(lo), as_instant(hi)
    spans = _spans(user_ids, start, end)
    uncovered = _uncovered(user_ids, start, end)
    alias = spans.db
    connection = connections[alias]
    spans_sql, spans_params = spans.query.get_compiler(alias).as_sql()
    uncovered_sql, uncovered_params = uncovered.query.get_compiler(alias).as_sql()
    greatest, least = _SCALAR_BOUNDS.get(connection.vendor, ("MAX", "MIN"))
    sql = _MERGE.format(spans=spans_sql, greatest=greatest, least=least, uncovered=uncovered_sql)
    merged: dict[int, MergedBusy] = {uid: [] for uid in user_ids}
    series: list[Uncovered] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, (*spans_params, lo, hi, *uncovered_params))
        for kind, uid, a, b, c in cursor.fetchall():
            if kind == 0:
                merged[uid].append((a, b))
            else:
                series.append((uid, a, b, c))
    return merged, series


def merged_busy(
    user_ids: list[int], start: dt.datetime, end: dt.datetime
) -> tuple[dict[int, MergedBusy], list[Uncovered], set[int]]:
    """Per user, the merged busy time in ``[start, end)`` from single events, stored
    occurrences and outside calendars; the series attended whose stored range does not
    cover the window (their occurrences outside it are the caller's to expand); and the
    people with a stale outside calendar.

    The events' part is read for whole UTC days around the window and kept in the cache
    under each person's busy-time token (``busy_cache``): a joint link of ten people, or
    the same booking page asked again, reads it once until one of them changes. The
    outside calendars' part is read every time (whether a source is stale depends on the
    clock, not on a write)."""
    lo, hi = micros(start), micros(end)
    day_lo, day_hi = lo - lo % DAY, hi + (-hi % DAY)
    # One query for the people's busy-time tokens and their outside calendars' state.
    tokens: dict[int, str] = {}
    stale: set[int] = set()
    with_sources: set[int] = set()
    for kind, uid, token in busy_cache.tokens_of(user_ids).union(_sources(user_ids), all=True):
        if kind == 0:
            tokens[uid] = token
            continue
        with_sources.add(uid)
        if kind == 2:
            stale.add(uid)
    events, series = busy_cache.read(user_ids, day_lo, day_hi, _statement, tokens)
    merged: dict[int, MergedBusy] = {
        uid: [(max(s, lo), min(e, hi)) for s, e in events.get(uid, ()) if e > lo and s < hi]
        for uid in user_ids
    }
    if with_sources:
        # The outside busy time, merged per day when it was read (sources.busy_days).
        for uid, spans in busy_days.busy_in(sorted(with_sources), lo, hi).items():
            merged[uid] = merge_pairs_in(merged[uid] + spans, lo, hi)
    return merged, series, stale
