"""Stored occurrences of series: busy time read as rows instead of expanded per request.

Expanding every series a person attends, on every request, was most of the cost of
booking slots, free/busy and the planner (perf profile of 2026-12): the rule parsed, a
dateutil rule built and walked, per series per request. Here each series keeps its
occurrences (start, end) in ``SeriesOccurrence`` for a rolling range around today
(``HISTORY`` back, ``HORIZON`` ahead), so busy time for any number of people is one
indexed range query of plain values.

Kept in step: ``refresh`` runs in the same transaction as every write to a series or to
one of its changed occurrences (the signal receivers below; the one bulk ``update`` in
the services calls it directly), and skips the work when nothing it depends on changed
(``occurrences_key``). Moved forward: a read that had to expand a series on demand (its
range too old, or never stored) asks the worker, at most every few minutes, to refresh
the series whose range is going stale (``extend_stale``).

Always right: what lies outside a series' stored range is expanded on demand, exactly as
before, so the store only ever makes a read cheaper, never different. The tests compare
the store with a fresh expansion after every kind of write.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from itertools import groupby
from operator import itemgetter

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from scheduling.recurrence import UNBOUNDED

from .models import Attendee, Event, SeriesOccurrence, micros
from .plain_rows import plain_rows
from .validation import earliest_start_reaching

#: How far back and ahead of today a series' occurrences are stored.
HISTORY = dt.timedelta(days=62)
HORIZON = dt.timedelta(days=400)
#: A stored range is moved on once it is this close to no longer covering HISTORY/HORIZON.
SLACK = dt.timedelta(days=30)
#: Series refreshed per run of the worker's task (it runs again while any are left).
BATCH = 500
_EXTEND_FLAG = "events:occurrence-store:extend-asked"
_EXTEND_EVERY_SECONDS = 300

#: The series id of a stored row (series_id, start, end).
_SERIES = itemgetter(0)


def _day(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _wanted_range(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    return _day(now - HISTORY), _day(now + HORIZON)


def _inputs_key(series: Event, replaced: Iterable[dt.datetime]) -> str:
    parts = (
        series.start.isoformat(),
        series.end.isoformat(),
        series.recurrence,
        sorted(series.exdates or ()),
        series.timezone,
        series.all_day,
        sorted(r.isoformat() for r in replaced),
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _is_fresh(series: Event, key: str, now: dt.datetime) -> bool:
    if series.occurrences_until is None or series.occurrences_key != key:
        return False
    lo, hi = _wanted_range(now)
    if series.occurrences_from < lo - SLACK:
        return False  # holds history nobody reads from the store any more
    return series.occurrences_until == UNBOUNDED or series.occurrences_until >= hi - SLACK


def refresh(series: Event, *, now: dt.datetime | None = None) -> bool:
    """Store the occurrences of ``series`` for the range around ``now``; True if rewritten.

    A row that is not (or no longer) a series loses whatever was stored for it.
    """
    if not series.recurrence or series.series_id:
        if series.occurrences_until is not None:
            SeriesOccurrence.objects.filter(series_id=series.pk).delete()
            Event.objects.filter(pk=series.pk).update(
                occurrences_from=None, occurrences_until=None, occurrences_key=""
            )
            Attendee.objects.filter(event_id=series.pk).update(
                event_stored_from=None, event_stored_until=None
            )
            series.occurrences_from = series.occurrences_until = None
            series.occurrences_key = ""
            return True
        return False
    now = now or timezone.now()
    replaced = set(
        Event.objects.filter(series_id=series.pk).values_list("recurrence_id", flat=True)
    )
    key = _inputs_key(series, replaced)
    if _is_fresh(series, key, now):
        return False
    engine = series.as_series()
    lo, hi = _wanted_range(now)
    until = UNBOUNDED if series.series_end <= hi else hi
    starts = [s for s in engine.occurrences(lo, hi) if lo <= s < until and s not in replaced]
    SeriesOccurrence.objects.filter(series_id=series.pk).delete()
    SeriesOccurrence.objects.bulk_create(
        [
            SeriesOccurrence(
                series_id=series.pk, start=micros(s), end=micros(engine.occurrence_end(s))
            )
            for s in starts
        ]
    )
    Event.objects.filter(pk=series.pk).update(
        occurrences_from=lo, occurrences_until=until, occurrences_key=key
    )
    series.occurrences_from, series.occurrences_until, series.occurrences_key = lo, until, key
    Attendee.objects.filter(event_id=series.pk).update(
        event_stored_from=lo, event_stored_until=until
    )
    return True


def refresh_series_of(event_ids: Iterable[int]) -> None:
    """Refresh the series these rows are, or belong to (after a bulk change of exceptions)."""
    ids = set(event_ids)
    series_ids = set(
        Event.objects.filter(pk__in=ids, recurrence__isnull=False).values_list("pk", flat=True)
    ) | set(
        Event.objects.filter(pk__in=ids, series__isnull=False).values_list("series_id", flat=True)
    )
    for series in Event.objects.filter(pk__in=series_ids):
        refresh(series)


# --------------------------------------------------------------------------- kept in step


@receiver(post_save, sender=Event, dispatch_uid="occurrence_store_saved")
def _event_saved(sender, instance: Event, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    if instance.series_id:
        parent = Event.objects.filter(pk=instance.series_id).first()
        if parent is not None:
            refresh(parent)
    else:
        refresh(instance)


@receiver(post_delete, sender=Event, dispatch_uid="occurrence_store_deleted")
def _event_deleted(sender, instance: Event, **kwargs) -> None:
    # A deleted series takes its rows with it (CASCADE); a deleted changed occurrence
    # gives its original start back to the series.
    if instance.series_id:
        parent = Event.objects.filter(pk=instance.series_id).first()
        if parent is not None:
            refresh(parent)


# --------------------------------------------------------------------------- moved forward


def stale_series(now: dt.datetime | None = None):
    """Series whose stored range no longer covers the range around ``now`` (or was never stored)."""
    now = now or timezone.now()
    lo, hi = _wanted_range(now)
    return Event.objects.filter(recurrence__isnull=False, series__isnull=True).filter(
        Q(occurrences_until__isnull=True)
        | Q(occurrences_until__lt=hi - SLACK)
        | Q(occurrences_from__lt=lo - SLACK)
    )


def extend_stale(now: dt.datetime | None = None, batch: int = BATCH) -> int:
    """Refresh up to ``batch`` stale series, each in its own short transaction; how many."""
    done = 0
    for pk in list(stale_series(now).values_list("pk", flat=True)[:batch]):
        with transaction.atomic():
            series = Event.objects.select_for_update().filter(pk=pk).first()
            if series is not None and refresh(series, now=now):
                done += 1
    return done


def ask_worker_to_extend() -> None:
    """Queue one ``extend_stale`` run unless one was asked for in the last few minutes."""
    if not cache.add(_EXTEND_FLAG, 1, _EXTEND_EVERY_SECONDS):
        return
    from .tasks import extend_occurrence_store_task

    transaction.on_commit(extend_occurrence_store_task.enqueue)


# --------------------------------------------------------------------------- read


def stored_busy(
    series: dict[int, tuple[int | None, int | None]],
    start: dt.datetime,
    end: dt.datetime,
    series_query: QuerySet | None = None,
) -> tuple[dict[int, list[tuple[int, int]]], set[int]]:
    """Occurrences of ``series`` (id → stored range) overlapping ``[start, end)``, all
    instants in epoch microseconds.

    Returns the stored spans per series, and the ids of series whose stored range does
    not cover the window: the caller expands those on demand and keeps the starts that
    fall outside the stored range (``outside_stored``). ``series_query`` (a query of
    those series' ids) lets the database select the rows itself: for a team's thousands
    of series, a list of ids as parameters cost more than the read.
    """
    spans: dict[int, list[tuple[int, int]]] = defaultdict(list)
    earliest = earliest_start_reaching(start)
    earliest_us, end_us = micros(earliest), micros(end)
    covered: set[int] = set()
    partly: set[int] = set()
    on_demand: set[int] = set()
    for pk, (lo, hi) in series.items():
        if lo is not None and lo <= earliest_us and hi >= end_us:
            covered.add(pk)
            continue
        on_demand.add(pk)
        if lo is not None and lo < end_us and hi > earliest_us:
            partly.add(pk)
    if covered or partly:
        # Rows exist only inside a series' stored range, so the window test alone keeps
        # exactly the covered and partly covered series' occurrences.
        wanted = series_query if series_query is not None else [*covered, *partly]
        # Rows come ordered by series (the index order): one list per series, built
        # in one pass.
        for series_id, rows in groupby(_stored_rows(wanted, earliest, start, end), _SERIES):
            spans[series_id] = [(s, e) for _sid, s, e in rows]
    if on_demand:
        ask_worker_to_extend()
    return spans, on_demand


def _stored_rows(
    series_ids: list[int] | QuerySet, earliest: dt.datetime, start: dt.datetime, end: dt.datetime
) -> list[tuple[int, int, int]]:
    """(series_id, start, end) rows as integers (``plain_rows``: no converter pass)."""
    return plain_rows(
        SeriesOccurrence.objects.filter(
            series_id__in=series_ids,
            start__gte=micros(earliest),
            start__lt=micros(end),
            end__gt=micros(start),
        )
        .order_by("series_id", "start")
        .values_list("series_id", "start", "end")
    )


def outside_stored(stored_range: tuple[int | None, int | None], occurrence_start: int) -> bool:
    """Whether an occurrence expanded on demand is one the store does not hold (instants
    in epoch microseconds)."""
    lo, hi = stored_range
    return lo is None or occurrence_start < lo or occurrence_start >= hi
