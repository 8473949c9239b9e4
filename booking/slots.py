"""Which meetings a booking link offers: plain data in, plain data out (no ORM here).

Free slots = bookable hours minus busy time, on a wall-clock grid in the hours' time
zone, honouring buffers, minimum notice, the horizon and the daily limit. The heavy
lifting (DST-correct windows, grid walking) is the scheduling engine's; this module
only states the booking rules on top of it:

* the grid is anchored at the start of each bookable range (hours 09:00-17:00 with
  120-minute meetings offer 09:00, 11:00, 13:00, 15:00), with a step of the meeting
  length, or 15 minutes when the length is not a multiple of 15;
* buffers keep distance from *events* (not from the edges of the bookable hours): a
  busy interval is widened by the buffer after a new meeting on its left and by the
  buffer before one on its right;
* the horizon counts whole local days: "60 days ahead" ends at midnight after today + 60.
"""

from __future__ import annotations

import math
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from scheduling.hours import WeeklyHours, format_weekly_hours, parse_weekly_hours, working_windows
from scheduling.instants import as_instant, micros
from scheduling.intervals import Interval, subtract
from scheduling.slots import free_slots

__all__ = [
    "Rules",
    "busy_query_range",
    "compute_slots",
    "grid_step",
    "normalize_hours",
    "offered_range",
]

_QUARTER = 15


@dataclass(frozen=True)
class Rules:
    """A booking link's settings in the form the computation needs."""

    duration: timedelta
    hours: WeeklyHours
    tz: zoneinfo.ZoneInfo
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    min_notice: timedelta = timedelta(hours=2)
    horizon_days: int = 60
    daily_limit: int | None = None


def normalize_hours(data: Any) -> dict[str, list[list[str]]]:
    """Validate bookable hours (the JSON form of working hours) and merge overlapping ranges.

    Unlike working hours, overlapping ranges on one day are accepted and joined: for
    bookable time "09:00-17:00 and 13:00-18:00" plainly means 09:00-18:00. Every other
    problem raises ValueError with the scheduling engine's message (day, range, reason).
    """
    if not isinstance(data, Mapping):
        parse_weekly_hours(data)  # raises the engine's message for a non-object
    parse_weekly_hours({key: [] for key in data})  # unknown day keys
    merged: WeeklyHours = {}
    for day, ranges in data.items():
        if not isinstance(ranges, list | tuple):
            parse_weekly_hours({day: ranges})  # raises, naming the day
        for number, pair in enumerate(ranges, start=1):
            # One range at a time: the engine checks its form without refusing overlaps.
            try:
                parsed = parse_weekly_hours({day: [pair]})
            except ValueError as exc:
                raise ValueError(str(exc).replace(": range 1", f": range {number}", 1)) from None
            for weekday, found in parsed.items():
                merged.setdefault(weekday, []).extend(found)
    joined: WeeklyHours = {}
    for weekday in range(7):
        out: list[tuple[int, int]] = []
        for start, end in sorted(merged.get(weekday, [])):
            if out and start <= out[-1][1]:
                out[-1] = (out[-1][0], max(out[-1][1], end))
            else:
                out.append((start, end))
        joined[weekday] = out
    parse_weekly_hours(format_weekly_hours(joined))  # the merged form is valid working hours
    return format_weekly_hours(joined)


def grid_step(duration: timedelta) -> timedelta:
    """The meeting length, or 15 minutes when the length is not a multiple of 15 minutes."""
    minutes = duration // timedelta(minutes=1)
    return duration if minutes % _QUARTER == 0 else timedelta(minutes=_QUARTER)


