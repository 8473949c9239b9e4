"""Outside calendars read as busy time: Google's and Outlook's ways of writing them."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path

import pytest

from sources.ical_busy import MAX_STEPS, FeedError, busy_spans

FEEDS = Path(__file__).with_name("feeds")
ROME = zoneinfo.ZoneInfo("Europe/Rome")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
UTC = dt.UTC


def at(zone, *parts) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=zone).astimezone(UTC)


def test_google_feed_series_in_its_own_zone_with_moved_and_excluded_dates():
    spans = busy_spans((FEEDS / "google.ics").read_bytes(), at(UTC, 2027, 1, 1),
                       at(UTC, 2027, 4, 30), default_zone="Europe/Berlin")  # fmt: skip
    # Weekly on Monday 09:00 Rome (UTC 08:00 in winter): 4 Jan, (11 Jan excluded),
    # 18 Jan moved to 11:00, 25 Jan ... and after the DST change (28 March) still at
    # 09:00 Rome, i.e. 07:00 UTC: the series keeps its wall time (X-WR-TIMEZONE).
    assert (at(ROME, 2027, 1, 4, 9), at(ROME, 2027, 1, 4, 10)) in spans
    assert not any(s == at(ROME, 2027, 1, 11, 9) for s, _e in spans)
    assert (at(UTC, 2027, 1, 18, 10), at(UTC, 2027, 1, 18, 11)) in spans
    assert not any(s == at(ROME, 2027, 1, 18, 9) for s, _e in spans)
    assert (at(ROME, 2027, 4, 5, 9), at(ROME, 2027, 4, 5, 10)) in spans
    # The all-day event is busy for the whole day (in the employee's zone: no zone given).
    assert (at(BERLIN, 2027, 1, 20), at(BERLIN, 2027, 1, 21)) in spans
    # Transparent and cancelled events are not busy.
    assert not any(s <= at(UTC, 2027, 1, 21, 13) < e for s, e in spans)
    assert not any(s <= at(UTC, 2027, 1, 22, 13) < e for s, e in spans)


def test_outlook_feed_with_a_windows_zone_name():
    spans = busy_spans((FEEDS / "outlook.ics").read_bytes(), at(UTC, 2027, 3, 1),
                       at(UTC, 2027, 5, 1), default_zone="UTC")  # fmt: skip
    # 22 March is before the EU DST change (14:00 = 13:00 UTC), 29 March after (12:00 UTC).
    assert spans == [
        (at(BERLIN, 2027, 3, 22, 14), at(BERLIN, 2027, 3, 22, 15)),
        (at(BERLIN, 2027, 3, 29, 14), at(BERLIN, 2027, 3, 29, 15)),
        (at(BERLIN, 2027, 4, 5, 14), at(BERLIN, 2027, 4, 5, 15)),
    ]
    assert spans[0][0] == at(UTC, 2027, 3, 22, 13) and spans[1][0] == at(UTC, 2027, 3, 29, 12)


def feed(*events: str) -> bytes:
    body = "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:x", *events, "END:VCALENDAR", ""])
    return body.encode()


def event(uid: str, *lines: str) -> str:
    return "\r\n".join(
        ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20270101T000000Z", *lines, "END:VEVENT"]
    )


def test_hostile_feeds_are_refused_with_a_reason():
    window = (at(UTC, 2027, 1, 1), at(UTC, 2027, 2, 1))
    every_second = feed(event("s", "DTSTART:20270101T000000Z", "RRULE:FREQ=SECONDLY"))
    with pytest.raises(FeedError, match="every second or minute"):
        busy_spans(every_second, *window, default_zone="UTC")
    # Daily since 1900: more occurrences to walk than a feed may hold.
    ancient = feed(event("a", "DTSTART:19000101T000000Z", "DTEND:19000101T010000Z",
                         "RRULE:FREQ=HOURLY"))  # fmt: skip
    with pytest.raises(FeedError, match=str(MAX_STEPS)):
        busy_spans(ancient, *window, default_zone="UTC")
    with pytest.raises(FeedError, match="not an iCalendar file"):
        busy_spans(b"<html>login page</html>", *window, default_zone="UTC")


def test_a_long_holiday_and_a_floating_time():
    data = feed(
        event("h", "DTSTART;VALUE=DATE:20270105", "DTEND;VALUE=DATE:20270110"),
        event("f", "DTSTART:20270115T090000", "DTEND:20270115T100000"),
    )
    spans = busy_spans(data, at(UTC, 2027, 1, 1), at(UTC, 2027, 2, 1), default_zone="Europe/Berlin")
    assert spans == [
        (at(BERLIN, 2027, 1, 5), at(BERLIN, 2027, 1, 10)),
        (at(BERLIN, 2027, 1, 15, 9), at(BERLIN, 2027, 1, 15, 10)),
    ]
