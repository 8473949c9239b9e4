"""Three colleagues in three zones with different working hours and known calendars.

- Alice (``owner``, Europe/Berlin): Mon-Fri 09:00-17:00 Berlin;
- Bob (``colleague``, America/New_York): Mon-Fri 08:00-16:00 New York;
- Carol (``carol``, Europe/London): Mon-Fri 10:00-18:00 London, but Wednesdays only
  10:00-15:30.

In May or June (CEST, EDT and BST, whatever the year) their common working time, in
Alice's Berlin time, is 14:00-17:00, on Wednesdays 14:00-16:30.

:func:`known_week` gives them a week of events starting on a Monday; the slots each
test expects are written out by hand in Berlin wall time, never computed.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from events.answers import attendee_respond
from events.cancelling import event_cancel
from events.services import event_create, event_update

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
LONDON = zoneinfo.ZoneInfo("Europe/London")
UTC = dt.UTC

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def hours(start: str, end: str, **overrides: list[list[str]]) -> dict:
    """Working hours Mon-Fri ``start``-``end``, weekends off, some days overridden."""
    week = {day: [[start, end]] for day in WEEKDAYS}
    week.update({"sat": [], "sun": []})
    week.update(overrides)
    return week


def local(day: dt.date, hhmm: str, zone: zoneinfo.ZoneInfo = BERLIN) -> dt.datetime:
    hour, minute = map(int, hhmm.split(":"))
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)


def future_monday(month: int = 6) -> dt.date:
    """The first Monday of ``month`` two years from now: always ahead of the clock, and in
    summer time in Berlin, New York and London alike, so the expected slots never change."""
    first = dt.date(dt.date.today().year + 2, month, 1)
    return first + dt.timedelta(days=(7 - first.weekday()) % 7)


@pytest.fixture
def alice(owner):
    owner.working_hours = hours("09:00", "17:00")
    owner.save()
    return owner


@pytest.fixture
def bob(colleague):
    colleague.working_hours = hours("08:00", "16:00")
    colleague.save()
    return colleague


@pytest.fixture
def carol(acme):
    from accounts.models import User

    return User.objects.create_user(
        "carol@acme.test",
        "x" * 12,
        account=acme,
        full_name="Carol Third",
        timezone="Europe/London",
        working_hours=hours("10:00", "18:00", wed=[["10:00", "15:30"]]),
    )


def known_week(alice, bob, carol, monday: dt.date) -> None:
    """The week starting ``monday`` (a Monday in May or June), in each organizer's zone."""
    tue, wed, thu = (monday + dt.timedelta(days=n) for n in (1, 2, 3))
    # Monday: Alice 14:00-14:30 Berlin; Carol 15:00-16:30 London = 16:00-17:30 Berlin.
    event_create(alice, title="Alice 1:1", start=local(monday, "14:00"), end=local(monday, "14:30"))
    event_create(
        carol,
        title="Carol dentist",
        start=local(monday, "15:00", LONDON),
        end=local(monday, "16:30", LONDON),
        timezone="Europe/London",
    )
    # Bob's stand-up, Tuesdays and Thursdays 09:00-10:00 New York (15:00-16:00 Berlin),
    # since two weeks before; this week's Thursday is taken out of the series and
    # this week's Tuesday one moved an hour later (16:00-17:00 Berlin).
    # This week's Tuesday meeting moved an hour later (16:00-17:00 Berlin).
    standup = event_create(
        bob,
        title="Bob stand-up",
        start=local(tue - dt.timedelta(days=14), "09:00", NEW_YORK),
        end=local(tue - dt.timedelta(days=14), "10:00", NEW_YORK),
        timezone="America/New_York",
        recurrence="FREQ=WEEKLY;BYDAY=TU,TH",
        exdates=[local(thu, "09:00", NEW_YORK)],
    )
    event_update(
        standup,
        bob,
        scope="this",
        occurrence=local(tue, "09:00", NEW_YORK),
        start=local(tue, "10:00", NEW_YORK),
        end=local(tue, "11:00", NEW_YORK),
    )
    # Things that do not make anyone busy: shown as free, cancelled, declined.
    event_create(
        carol,
        title="Carol focus time",
        start=local(wed, "13:00", LONDON),
        end=local(wed, "14:00", LONDON),
        timezone="Europe/London",
        transparency="free",
    )
    cancelled = event_create(
        bob, title="Cancelled", start=local(wed, "15:00"), end=local(wed, "16:00")
    )
    event_cancel(cancelled, bob)
    declined = event_create(
        alice,
        title="Optional talk",
        start=local(thu, "16:00"),
        end=local(thu, "17:00"),
        attendee_ids=[carol.pk],
    )
    attendee_respond(declined, carol, "declined")
    # ...but Alice organizes it, so Thursday 16:00-17:00 is busy for her.


#: The first twelve 60-minute slots of :func:`known_week`, in Berlin wall time, as
#: (days after Monday, start): see the comments in known_week for why each is there.
FIRST_TWELVE_HOUR_SLOTS = [
    (0, "14:30"),  # Mon: 14:00-14:30 Alice, 16:00- Carol
    (0, "15:00"),
    (1, "14:00"),  # Tue: Bob's stand-up moved to 16:00-17:00; 15:00 is free
    (1, "14:30"),
    (1, "15:00"),
    (2, "14:00"),  # Wed: common time ends 16:30 (Carol); "free", cancelled don't count
    (2, "14:30"),
    (2, "15:00"),
    (2, "15:30"),
    (3, "14:00"),  # Thu: stand-up taken out this week; Alice's talk 16:00-17:00
    (3, "14:30"),  # (overlaps the stand-up's hour, free this Thursday only)
    (3, "15:00"),
]
FIRST_TEN_HOUR_SLOTS = FIRST_TWELVE_HOUR_SLOTS[:10]


def berlin_slots(monday: dt.date, table, minutes: int) -> list[tuple[dt.datetime, dt.datetime]]:
    out = []
    for days, hhmm in table:
        start = local(monday + dt.timedelta(days=days), hhmm).astimezone(UTC)
        out.append((start, start + dt.timedelta(minutes=minutes)))
    return out