def _local_midnight(day: date, tz: zoneinfo.ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def offered_range(
    rules: Rules, start: datetime, end: datetime, now: datetime
) -> tuple[datetime, datetime] | None:
    """The part of ``[start, end)`` in which a slot may *start*: after the notice, within
    the horizon. ``None`` when nothing is left."""
    last_day = now.astimezone(rules.tz).date() + timedelta(days=rules.horizon_days)
    lo = max(start.astimezone(UTC), (now + rules.min_notice).astimezone(UTC))
    hi = min(end.astimezone(UTC), _local_midnight(last_day + timedelta(days=1), rules.tz))
    return (lo, hi) if lo < hi else None


def busy_query_range(rules: Rules, lo: datetime, hi: datetime) -> tuple[datetime, datetime]:
    """The busy time that can affect slots starting in ``[lo, hi)``, buffers included."""
    return lo - rules.buffer_before, hi + rules.duration + rules.buffer_after


_MICROSECOND = timedelta(microseconds=1)


def busy_meeting_hours(
    rules: Rules, offered: tuple[datetime, datetime], spans: list[tuple[int, int]]
) -> list[Interval]:
    """Of a person's merged busy spans (epoch microseconds, sorted), those that can take
    a slot away: the ones meeting the link's hours in the offered range, buffers
    included, as intervals.

    Why: the rest cannot change a slot, and a calendar with outside sources holds
    thousands of blocks in nights and weekends; turning each into datetimes and
    subtracting it from hours it never meets was most of what they cost a slots request.
    """
    lo, hi = offered
    windows = working_windows(rules.hours, rules.tz, lo, hi + rules.duration)
    before = rules.buffer_before // _MICROSECOND
    after = rules.buffer_after // _MICROSECOND
    kept: list[Interval] = []
    first = 0  # spans are disjoint and sorted, so their ends are sorted too
    last_kept = -1
    for window in windows:
        # A span meets the window when, widened as compute_slots widens it, it touches it.
        reach_lo = micros(window.start) - before
        reach_hi = micros(window.end) + after
        while first < len(spans) and spans[first][1] < reach_lo:
            first += 1
        n = first
        while n < len(spans) and spans[n][0] <= reach_hi:
            if n > last_kept:  # a span across several windows is kept once
                kept.append(Interval(as_instant(spans[n][0]), as_instant(spans[n][1])))
                last_kept = n
            n += 1
    return kept


def _anchor_step(rules: Rules) -> timedelta:
    """A step for the engine's midnight-anchored grid that contains every range-anchored
    grid point: the gcd of the step and every range start (in minutes)."""
    step = grid_step(rules.duration) // timedelta(minutes=1)
    g = step
    for ranges in rules.hours.values():
        for first_minute, _end in ranges:
            g = math.gcd(g, first_minute)
    return timedelta(minutes=g)


def compute_slots(
    rules: Rules,
    start: datetime,
    end: datetime,
    now: datetime,
    busy: Iterable[Interval],
    booked_per_day: Mapping[date, int] | None = None,
) -> list[Interval]:
    """Slots whose start lies in ``[start, end)``, sorted.

    ``busy`` must cover :func:`busy_query_range` of the offered range (more does no
    harm); ``booked_per_day`` counts the owner's confirmed bookings by local date in
    ``rules.tz`` (only needed with a daily limit). No I/O: one call per request.
    """
    offered = offered_range(rules, start, end, now)
    if offered is None:
        return []
    lo, hi = offered
    windows = working_windows(rules.hours, rules.tz, lo, hi + rules.duration)
    if not windows:
        return []
    widened = [Interval(iv.start - rules.buffer_after, iv.end + rules.buffer_before) for iv in busy]
    free = subtract(windows, widened)
    step_minutes = grid_step(rules.duration) // timedelta(minutes=1)
    candidates = free_slots(free, rules.duration, _anchor_step(rules), rules.tz, not_before=lo)
    per_day = booked_per_day or {}
    out: list[Interval] = []
    for slot in candidates:
        if slot.start >= hi:
            break
        local = slot.start.astimezone(rules.tz)
        minute = local.hour * 60 + local.minute
        anchor = None
        for first_minute, end_minute in rules.hours.get(local.weekday(), ()):
            if first_minute <= minute < end_minute:
                anchor = first_minute
                break
        if anchor is None or (minute - anchor) % step_minutes or local.second:
            continue
        if rules.daily_limit is not None and per_day.get(local.date(), 0) >= rules.daily_limit:
            continue
        out.append(slot)
    return out
