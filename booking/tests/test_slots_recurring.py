"""Booking slots under a recurring event: occurrences are busy, an excluded one is free,
a moved one is busy at its new time and free at its old one; booking follows the same.

The series row is written directly (as event_create does: organizer accepted), with an
EXDATE and a changed-occurrence row (series=master, recurrence_id=original start).
"""

from __future__ import annotations

import datetime as dt

import pytest

from booking.tests.conftest import BERLIN, api_body, berlin_day
from events.models import Attendee, Event
from scheduling.recurrence import parse_rule

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)
WEEK = dt.timedelta(weeks=1)
ALL_HOURS = [f"{h:02d}:00" for h in range(8, 20)]  # the link: 08:00-20:00, one hour


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN)


@pytest.fixture
def weekly(owner):
    """10:00-11:00 Berlin every week on the weekday of three days from now, four weeks:
    week 1 excluded, week 2 moved to 14:00 the same day, weeks 0 and 3 as planned."""
    first = berlin_day(3)
    code = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[first.weekday()]
    days = [first + n * WEEK for n in range(4)]
    series = Event.objects.create(
        account=owner.account,
        organizer=owner,
        title="Weekly review",
        start=at(days[0], 10),
        end=at(days[0], 11),
        timezone="Europe/Berlin",
        recurrence=str(parse_rule(f"FREQ=WEEKLY;BYDAY={code}")),
        exdates=[at(days[1], 10).astimezone(dt.UTC).isoformat()],
    )
    series.as_series().check()
    Attendee.objects.create(event=series, user=owner, status=Attendee.Status.ACCEPTED)
    moved = Event.objects.create(
        account=owner.account,
        organizer=owner,
        uid=series.uid,
        title="Weekly review",
        start=at(days[2], 14),
        end=at(days[2], 15),
        timezone="Europe/Berlin",
        series=series,
        recurrence_id=at(days[2], 10),
    )
    Attendee.objects.create(event=moved, user=owner, status=Attendee.Status.ACCEPTED)
    return days


def slot_hours(client, token: str, day: dt.date) -> list[str]:
    response = client.get(
        f"/api/v1/public/booking/{token}/slots",
        {
            "start": day.isoformat(),
            "end": (day + dt.timedelta(days=1)).isoformat(),
            "tz": "Europe/Berlin",
        },
    )
    assert response.status_code == 200, response.content
    starts = [dt.datetime.fromisoformat(s["start"]) for s in response.json()["slots"]]
    assert all(s.astimezone(BERLIN).date() == day for s in starts)
    return [s.astimezone(BERLIN).strftime("%H:%M") for s in starts]


def without(*hours: str) -> list[str]:
    return [h for h in ALL_HOURS if h not in hours]


def test_slots_see_exactly_the_right_occurrences(client, link_token, weekly):
    week0, excluded, moved, week3 = weekly
    assert slot_hours(client, link_token, week0) == without("10:00")
    assert slot_hours(client, link_token, excluded) == ALL_HOURS
    assert slot_hours(client, link_token, moved) == without("14:00")
    assert slot_hours(client, link_token, week3) == without("10:00")
    # The days in between know nothing of the series.
    assert slot_hours(client, link_token, week0 + dt.timedelta(days=1)) == ALL_HOURS
    # One query over four weeks: the same slots as day by day.
    response = client.get(
        f"/api/v1/public/booking/{link_token}/slots",
        {
            "start": week0.isoformat(),
            "end": (week3 + dt.timedelta(days=1)).isoformat(),
            "tz": "Europe/Berlin",
        },
    )
    taken = {
        (s.date(), s.strftime("%H:%M"))
        for s in (
            dt.datetime.fromisoformat(x["start"]).astimezone(BERLIN)
            for x in response.json()["slots"]
        )
    }
    for day, busy in ((week0, "10:00"), (moved, "14:00"), (week3, "10:00")):
        assert (day, busy) not in taken
    assert (excluded, "10:00") in taken and (moved, "10:00") in taken


def test_booking_follows_the_same_occurrences(client, link_token, weekly):
    week0, excluded, moved, week3 = weekly
    path = f"/api/v1/public/booking/{link_token}/bookings"

    def book(start: dt.datetime, email: str):
        return client.post(path, api_body(start, email=email), content_type="application/json")

    for start, email in (
        (at(week0, 10), "a@example.org"),
        (at(moved, 14), "b@example.org"),
        (at(week3, 10), "c@example.org"),
    ):
        taken = book(start, email)
        assert taken.status_code == 409, (start, taken.content)
        assert taken.json()["code"] == "slot_taken"
    for start, email in ((at(excluded, 10), "d@example.org"), (at(moved, 10), "e@example.org")):
        made = book(start, email)
        assert made.status_code == 201, (start, made.content)
    # The bookings are busy time now, too.
    assert slot_hours(client, link_token, excluded) == without("10:00")
    assert slot_hours(client, link_token, moved) == without("10:00", "14:00")


def test_a_declined_series_leaves_the_slots_free(client, owner, colleague, link_token):
    """Alice is invited to Bob's weekly series and declined it: not busy for her link."""
    first = berlin_day(3)
    series = Event.objects.create(
        account=owner.account,
        organizer=colleague,
        title="Bob's weekly",
        start=at(first, 12),
        end=at(first, 13),
        timezone="Europe/Berlin",
        recurrence="FREQ=DAILY;COUNT=3",
    )
    Attendee.objects.create(event=series, user=colleague, status=Attendee.Status.ACCEPTED)
    invite = Attendee.objects.create(event=series, user=owner)
    assert slot_hours(client, link_token, first + dt.timedelta(days=2)) == without("12:00")
    invite.status = Attendee.Status.DECLINED
    invite.save()
    assert slot_hours(client, link_token, first + dt.timedelta(days=2)) == ALL_HOURS
    assert slot_hours(client, link_token, first + dt.timedelta(days=3)) == ALL_HOURS
