"""Free time and bookable slots.

Slot starts lie on a grid of the *local wall clock* (every 30 minutes from local
midnight, say), not on a UTC grid: a visitor in Kathmandu (+05:45) or an owner in a
zone with a 30-minute DST shift still sees meetings at :00 and :30.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta, tzinfo

from .intervals import Interval, intersect_all, merge, subtract

__all__ = ["common_free_time", "find_common_slots", "free_slots", "free_time"]

_ZERO = timedelta(0)
_DAY = timedelta(days=1)

Person = tuple[Iterable[Interval], Iterable[Interval]]


def free_time(windows: Iterable[Interval], busy: Iterable[Interval]) -> list[Interval]:
    """Working windows minus busy time, merged."""
    return subtract(windows, busy)


def common_free_time(people: Iterable[Person]) -> list[Interval]:
    """The time when everyone is free; each person is ``(working windows, busy)``.

    Nobody at all gives ``[]`` (see :func:`~scheduling.intervals.intersect_all`).
    """
    return intersect_all(free_time(windows, busy) for windows, busy in people)


def _first_grid_point(wall: datetime, step: timedelta) -> datetime:
    """The first grid point at or after the local ``wall`` time.

    The grid restarts at every local midnight, so a step that does not divide a day
    (25 minutes) still starts each day at 00:00.
    """
    midnight = wall.replace(hour=0, minute=0, second=0, microsecond=0)
    since = wall - midnight
    k = -(-since // step)  # ceiling division
    grid = midnight + k * step
    return grid if grid.day == wall.day else _next_midnight(grid)


def _next_midnight(after_midnight: datetime) -> datetime:
    return after_midnight.replace(hour=0, minute=0, second=0, microsecond=0)


def _offset_change(after: datetime, upto: datetime, tz: tzinfo) -> datetime:
    """The first instant in ``(after, upto]`` whose UTC offset differs from ``after``'s.

    The caller knows the offsets at the two ends differ. zoneinfo does not expose its
    transition table, so bisect on whole seconds (tzdb transitions fall on whole seconds):
    at most ~17 probes per transition, and transitions are rare.
    """
    offset = after.astimezone(tz).utcoffset()
    lo = math.floor(after.timestamp())
    hi = math.ceil(upto.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz).utcoffset() == offset:
            lo = mid
        else:
            hi = mid
    return datetime.fromtimestamp(hi, UTC)


def _grid_instants(lo: datetime, hi: datetime, step: timedelta, tz: tzinfo) -> Iterator[datetime]:
    """UTC instants in ``[lo, hi]`` at which the wall clock of ``tz`` shows a grid time.

    Walks from grid point to grid point assuming the offset stays the same, and checks
    each guess by converting it back. A wrong guess means the offset changed in between:
    continue from the change. So a wall time skipped by spring-forward yields nothing and
    one repeated by fall-back yields both of its instants, keeping slots evenly spaced in
    real time. Cost: one conversion per grid point plus a bisection per offset change.
    (Two offset changes closer together than one step would go unnoticed; tzdb has none
    in current rules.)

    Wall times are kept as aware datetimes in ``tz``: Python subtracts and compares two
    datetimes sharing one tzinfo by their wall-clock reading, which is exactly the
    arithmetic wanted here, and it avoids stripping tzinfo on every step.
    """
    t = lo
    wall = t.astimezone(tz)
    grid = _first_grid_point(wall, step)
    while True:
        guess = t + (grid - wall)
        local = guess.astimezone(tz)
        if local == grid:  # same tzinfo: compares wall-clock readings
            if guess > hi:
                return
            yield guess
            t, wall = guess, local
            grid = local + step
            if grid.day != local.day:  # the grid restarts at local midnight
                grid = _next_midnight(grid)
        else:
            t = _offset_change(t, guess, tz)
            if t > hi:
                return
            wall = t.astimezone(tz)
            grid = _first_grid_point(wall, step)


def _check_aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive datetime {value.isoformat()}")
    return value.astimezone(UTC)


def free_slots(
    free: Iterable[Interval],
    duration: timedelta,
    step: timedelta,
    tz: tzinfo,
    *,
    buffer_before: timedelta = _ZERO,
    buffer_after: timedelta = _ZERO,
    not_before: datetime | None = None,
    limit: int | None = None,
) -> list[Interval]:
    """Meetings of ``duration`` that fit in ``free``, starting on ``tz``'s wall-clock grid.

    Slot starts are the instants at which the local clock in ``tz`` reads a multiple of
    ``step`` after local midnight (0 < step <= 1 day). Across DST the grid follows the
    wall clock: no slot starts at a local time that does not exist, and a repeated local
    time offers both of its instants. Slots are ``duration`` of real time long, so one
    spanning a DST change ends at a wall time that differs by the shift.

    Buffers: ``free`` is already "working time minus busy time", so a buffer is honoured
    by asking that the slot widened by ``buffer_before`` and ``buffer_after`` still lies
    inside one free interval. This keeps the buffer from the edges of working hours as
    well as from events (working 09:00-18:00 with a 15-minute buffer before: the first
    30-minute-grid slot is 09:30). To buffer only around events, widen the busy
    intervals before computing free time instead.

    ``tz`` is a ``zoneinfo.ZoneInfo`` (or a fixed ``datetime.timezone``); the walk relies
    on datetimes sharing one tzinfo comparing by wall clock, which pytz zones do not do.
    ``not_before`` is the earliest allowed slot start (e.g. now + minimum notice);
    ``limit`` stops after that many slots. Slots may overlap one another (09:00-10:00 and
    09:30-10:30): each is a possible choice. Cost is linear in free intervals + slots.
    """
    if duration <= _ZERO:
        raise ValueError(f"duration must be positive, got {duration}")
    if not _ZERO < step <= _DAY:
        raise ValueError(f"step must be more than 0 and at most 1 day, got {step}")
    if buffer_before < _ZERO or buffer_after < _ZERO:
        raise ValueError("buffers must not be negative")
    if limit is not None and limit < 0:
        raise ValueError(f"limit must not be negative, got {limit}")
    earliest = _check_aware(not_before, "not_before") if not_before is not None else None

    slots: list[Interval] = []
    if limit == 0:
        return slots
    for iv in merge(free):
        lo = iv.start + buffer_before
        hi = iv.end - buffer_after - duration
        if earliest is not None and lo < earliest:
            lo = earliest
        if lo > hi:
            continue
        for start in _grid_instants(lo, hi, step, tz):
            slots.append(Interval(start, start + duration))
            if limit is not None and len(slots) >= limit:
                return slots
    return slots


def find_common_slots(
    people: Iterable[Person],
    duration: timedelta,
    step: timedelta,
    tz: tzinfo,
    *,
    not_before: datetime | None = None,
    limit: int | None = 10,
) -> list[Interval]:
    """Slots when all ``people`` are free, on the wall-clock grid of ``tz``.

    ``tz`` is whoever looks at the result (the organizer): the grid is theirs.
    """
    return free_slots(
        common_free_time(people), duration, step, tz, not_before=not_before, limit=limit
    )
