"""When a reminder is due, and which reminders may be set (pure; no ORM).

Why here: the booking link, the event and the worker that sends reminders all need the
same two rules, and the time engine is below all of them.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

#: Minutes before a meeting a reminder may be set for: 10 min to 2 days.
CHOICES = (10, 15, 30, 60, 120, 1440, 2880)
MAX_REMINDERS = 3
DAY = 1440


def clean_reminders(value: object) -> list[int]:
    """The reminders as stored (longest first, no repeats); ValueError with the reason."""
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise ValueError("must be a list of minutes")
    if len(value) > MAX_REMINDERS:
        raise ValueError(f"at most {MAX_REMINDERS} reminders")
    for minutes in value:
        if isinstance(minutes, bool) or minutes not in CHOICES:
            raise ValueError("choose among " + ", ".join(str(c) for c in CHOICES) + " minutes")
    return sorted(set(value), reverse=True)


def due_at(start: dt.datetime, minutes: int, zone_name: str) -> dt.datetime:
    """When the reminder ``minutes`` before ``start`` goes out.

    Whole days are counted on the meeting's wall clock, so "1 day before" a 10:00 meeting
    is 10:00 the day before even across a DST change (24 or 25 real hours); shorter
    reminders are real minutes. A wall time the day before that does not exist (inside
    a spring-forward gap) is read with the offset before the gap (PEP 495 fold=0).
    """
    if minutes % DAY:
        return start - dt.timedelta(minutes=minutes)
    zone = zoneinfo.ZoneInfo(zone_name)
    local = start.astimezone(zone)
    naive = local.replace(tzinfo=None) - dt.timedelta(days=minutes // DAY)
    return naive.replace(tzinfo=zone).astimezone(dt.UTC)
