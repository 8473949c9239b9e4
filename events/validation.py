"""Field rules shared by every way an event is written (pages, API, booking)."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from scheduling.instants import MAX_SPAN_LENGTH

MAX_TITLE = 200
MAX_DESCRIPTION = 10_000
MAX_LOCATION = 500
MAX_EVENT_LENGTH = MAX_SPAN_LENGTH

#: The instants Rendezvous takes: the years 1900 to 2200 (UTC). Wide enough for any
#: meeting, and far enough from datetime's own limits (years 1 to 9999) that no local-time
#: conversion, recurrence expansion, slot grid or page computed from them can overflow.
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2201, 1, 1, tzinfo=dt.UTC)  # exclusive


def range_message() -> str:
    return _("Dates must lie between the years 1900 and 2200.")


def out_of_range(value: dt.datetime) -> bool:
    """Whether an aware instant lies outside [EARLIEST, LATEST); never overflows (a year far
    outside is answered before any arithmetic with the offset)."""
    if not 1899 <= value.year <= 2201:
        return True
    return not EARLIEST <= value < LATEST


def outside_supported_years(start: dt.datetime, end: dt.datetime) -> bool:
    """Whether a range read lies wholly outside the supported years: clipped, it is
    empty (answered with nothing), which is not the same as a reversed range."""
    if start.tzinfo is None or end.tzinfo is None:
        return False
    return clip(start) == clip(end) in (EARLIEST, LATEST)


def clip(value: dt.datetime) -> dt.datetime:
    """An aware instant moved into [EARLIEST, LATEST] (for the ends of range reads)."""
    if value.year < 1899:
        return EARLIEST
    if value.year > 2201:
        return LATEST
    return min(max(value, EARLIEST), LATEST)


@functools.cache
def known_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def earliest_start_reaching(window_start: dt.datetime) -> dt.datetime:
    """The earliest start of an event (at most MAX_EVENT_LENGTH long) that can reach
    ``window_start``; a window near the year 1 must not overflow (it comes from a request)."""
    try:
        return window_start - MAX_EVENT_LENGTH
    except OverflowError:
        return dt.datetime.min.replace(tzinfo=dt.UTC)


def validate_time_zone(name: str, field: str = "timezone") -> zoneinfo.ZoneInfo:
    if not isinstance(name, str) or name not in known_time_zones():
        raise ValidationError({field: _("Unknown time zone %(name)r.") % {"name": name}})
    return zoneinfo.ZoneInfo(name)


def _check_text(errors: dict, field: str, value: object, limit: int, *, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = _("Must be text.")
        return ""
    if "\x00" in value:
        errors[field] = _("Must not contain NUL characters.")
    value = value.strip() if field == "title" else value
    if required and not value.strip():
        errors[field] = _("This field is required.")
    elif len(value) > limit:
        errors[field] = _("At most %(limit)d characters (got %(count)d).") % {
            "limit": limit,
            "count": len(value),
        }
    return value


def clean_event_fields(data: dict) -> dict:
    """Check a complete set of event fields; raise one ValidationError naming every bad field."""
    errors: dict[str, str] = {}
    cleaned = dict(data)
    cleaned["title"] = _check_text(errors, "title", data.get("title"), MAX_TITLE, required=True)
    cleaned["description"] = _check_text(
        errors, "description", data.get("description"), MAX_DESCRIPTION, required=False
    )
    cleaned["location"] = _check_text(
        errors, "location", data.get("location"), MAX_LOCATION, required=False
    )
    video_url = data.get("video_url") or ""
    if video_url:
        try:
            URLValidator(schemes=["http", "https"])(video_url)
        except ValidationError:
            errors["video_url"] = _("Enter a valid http(s) URL.")
    cleaned["video_url"] = video_url

    zone = None
    try:
        zone = validate_time_zone(data.get("timezone"))
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})

    start, end = data.get("start"), data.get("end")
    for field, value in (("start", start), ("end", end)):
        if not isinstance(value, dt.datetime):
            errors[field] = _("Enter a date and time.")
        elif value.tzinfo is None or value.utcoffset() is None:
            errors[field] = _(
                "Give a UTC offset (e.g. 2026-05-04T09:00:00+02:00); naive times are ambiguous."
            )
        elif out_of_range(value):
            errors[field] = range_message()
    if "start" not in errors and "end" not in errors and zone is not None:
        if data.get("all_day"):
            start, end = _all_day_bounds(start, end, zone)
        if end <= start:
            errors["end"] = _("The end must be after the start.")
        elif end - start > MAX_EVENT_LENGTH:
            errors["end"] = _("An event may last at most 31 days.")
        cleaned["start"] = start.astimezone(dt.UTC)
        cleaned["end"] = end.astimezone(dt.UTC)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _all_day_bounds(
    start: dt.datetime, end: dt.datetime, zone: zoneinfo.ZoneInfo
) -> tuple[dt.datetime, dt.datetime]:
    """All-day events span whole local days: midnight of the first day to midnight after the last."""
    first = start.astimezone(zone).date()
    last_exclusive = end.astimezone(zone).date()
    local_end = end.astimezone(zone)
    if local_end.time() != dt.time(0) or last_exclusive <= first:
        last_exclusive = max(last_exclusive + dt.timedelta(days=1), first + dt.timedelta(days=1))
    return (
        dt.datetime.combine(first, dt.time(0), zone),
        dt.datetime.combine(last_exclusive, dt.time(0), zone),
    )
