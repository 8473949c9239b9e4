"""Rendezvous' pure time engine: intervals, working hours, free time and slots.

Plain data in, plain data out: stdlib ``datetime``/``zoneinfo`` only, no Django, no ORM,
no HTTP, so every rule about time can be tested in isolation and reused by the web
pages, the API and the booking flow alike. Instants are aware UTC datetimes; wall-clock
notions (working hours, the slot grid) take the person's ``ZoneInfo`` explicitly.
"""

from .hours import (
    DEFAULT_WORKING_HOURS,
    WeeklyHours,
    default_working_hours,
    format_weekly_hours,
    parse_weekly_hours,
    working_windows,
)
from .intervals import Interval, clip, intersect, intersect_all, merge, subtract, total
from .slots import common_free_time, find_common_slots, free_slots, free_time

__all__ = [
    "DEFAULT_WORKING_HOURS",
    "Interval",
    "WeeklyHours",
    "clip",
    "common_free_time",
    "default_working_hours",
    "find_common_slots",
    "format_weekly_hours",
    "free_slots",
    "free_time",
    "intersect",
    "intersect_all",
    "merge",
    "parse_weekly_hours",
    "subtract",
    "total",
    "working_windows",
]
