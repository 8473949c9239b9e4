"""The booker moves a meeting (manage link, page and API); the owner asks for another
time. The old time is released only when the new one is confirmed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from booking.models import Booking, BookingLink
from booking.selectors import slots_for_link
from booking.services import book, configure_link
from events.models import Event
from mail.ical import parse_calendar

from .conftest import berlin_at, calendar_part, outbox_to, visitor
from .test_api import call

pytestmark = pytest.mark.django_db


def offered(start: dt.datetime) -> bool:
    link = BookingLink.objects.get()
    return any(s.start == start for s in slots_for_link(link, start, start + dt.timedelta(hours=1)))


def move(client, token, start):
    return call(
        client,
        "post",
        f"/public/booking/manage/{token}/reschedule",
        body={"start": start.isoformat()},
    )


@pytest.fixture
def booked(link_token):
    outcome = book(link_token, visitor(berlin_at(10)))
    assert outcome.status_code == 201
    return outcome


def test_the_booker_moves_the_meeting_and_everyone_is_told(client, owner, booked):
    booking = booked.booking
    uid, sequence = booking.event.uid, booking.event.sequence
    answer = move(client, booked.manage_token, berlin_at(14))
    assert answer.status_code == 200, answer.content
    assert dt.datetime.fromisoformat(answer.json()["start"]) == berlin_at(14)
    booking.refresh_from_db()
    event = Event.objects.get()
    assert (booking.start, event.start, booking.moves) == (berlin_at(14), berlin_at(14), 1)
    assert event.uid == uid and event.sequence == sequence + 1
    assert offered(berlin_at(10)) and not offered(berlin_at(14))

    moved = outbox_to(booking.email)[-1]
    assert moved["Subject"].startswith("Moved:")
    [vevent] = parse_calendar(calendar_part(moved).get_content().encode()).walk("VEVENT")
    assert calendar_part(moved).get_param("method") == "REQUEST"
    assert str(vevent["UID"]) == uid and int(vevent["SEQUENCE"]) == sequence + 1
    assert vevent["DTSTART"].dt == berlin_at(14)
    text = moved.get_body(("plain",)).get_content()
    assert "/b/manage/" + booked.manage_token in text
    owner_mail = outbox_to(owner.email)[-1]
    assert owner_mail["Subject"].startswith("Booking moved:")


def test_a_meeting_may_move_into_time_it_held_itself(client, owner, link_token):
    """With 30 minutes free before each meeting, 10:00-11:00 blocks 11:00 for others, but
    the meeting itself may move there: its own time does not count against it."""
    configure_link(owner, {"buffer_before_minutes": 30})
    outcome = book(link_token, visitor(berlin_at(10)))
    assert not offered(berlin_at(11))
    assert move(client, outcome.manage_token, berlin_at(11)).status_code == 200
    assert Booking.objects.get().start == berlin_at(11)


def test_a_taken_or_unoffered_time_changes_nothing(client, owner, link_token, booked):
    other = book(link_token, visitor(berlin_at(14), email="jan@example.org"))
    assert other.status_code == 201
    taken = move(client, booked.manage_token, berlin_at(14))
    assert taken.status_code == 409 and taken.json()["code"] == "slot_taken"
    off_grid = move(client, booked.manage_token, berlin_at(14) + dt.timedelta(minutes=7))
    assert off_grid.status_code == 400 and off_grid.json()["errors"][0]["field"] == "start"
    booking = Booking.objects.get(pk=booked.booking.pk)
    assert booking.start == berlin_at(10) and booking.moves == 0
    assert Event.objects.get(pk=booking.event_id).sequence == booked.booking.event.sequence
    assert not offered(berlin_at(10))  # still busy: nothing was released


def test_no_changes_later_than_the_owners_limit(client, owner, booked):
    BookingLink.objects.update(changes_until_hours=24 * 5)  # the meeting is 3 days away
    too_late = move(client, booked.manage_token, berlin_at(14))
    assert too_late.status_code == 409 and too_late.json()["code"] == "too_late"
    page = client.get(reverse("booking:manage", args=[booked.manage_token])).content.decode()
    assert "Changes are possible until 120 hours before" in page
    assert reverse("booking:reschedule", args=[booked.manage_token]) not in page
    client.post(reverse("booking:manage_cancel", args=[booked.manage_token]))
    assert Booking.objects.get().is_confirmed  # nor cancelled

    # The owner asks for another time: the booker may then choose, limit or not.
    asked = call(client, "post", f"/bookings/{booked.booking.pk}/request-new-time", owner_token(owner),
                 {"message": "Sorry, something came up."})  # fmt: skip
    assert asked.status_code == 200 and asked.json()["new_time_requested_at"]
    mail = outbox_to(booked.booking.email)[-1]
    text = mail.get_body(("plain",)).get_content()
    assert "Sorry, something came up." in text
    new_token = text.split("/b/manage/")[1].split("/")[0]
    assert new_token != booked.manage_token
    assert client.get(reverse("booking:manage", args=[booked.manage_token])).status_code == 404
    assert move(client, new_token, berlin_at(14)).status_code == 200
    booking = Booking.objects.get()
    assert booking.start == berlin_at(14) and booking.new_time_requested_at is None


def owner_token(owner) -> str:
    from accounts.services import create_api_token

    return create_api_token(owner, "t")[1]


def test_an_ended_meeting_cannot_be_moved_and_strangers_cannot_ask(client, booked, stranger):
    call(client, "post", f"/bookings/{booked.booking.pk}/request-new-time", owner_token(stranger))
    assert Booking.objects.get().new_time_requested_at is None
    client.post(reverse("booking:manage_cancel", args=[booked.manage_token]))
    ended = move(client, booked.manage_token, berlin_at(14))
    assert ended.status_code == 409 and ended.json()["code"] == "booking_ended"
    assert move(client, "x" * 43, berlin_at(14)).status_code == 404


def test_the_booker_moves_it_on_the_pages(client, booked):
    manage = client.get(reverse("booking:manage", args=[booked.manage_token])).content.decode()
    url = reverse("booking:reschedule", args=[booked.manage_token])
    assert url in manage
    day = berlin_at(14)
    page = client.get(f"{url}?tz=Europe/Berlin&month={day:%Y-%m}&day={day:%Y-%m-%d}")
    html = page.content.decode()
    assert page.status_code == 200 and "Move the meeting to this time" in html
    assert 'name="email"' not in html  # only a time to choose
    moved = client.post(url, {"start": day.astimezone(dt.UTC).isoformat(), "tz": "Europe/Berlin"})
    assert moved.status_code == 302 and moved["Location"].endswith("?moved=1")
    assert Booking.objects.get().start == day
    assert "Your meeting is moved" in client.get(moved["Location"]).content.decode()


def test_a_meeting_moves_within_its_day_at_the_daily_limit(client, owner, link_token):
    """One booking a day allowed: it may still move to another time that day (it does not
    count against itself), but not to a day that is full."""
    configure_link(owner, {"daily_limit": 1})
    made = book(link_token, visitor(berlin_at(10)))
    full = book(link_token, visitor(berlin_at(10, days_ahead=4), email="jan@example.org"))
    assert full.status_code == 201
    assert move(client, made.manage_token, berlin_at(15)).status_code == 200
    refused = move(client, made.manage_token, berlin_at(15, days_ahead=4))
    assert refused.status_code == 409
    assert Booking.objects.get(pk=made.booking.pk).start == berlin_at(15)
