"""Events as they happen in a window: single events, series expanded, changed occurrences.

Every reader of "what is on in this window" (week view, event list, free/busy, booking
slots, planner) comes here, so a weekly stand-up counts the same everywhere.

How a window is read: one query selects events that can touch it (``start < window end``
and ``series_end > window start``, both indexed; a single event's ``series_end`` is its
end), a second finds the series' changed occurrences whose original start falls in the
window. Series are expanded in the window only (``scheduling.recurrence``), minus their
EXDATEs and minus the occurrences a changed copy replaces; the changed copies are events
of their own and come through the first query where they now lie.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from accounts.models import User
from scheduling.intervals import Interval, merge_pairs_clipped
from sources.selectors import outside_busy
from sources.tasks import ask_worker_to_sweep

from . import busy_merge, occurrence_store
from .models import Event, as_instant, micros
from .plain_rows import RawInstant, plain_rows
from .validation import earliest_start_reaching


@dataclass(frozen=True)
class Occurrence:
    """One happening of an event in a window.

    ``event`` is the single event, the series (for a plain occurrence) or the changed
    occurrence's own row. ``recurrence_id`` is the original start of an occurrence of a
    series (RFC 5545 RECURRENCE-ID), None for a single event.
    """

    event: Event
    start: dt.datetime
    end: dt.datetime
    recurrence_id: dt.datetime | None = None

    @property
    def series_id(self) -> int | None:
        """The series this occurrence belongs to (None for a single event)."""
        if self.event.series_id:
            return self.event.series_id
        return self.event.pk if self.event.recurrence else None

    @property
    def is_exception(self) -> bool:
        return self.event.series_id is not None


@dataclass(frozen=True)
class BusyBlock:
    """Busy time of one person; ``title``/``event_id`` only when the viewer may see the event."""

    start: dt.datetime
    end: dt.datetime
    title: str | None = None
    event_id: int | None = None


def window_q(start: dt.datetime, end: dt.datetime, prefix: str = "") -> Q:
    """Events that can touch ``[start, end)``: single ones by their own bounds, series by theirs.

    A single event lasts at most MAX_EVENT_LENGTH, so ``start`` is also bounded from
    below: the start index alone narrows the scan to the window, however many events
    lie outside it.
    """
    p = prefix
    single = Q(
        **{
            f"{p}recurrence__isnull": True,
            f"{p}start__gte": earliest_start_reaching(start),
            f"{p}start__lt": end,
            f"{p}end__gt": start,
        }
    )
    series = Q(
        **{f"{p}recurrence__isnull": False, f"{p}start__lt": end, f"{p}series_end__gt": start}
    )
    return single | series


def replaced_occurrences(
    series_ids: Iterable[int], start: dt.datetime, end: dt.datetime
) -> dict[int, set[dt.datetime]]:
    """Original starts, per series, of occurrences near the window that a changed copy replaces."""
    ids = list(series_ids)
    found: dict[int, set[dt.datetime]] = defaultdict(set)
    if not ids:
        return found
    rows = Event.objects.filter(
        series_id__in=ids,
        recurrence_id__gte=earliest_start_reaching(start),
        recurrence_id__lt=end,
    ).values_list("series_id", "recurrence_id")
    for series_id, recurrence_id in rows:
        found[series_id].add(recurrence_id)
    return found


def expand(events: Iterable[Event], start: dt.datetime, end: dt.datetime) -> list[Occurrence]:
    """The occurrences of ``events`` overlapping ``[start, end)``, sorted by start.

    Series are expanded here; changed occurrences (rows with ``series_id``) stand for
    themselves. One extra query finds which occurrences of the series were replaced.
    """
    events = list(events)
    replaced = replaced_occurrences((e.pk for e in events if e.recurrence), start, end)
    out: list[Occurrence] = []
    for event in events:
        if event.recurrence:
            series = event.as_series()
            gone = replaced.get(event.pk, set())
            duration = event.end - event.start
            for occurrence_start in series.occurrences(start, end):
                if occurrence_start in gone:
                    continue
                occurrence_end = (
                    series.occurrence_end(occurrence_start)
                    if event.all_day
                    else occurrence_start + duration
                )
                out.append(Occurrence(event, occurrence_start, occurrence_end, occurrence_start))
        elif event.start < end and event.end > start:
            out.append(Occurrence(event, event.start, event.end, event.recurrence_id))
    out.sort(key=lambda o: (o.start, o.end, o.event.pk))
    return out


def occurrence_of(event: Event, recurrence_id: dt.datetime) -> Occurrence | None:
    """The occurrence of series ``event`` that originally starts at ``recurrence_id``.

    The changed copy when there is one; None when the series has no such occurrence
    (never had, or excluded).
    """
    exception = event.exceptions.filter(recurrence_id=recurrence_id).first()
    if exception is not None:
        return Occurrence(exception, exception.start, exception.end, recurrence_id)
    series = event.as_series()
    if series is None or not series.is_occurrence(recurrence_id):
        return None
    return Occurrence(event, recurrence_id, series.occurrence_end(recurrence_id), recurrence_id)


#: One busy stretch: start, end (epoch microseconds), and the event (row) it comes from.
BusyTime = tuple[int, int, int]


def _busy_rows(
    user_ids: list[int], start: dt.datetime, end: dt.datetime
) -> tuple[list[tuple], QuerySet]:
    """(user_id, event_id, start, end, repeats, stored from, stored until) per attendance,
    instants in epoch microseconds, and the query of the series among them (for reading
    their stored occurrences).

    Busy = not cancelled, shown as busy, and organized or attended without having
    declined. Read from the attendances alone (their copy of the event's window,
    ``events.attendance_window``), as plain values: one ``UNION ALL`` of the two halves
    of the window test, each an index seek per person (``attendee_user_start`` for single
    events, ``attendee_user_reach`` for series). Joining the events (or an OR of both
    halves) made both databases walk every attendance, or every event, ever stored.
    """
    busy = busy_merge.busy_attendances(user_ids).annotate(
        start_raw=RawInstant("event_start"),
        end_raw=RawInstant("event_end"),
        from_raw=RawInstant("event_stored_from"),
        until_raw=RawInstant("event_stored_until"),
    )
    columns = (
        "user_id",
        "event_id",
        "start_raw",
        "end_raw",
        "event_repeats",
        "from_raw",
        "until_raw",
    )
    singles = busy.filter(
        event_repeats=False,
        event_start__gte=earliest_start_reaching(start),
        event_start__lt=end,
        event_end__gt=start,
    ).values_list(*columns)
    series = busy.filter(event_repeats=True, event_reach__gt=start, event_start__lt=end)
    rows = plain_rows(singles.union(series.values_list(*columns), all=True))
    return rows, series.values("event_id")


def _busy_times(
    user_ids: list[int], start: dt.datetime, end: dt.datetime
) -> dict[int, list[BusyTime]]:
    """Busy stretches per user near the window: single events as stored, series from the
    occurrence store (``events.occurrence_store``).

    Two queries: the attendances, then the stored occurrences of their series. A series
    whose stored range does not cover the window (never stored, or the window lies far
    away) is expanded on demand for what the store lacks, as all series once were.
    """
    rows, series_query = _busy_rows(user_ids, start, end)
    ranges = {
        event_id: (stored_from, stored_until)
        for _uid, event_id, _s, _e, repeats, stored_from, stored_until in rows
        if repeats
    }
    spans, on_demand = occurrence_store.stored_busy(ranges, start, end, series_query)
    for series_id, extra in _unstored_spans(ranges, on_demand, start, end).items():
        spans[series_id].extend(extra)
    result: dict[int, list[BusyTime]] = {uid: [] for uid in user_ids}
    for user_id, event_id, ev_start, ev_end, repeats, *_stored in rows:
        if repeats:
            result[user_id].extend((s, e, event_id) for s, e in spans.get(event_id, ()))
        else:
            result[user_id].append((ev_start, ev_end, event_id))
    return result


def _unstored_spans(
    ranges: dict[int, tuple[int | None, int | None]],
    series_ids: Iterable[int],
    start: dt.datetime,
    end: dt.datetime,
) -> dict[int, list[tuple[int, int]]]:
    """Per series, the occurrences in the window that its stored range (``ranges``) does
    not hold, expanded on demand as all series once were (epoch microseconds)."""
    found: dict[int, list[tuple[int, int]]] = defaultdict(list)
    ids = list(series_ids)
    if not ids:
        return found
    for occurrence in expand(Event.objects.filter(pk__in=ids), start, end):
        series_id = occurrence.event.pk
        begins = micros(occurrence.start)
        if occurrence_store.outside_stored(ranges[series_id], begins):
            found[series_id].append((begins, micros(occurrence.end)))
    return found


def busy_intervals(
    users: Iterable[User], start: dt.datetime, end: dt.datetime, *, stale_as_busy: bool = True
) -> dict[int, list[Interval]]:
    """Merged busy time per user in ``[start, end)``, recurring events included, as
    intervals (``busy_spans`` tells the rules)."""
    return {
        uid: [Interval(as_instant(s), as_instant(e)) for s, e in spans]
        for uid, spans in busy_spans(users, start, end, stale_as_busy=stale_as_busy).items()
    }


def busy_spans(
    users: Iterable[User], start: dt.datetime, end: dt.datetime, *, stale_as_busy: bool = True
) -> dict[int, list[tuple[int, int]]]:
    """Merged busy time per user in ``[start, end)``, recurring events included, as
    sorted epoch-microsecond pairs: a caller that needs only part of it (booking slots
    need what meets working hours) converts only that part.

    The database merges single events, stored occurrences and outside calendars' busy
    blocks (``events.busy_merge``); only occurrences the store lacks are expanded here
    and merged in. A person with a stale outside calendar is busy for the whole window
    unless ``stale_as_busy`` is off (a booking link's choice): a calendar that could not
    be read must never look free.
    """
    user_ids = [u.pk for u in users]
    merged, uncovered, stale = busy_merge.merged_busy(user_ids, start, end)
    if stale:
        ask_worker_to_sweep()  # the sweep may have been lost with its worker
    if stale_as_busy:
        for user_id in stale:
            merged[user_id] = [(micros(start), micros(end))]
    if uncovered:
        ranges = {series_id: (lo, hi) for _uid, series_id, lo, hi in uncovered}
        extra = _unstored_spans(ranges, ranges, start, end)
        lo, hi = micros(start), micros(end)
        for user_id, series_id, _lo, _hi in uncovered:
            if extra.get(series_id):
                merged[user_id] = merge_pairs_clipped([*merged[user_id], *extra[series_id]], lo, hi)
        occurrence_store.ask_worker_to_extend()
    return merged


def busy_blocks(
    users: Iterable[User], start: dt.datetime, end: dt.datetime, viewer: User
) -> dict[int, list[BusyBlock]]:
    """Busy time per user, unmerged, titled only where ``viewer`` takes part in the event.

    The viewer sees a title when they organize the event or are invited to it; for any
    other event the block says only "busy" (no title, no id).
    """
    user_ids = [u.pk for u in users]
    per_user = _busy_times(user_ids, start, end)
    outside, stale = outside_busy(user_ids, start, end)
    for user_id, spans in outside.items():
        per_user.setdefault(user_id, []).extend((s, e, None) for s, e in spans)
    if stale:
        ask_worker_to_sweep()  # the sweep may have been lost with its worker
    for user_id in stale:
        per_user.setdefault(user_id, []).append((micros(start), micros(end), None))
    event_ids = {event for times in per_user.values() for _s, _e, event in times}
    titles = dict(
        Event.objects.filter(pk__in=event_ids)
        .filter(Q(organizer=viewer) | Q(attendees__user=viewer))
        .values_list("pk", "title")
        .distinct()
    )
    result: dict[int, list[BusyBlock]] = {}
    for uid, times in per_user.items():
        blocks = [
            BusyBlock(
                max(as_instant(s), start),
                min(as_instant(e), end),
                titles.get(event),
                event if event in titles else None,
            )
            for s, e, event in times
        ]
        result[uid] = sorted(blocks, key=lambda b: (b.start, b.end))
    return result
