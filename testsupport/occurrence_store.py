"""The stored occurrences of every series, checked against a fresh expansion; and every
attendance's copy of its event's window (events.attendance_window), checked against it.

The root conftest runs this after every test that used the database, so each kind of
write the suite makes (create, change all / this / following, split, cancel one date,
changed and removed occurrences, answers) is also a test that the store kept in step.
"""

from __future__ import annotations

from scheduling.recurrence import UNBOUNDED


def disagreements() -> list[str]:
    from events.models import Event, SeriesOccurrence, as_instant

    found = []
    stored_series = Event.objects.filter(
        recurrence__isnull=False, series__isnull=True, occurrences_until__isnull=False
    )
    for series in stored_series:
        lo, hi = series.occurrences_from, series.occurrences_until
        until = series.series_end if hi == UNBOUNDED else hi
        replaced = set(
            Event.objects.filter(series_id=series.pk).values_list("recurrence_id", flat=True)
        )
        engine = series.as_series()
        fresh = sorted(
            (s, engine.occurrence_end(s))
            for s in engine.occurrences(lo, max(until, lo))
            if lo <= s < hi and s not in replaced
        )
        rows = SeriesOccurrence.objects.filter(series=series).values_list("start", "end")
        stored = sorted((as_instant(s), as_instant(e)) for s, e in rows)
        if fresh != stored:
            only_fresh = sorted(set(fresh) - set(stored))[:3]
            only_stored = sorted(set(stored) - set(fresh))[:3]
            found.append(
                f"series {series.pk} ({series.recurrence}): missing {only_fresh}, "
                f"extra {only_stored}"
            )
    from django.db.models import F, Q

    from events.models import WINDOW_COPIES, Attendee, Event

    same = Q(event_repeats=Q(event__recurrence__isnull=False)) & Q(
        event_busy=Q(event__transparency=Event.Transparency.BUSY)
        & ~Q(event__status=Event.Status.CANCELLED)
    )
    for copy, field in WINDOW_COPIES.items():
        # NULL = NULL is not true in SQL: a copy matches when both are NULL, or equal.
        same &= Q(**{copy: F(f"event__{field}")}) | Q(
            **{f"{copy}__isnull": True, f"event__{field}__isnull": True}
        )
    stale_copies = Attendee.objects.exclude(same)
    if stale_copies.exists():
        found.append(f"{stale_copies.count()} attendances whose copy of the event window is stale")
    orphans = SeriesOccurrence.objects.exclude(series__recurrence__isnull=False)
    if orphans.exists():
        found.append(f"{orphans.count()} stored occurrences of rows that are no series")
    return found
