"""Time zones as people pick them: "(UTC+01:00) Berlin", in the reader's language.

A list of raw IANA names (over 590, with "localtime", "Factory" and legacy aliases such
as "US/Eastern") is unusable; the calendar products our users know offer each zone once,
by its offset today and its main city. The zones offered are the canonical ones from the
time-zone database's own ``zone.tab`` (one per region, no aliases) plus UTC; the city
names come from CLDR through Babel. Stored values stay IANA names, and any zone the
services accept keeps working: a stored legacy name is still offered for that person.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from importlib import resources

from babel.dates import get_timezone_location
from django.utils import timezone, translation


@functools.cache
def offered_zones() -> tuple[str, ...]:
    table = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    names = {
        line.split("\t")[2].strip()
        for line in table.splitlines()
        if line and not line.startswith("#")
    }
    return tuple(sorted(names | {"UTC"}))


def _offset_text(offset: dt.timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"(UTC{sign}{hours:02d}:{rest:02d})"


def _city(name: str, language: str) -> str:
    if name == "UTC":
        return "UTC"
    try:
        return get_timezone_location(name, locale=language, return_city=True)
    except (LookupError, ValueError):
        return name.rsplit("/", 1)[-1].replace("_", " ")


@functools.lru_cache(maxsize=32)
def _labelled(language: str, day: dt.date) -> tuple[tuple[dt.timedelta, str, str], ...]:
    noon = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    rows = []
    for name in offered_zones():
        offset = noon.astimezone(zoneinfo.ZoneInfo(name)).utcoffset() or dt.timedelta(0)
        rows.append((offset, _city(name, language), name))
    return tuple(sorted(rows))


def zone_label(name: str) -> str:
    """ "(UTC+01:00) Berlin" for today, in the active language."""
    language = (translation.get_language() or "en").split("-", 1)[0]
    offset = timezone.now().astimezone(zoneinfo.ZoneInfo(name)).utcoffset() or dt.timedelta(0)
    return f"{_offset_text(offset)} {_city(name, language)}"


def zone_choices(*first: str | None) -> list[tuple[str, str]]:
    """Every offered zone by offset, then city; the zones in ``first`` (the reader's own,
    the one stored) lead the list, and one that is not offered is kept for its owner."""
    language = (translation.get_language() or "en").split("-", 1)[0]
    rows = _labelled(language, timezone.now().date())
    lead = [name for name in dict.fromkeys(first) if name]
    choices = [(name, zone_label(name)) for name in lead]
    choices += [
        (name, f"{_offset_text(offset)} {city}") for offset, city, name in rows if name not in lead
    ]
    return choices
