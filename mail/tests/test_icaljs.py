"""Our series as Thunderbird reads them: Mozilla's ical.js, run by Node.

Every occurrence of a weekly series over three years must start and end at the instant
``zoneinfo`` gives for its wall time: with the VTIMEZONE we used to write (lists of
RDATEs), ical.js put the summer occurrences of a Berlin series an hour late.

Node and the pinned ical.js (``mail/tests/icaljs``, installed by ``scripts/test`` with
``npm ci``) are needed: without them the test is skipped with a loud warning, except on
CI (``CI=true``), where that fails the run.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import warnings
import zoneinfo
from pathlib import Path

import pytest

from mail.ical import CalendarEvent, CalendarPerson, build_calendar

HERE = Path(__file__).parent / "icaljs"
WEEKS = 3 * 52


def icaljs_occurrences(calendar: bytes, limit: int) -> list[tuple[int, int]]:
    node = shutil.which("node")
    if node is None or not (HERE / "node_modules" / "ical.js").is_dir():
        reason = (
            "ICAL.JS TESTS NOT RUN: needs Node.js and `npm ci --prefix mail/tests/icaljs` "
            "(scripts/test runs it where npm exists)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " — required on CI", pytrace=False)
        warnings.warn(reason, stacklevel=2)
        pytest.skip(reason)
    result = subprocess.run(
        [node, str(HERE / "occurrences.mjs"), str(limit)],
        input=calendar,
        capture_output=True,
        check=True,
        timeout=60,
    )
    pairs = (line.split() for line in result.stdout.decode().splitlines() if line)
    return [(int(start), int(end)) for start, end in pairs]


def weekly_series(tzid: str, first_day: dt.date, hour: int, minute: int) -> CalendarEvent:
    zone = zoneinfo.ZoneInfo(tzid)
    start = dt.datetime.combine(first_day, dt.time(hour, minute), tzinfo=zone)
    return CalendarEvent(
        uid=f"weekly-{tzid}@rendezvous.test",
        sequence=0,
        title="Weekly",
        start=start,
        end=start + dt.timedelta(hours=1),
        timezone=tzid,
        organizer=CalendarPerson("owner@acme.test", "Owner"),
        attendees=[CalendarPerson("guest@example.org", "Guest")],
        rrule=f"FREQ=WEEKLY;COUNT={WEEKS}",
    )


@pytest.mark.parametrize(
    "tzid, hour, minute",
    [
        ("Europe/Berlin", 10, 0),
        ("America/New_York", 9, 30),
        ("Australia/Lord_Howe", 10, 0),  # half an hour of summer time
        ("Asia/Kathmandu", 16, 15),  # +0545, no summer time
    ],
)
def test_every_occurrence_of_a_three_year_series_is_at_its_instant(tzid, hour, minute):
    first_day = dt.date(2027, 1, 4)
    event = weekly_series(tzid, first_day, hour, minute)
    calendar = build_calendar("REQUEST", [event], dtstamp=dt.datetime(2026, 12, 3, tzinfo=dt.UTC))

    got = icaljs_occurrences(calendar, WEEKS + 5)

    zone = zoneinfo.ZoneInfo(tzid)
    expected = []
    for week in range(WEEKS):
        start = dt.datetime.combine(
            first_day + dt.timedelta(weeks=week), dt.time(hour, minute), tzinfo=zone
        )
        end = start + dt.timedelta(hours=1)
        expected.append((int(start.timestamp()), int(end.timestamp())))
    wrong = [
        (dt.datetime.fromtimestamp(e[0], zone), g[0] - e[0])
        for g, e in zip(got, expected, strict=False)
        if g != e
    ]
    assert wrong == [] and len(got) == WEEKS
