"""Planner search: when can a group of people meet? Plain data in, plain data out.

A common slot is a meeting of the asked length that lies, whole, inside every
person's own working hours (each on their own wall clock) and outside everybody's busy
time, and that starts on the organizer's wall-clock grid (every 30 minutes from local
midnight when the length is a multiple of 30 minutes, else every 15).

The search is split in two so the caller reads busy time only where it can matter:

1. :func:`common_working_time` intersects everybody's working windows (no busy time
   needed; costs O(people x days)). People who never work at the same time get an
   empty answer without a single read of their calendars.
2. :func:`working_batches` groups those windows into batches of about a week; for each
   batch the caller reads the busy time of its span and calls :func:`common_slots`,
   stopping as soon as it has enough slots. A slot never crosses from one common window
   into the next (it must lie inside one), so cutting between whole windows changes
   nothing in the answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from .hours import WeeklyHours, working_windows
from .intervals import Interval, intersect_all, merge, subtract
from .slots import free_slots

__all__ = [
    "BATCH_SPAN",
    "WorkingWeek",
    "common_slots",
    "common_working_time",
    "planner_step",
    "working_batches",
]

_HALF_HOUR = timedelta(minutes=30)
_QUARTER = timedelta(minutes=15)

#: How much common working time one busy-time read covers (see module docstring).
BATCH_SPAN = timedelta(days=7)


@dataclass(frozen=True)
class WorkingWeek:
    """One person's weekly working hours and the zone they are read in."""

    hours: WeeklyHours
    tz: tzinfo


def planner_step(duration: timedelta) -> timedelta:
    """30 minutes when the meeting length is a multiple of 30 minutes, else 15.

    Half-hour starts are what people expect for the usual 30/60/90-minute meetings; odd
    lengths (20, 45 minutes) get quarter-hour starts so that a 45-minute meeting can
    still start right after another one ends at :15 or :45.
    """
    if duration <= timedelta(0):
        raise ValueError(f"duration must be positive, got {duration}")
    return _HALF_HOUR if duration % _HALF_HOUR == timedelta(0) else _QUARTER


def common_working_time(
    people: Iterable[WorkingWeek], start: datetime, end: datetime
) -> list[Interval]:
    """The part of ``[start, end)`` in which every person is inside their working hours.

    Nobody at all gives ``[]``: a meeting needs someone to attend it.
    """
    return intersect_all(working_windows(p.hours, p.tz, start, end) for p in people)


def working_batches(
    windows: Sequence[Interval], span: timedelta = BATCH_SPAN
) -> Iterator[list[Interval]]:
    """Consecutive runs of whole ``windows``, each starting less than ``span`` after its first.

    A window is never cut, so a batch may last longer than ``span`` when one window does.
    """
    batch: list[Interval] = []
    for window in windows:
        if batch and window.start >= batch[0].start + span:
            yield batch
            batch = []
        batch.append(window)
    if batch:
        yield batch


def common_slots(
    working: Iterable[Interval],
    busy: Iterable[Iterable[Interval]],
    duration: timedelta,
    tz: tzinfo,
    *,
    not_before: datetime | None = None,
    limit: int | None = None,
) -> list[Interval]:
    """Slots of ``duration`` inside ``working`` that nobody in ``busy`` is busy for.

    ``working`` is the common working time (:func:`common_working_time`), ``busy`` one
    list of busy intervals per person. Taking the union of everybody's busy time away
    from the common working time is the same as intersecting each person's free time,
    in one subtraction instead of one per person. Starts lie on the grid of
    :func:`planner_step` on ``tz``'s wall clock, anchored at local midnight; none is
    earlier than ``not_before``. Sorted by start; at most ``limit``.
    """
    everybody_busy = merge(iv for person in busy for iv in person)
    free = subtract(working, everybody_busy)
    return free_slots(
        free, duration, planner_step(duration), tz, not_before=not_before, limit=limit
    )
