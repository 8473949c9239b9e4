"""Weekly working hours: parsing the stored JSON form and turning it into UTC windows.

Working hours are wall-clock times in the person's own time zone ("09:00 to 18:00 on
weekdays"), so they are kept as minutes since local midnight and only become instants
for a concrete date range. That is what keeps 09:00 at 09:00 local on both sides of a
DST change, while the UTC instants move.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from itertools import pairwise
from typing import Any

from .intervals import Interval, clip

__all__ = [
    "DAY_KEYS",
    "DEFAULT_WORKING_HOURS",
    "MINUTES_PER_DAY",
    "WeeklyHours",
    "default_working_hours",
    "format_weekly_hours",
    "parse_weekly_hours",
    "working_windows",
]

#: weekday (0 = Monday .. 6 = Sunday) -> sorted, non-overlapping (start, end) minutes
#: since local midnight, ``0 <= start < end <= 1440``; 1440 is the midnight that ends
#: the day ("24:00").
WeeklyHours = dict[int, list[tuple[int, int]]]

MINUTES_PER_DAY = 24 * 60
DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: JSON form, Monday to Friday 09:00-18:00. Treat as read-only; use
#: :func:`default_working_hours` wherever a fresh copy may get mutated (model defaults).
DEFAULT_WORKING_HOURS: dict[str, list[list[str]]] = {
    day: ([["09:00", "18:00"]] if day not in ("sat", "sun") else []) for day in DAY_KEYS
}

_TIME_RE = re.compile(r"(\d{2}):(\d{2})")


def default_working_hours() -> dict[str, list[list[str]]]:
    """A fresh copy of :data:`DEFAULT_WORKING_HOURS` (a callable fit for a JSONField default)."""
    return copy.deepcopy(DEFAULT_WORKING_HOURS)


def _minute_to_text(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _parse_time(value: Any, day: str, number: int) -> int:
    match = _TIME_RE.fullmatch(value) if isinstance(value, str) else None
    if match:
        hour, minute = int(match[1]), int(match[2])
        if (hour < 24 and minute < 60) or (hour == 24 and minute == 0):
            return hour * 60 + minute
    raise ValueError(
        f"{day}: range {number}: bad time {value!r}, expected HH:MM from 00:00 to 24:00"
    )


def parse_weekly_hours(data: Mapping[str, Any]) -> WeeklyHours:
    """Validate the JSON form ``{"mon": [["09:00", "18:00"]], ..., "sun": []}``.

    Every day key is optional (a missing day is a day off) and the result always has all
    seven weekdays. The error message names the day, the range (counted from 1, in the
    order given) and the reason, because it goes back to the user unchanged. Ranges that
    merely touch ("09:00-12:00" and "12:00-13:00") are allowed; overlapping ones are not,
    as they are almost always a typo.
    """
    if not isinstance(data, Mapping):
        raise ValueError(
            "working hours must be an object with the keys mon, tue, wed, thu, fri, sat, sun"
        )
    unknown = [key for key in data if key not in DAY_KEYS]
    if unknown:
        raise ValueError(
            f"unknown day {unknown[0]!r}: expected one of mon, tue, wed, thu, fri, sat, sun"
        )
    hours: WeeklyHours = {}
    for weekday, day in enumerate(DAY_KEYS):
        raw = data.get(day, [])
        if not isinstance(raw, list | tuple):
            raise ValueError(f"{day}: expected a list of [start, end] ranges")
        ranges: list[tuple[int, int]] = []
        for number, pair in enumerate(raw, start=1):
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                raise ValueError(f"{day}: range {number} must be a pair [start, end]")
            start = _parse_time(pair[0], day, number)
            end = _parse_time(pair[1], day, number)
            if end <= start:
                raise ValueError(
                    f"{day}: range {number}: end {pair[1]} is not after start {pair[0]}"
                )
            ranges.append((start, end))
        ranges.sort()
        for (s1, e1), (s2, e2) in pairwise(ranges):
            if s2 < e1:
                raise ValueError(
                    f"{day}: ranges {_minute_to_text(s1)}-{_minute_to_text(e1)} and "
                    f"{_minute_to_text(s2)}-{_minute_to_text(e2)} overlap"
                )
        hours[weekday] = ranges
    return hours


def format_weekly_hours(hours: WeeklyHours) -> dict[str, list[list[str]]]:
    """The JSON form of ``hours``, with all seven day keys and each day's ranges sorted."""
    return {
        day: [
            [_minute_to_text(start), _minute_to_text(end)]
            for start, end in sorted(hours.get(weekday, ()))
        ]
        for weekday, day in enumerate(DAY_KEYS)
    }


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive datetime {value.isoformat()}")


# Ranges stay on their own date's wall clock, but reading wall times with fold=0 can
# carry a range past a neighbouring local midnight when a gap or a fold straddles
# midnight, or a whole date is skipped (Samoa, 2011-12-30). Two spare dates on each side
# cover all of these for four cheap loop turns; clipping drops the surplus.
_DATE_MARGIN = timedelta(days=2)


def working_windows(
    hours: WeeklyHours, tz: tzinfo, start: datetime, end: datetime
) -> list[Interval]:
    """The person's working time inside ``[start, end)`` as merged UTC intervals.

    Each local date's ranges are placed on the wall clock of ``tz`` and converted to UTC,
    so 09:00-17:00 stays 09:00-17:00 local on both sides of a DST change. Local times are
    read the way RFC 5545 reads a DTSTART, which is Python's ``fold=0`` (PEP 495), so a
    working range and an event typed at the same wall time agree:

    * a local time that does not exist (spring-forward gap) is read with the offset in
      force before the gap, i.e. it moves forward by the gap: Europe/Berlin 2026-03-29
      02:30 becomes 03:30 CEST. A range 01:00-04:00 that day therefore lasts two hours;
    * a local time that occurs twice (fall back) means its first occurrence, for starts
      and ends alike. Reading wall time with one fold is monotonic, so a range can never
      become reversed through a repeated hour; one that spans the repeated hour
      (Berlin 2026-10-25 01:00-04:00) lasts an hour longer;
    * so a range lying wholly in the gap moves forward with it (02:15-02:45 that Berlin
      day becomes 03:15-03:45 CEST), while one that starts in the gap and ends no later
      than its shifted start (02:30-03:00, 02:30-03:30) collapses to nothing and is
      dropped.

    Ranges of neighbouring days that touch (a day ending at 24:00, the next starting at
    00:00) merge into one interval. Cost is O(days x ranges), never per minute.
    """
    _require_aware(start, "start")
    _require_aware(end, "end")
    if end <= start:
        return []
    window = Interval(start, end)
    day = start.astimezone(tz).date() - _DATE_MARGIN
    last = end.astimezone(tz).date() + _DATE_MARGIN
    pieces: list[Interval] = []
    one_day = timedelta(days=1)
    while day <= last:
        ranges = hours.get(day.weekday())
        if ranges:
            # Aware + timedelta is wall-clock arithmetic and yields fold=0, which is the
            # rule above; astimezone then resolves gaps and folds as PEP 495 defines.
            midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
            for first_minute, end_minute in ranges:
                utc_start = (midnight + timedelta(minutes=first_minute)).astimezone(UTC)
                utc_end = (midnight + timedelta(minutes=end_minute)).astimezone(UTC)
                if utc_start < utc_end:
                    pieces.append(Interval(utc_start, utc_end))
        day += one_day
    return clip(pieces, window)
