"""mail.vtimezone: yearly rules that give every zone's offsets, read as RFC 5545 says.

The oracle here is RFC 5545 §3.6.5 applied by hand: each observance's onsets (DTSTART,
its RRULE expanded by dateutil up to UNTIL), an onset's instant being DTSTART −
TZOFFSETFROM, and at any instant the latest onset before it decides the offset. What
that gives must be what ``zoneinfo`` gives, in every zone. ``test_icaljs.py`` asks
Mozilla's ical.js the same about whole series.
"""

from __future__ import annotations

import bisect
import datetime as dt
import zoneinfo

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar

from mail.vtimezone import vtimezone

ALL_ZONES = sorted(zoneinfo.available_timezones())


def observances(data: bytes):
    calendar = Calendar.from_ical(b"BEGIN:VCALENDAR\r\n" + data + b"END:VCALENDAR\r\n")
    (component,) = calendar.walk("VTIMEZONE")
    return [c for c in component.subcomponents if c.name in ("STANDARD", "DAYLIGHT")]


def onsets(observance, through: dt.datetime) -> list[dt.datetime]:
    """The UTC instants at which an observance begins, up to ``through``."""
    start = observance["DTSTART"].dt
    offset_from = observance["TZOFFSETFROM"].td
    local = [start]
    rule = observance.get("RRULE")
    if rule is not None:
        text = ";".join(p for p in rule.to_ical().decode().split(";") if not p.startswith("UNTIL"))
        until = rule.get("UNTIL", [None])[0]
        local = list(rrulestr(f"RRULE:{text}", dtstart=start).between(start, through, inc=True))
        if until is not None:
            local = [t for t in local if (t - offset_from).replace(tzinfo=dt.UTC) <= until]
    assert "RDATE" not in observance  # rules, not lists of dates
    return [(t - offset_from).replace(tzinfo=dt.UTC) for t in local]


def offsets_by_rfc(data: bytes, through: dt.datetime):
    """instant → offset, from the VTIMEZONE alone."""
    table = sorted(
        (onset, observance["TZOFFSETTO"].td)
        for observance in observances(data)
        for onset in onsets(observance, through.replace(tzinfo=None))
    )
    instants = [onset for onset, _offset in table]

    def offset_at(instant: dt.datetime) -> dt.timedelta:
        index = bisect.bisect_right(instants, instant) - 1
        assert index >= 0, f"no observance in force at {instant}"
        return table[index][1]

    return offset_at


def instants(first_year: int, last_year: int, step: dt.timedelta):
    here = dt.datetime(first_year, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(last_year + 1, 1, 1, tzinfo=dt.UTC)
    while here < end:
        yield here
        here += step


@pytest.mark.parametrize("first_year, last_year", [(2026, 2029), (2024, 2024)])
def test_every_zone_gets_its_offsets_at_every_instant(first_year, last_year):
    wrong = {}
    for name in ALL_ZONES:
        zone = zoneinfo.ZoneInfo(name)
        offset_at = offsets_by_rfc(
            vtimezone(name, first_year, last_year), dt.datetime(last_year + 2, 1, 1)
        )
        for instant in instants(first_year, last_year, dt.timedelta(hours=5)):
            expected = instant.astimezone(zone).utcoffset()
            if offset_at(instant) != expected:
                wrong.setdefault(name, instant)
    assert wrong == {}


@pytest.mark.parametrize(
    "name, first_year, last_year",
    [
        ("America/New_York", 2005, 2009),  # the 2007 change of the US rules
        ("Europe/Moscow", 2010, 2015),  # summer time abolished, then permanent +04, +03
        ("Asia/Kathmandu", 1985, 1987),  # +0530 → +0545
        ("America/Sao_Paulo", 2017, 2021),  # summer time abolished in 2019
        ("Africa/Casablanca", 2018, 2021),  # Ramadan breaks, then permanent +01
        ("Australia/Lord_Howe", 2026, 2028),  # half an hour of summer time
    ],
)
def test_rule_changes_within_the_years_are_kept_exactly(name, first_year, last_year):
    zone = zoneinfo.ZoneInfo(name)
    offset_at = offsets_by_rfc(
        vtimezone(name, first_year, last_year), dt.datetime(last_year + 2, 1, 1)
    )
    for instant in instants(first_year, last_year, dt.timedelta(minutes=30)):
        assert offset_at(instant) == instant.astimezone(zone).utcoffset(), instant


def test_a_zone_with_summer_time_is_one_standard_and_one_daylight_with_yearly_rules():
    """What Outlook reads: one block each, each with a yearly RRULE and no end."""
    data = vtimezone("Europe/Berlin", 2026, 2036)
    daylight, standard = sorted(observances(data), key=lambda o: o.name)
    assert (daylight.name, standard.name) == ("DAYLIGHT", "STANDARD")
    assert data.count(b"RRULE:") == 2 and b"UNTIL" not in data and b"RDATE" not in data
    assert b"\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n" in data
    assert b"\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n" in data
    # DTSTART is the wall time in the offset before the change (RFC 5545 §3.6.5).
    assert daylight["DTSTART"].dt == dt.datetime(2025, 3, 30, 2, 0)
    assert standard["DTSTART"].dt == dt.datetime(2025, 10, 26, 3, 0)
    us = vtimezone("America/New_York", 2026, 2026)
    assert b"\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\n" in us
    assert b"\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\n" in us


def test_a_zone_without_changes_is_one_standard_observance_of_its_own_offset():
    (only,) = observances(vtimezone("Asia/Kathmandu", 2026, 2030))
    assert only.name == "STANDARD"
    assert only["TZOFFSETFROM"].td == only["TZOFFSETTO"].td == dt.timedelta(hours=5, minutes=45)
    assert only["DTSTART"].dt.year == 2025  # not 1970, when Kathmandu was at +0530
