"""Booking services: the meeting, its mail, conflicts, idempotency, declining, cancelling."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from booking import selectors
from booking.models import Booking, BookingLink, IdempotencyRecord
from booking.services import (
    IdempotencyKeyReused,
    book,
    cancel_by_booker,
    clean_link_settings,
    configure_link,
    decline_booking,
    switch_off,
)
from events.answers import attendee_respond
from events.cancelling import event_cancel
from events.exceptions import Conflict
from events.models import Attendee, Event
from events.services import event_create, event_update
from mail.ical import parse_calendar
from mail.models import OutboxMessage
from notifications.models import Notification

from .conftest import berlin_at, calendar_part, outbox_to, visitor

pytestmark = pytest.mark.django_db


def counts():
    return (
        Event.objects.count(),
        Booking.objects.count(),
        OutboxMessage.objects.count(),
        Notification.objects.count(),
    )


def test_booking_creates_the_meeting_the_mails_and_a_notification(owner, link_token, slot_start):
    outcome = book(link_token, visitor(slot_start), language="en")
    assert outcome.status_code == 201, outcome.body
    booking = outcome.booking
    event = booking.event
    assert event.title == "Meeting with Maria Rossi"
    assert event.organizer == owner and event.timezone == "Europe/Berlin"
    assert event.description == "About the offer"
    assert event.start == slot_start and event.end == slot_start + dt.timedelta(hours=1)
    assert event.video_url.startswith("https://meet.jit.si/Rendezvous-")
    assert len(event.video_url.rsplit("-", 1)[1]) == 24  # 96 random bits
    assert (booking.name, booking.email, booking.phone) == (
        "Maria Rossi",
        "maria@example.org",
        "+39 06 1234567",
    )
    assert booking.manage_digest and outcome.manage_token not in booking.manage_digest
    assert selectors.booking_for_manage_token(outcome.manage_token) == booking
    assert Attendee.objects.get(event=event, user=owner).status == "accepted"

    # The booker: an iMIP REQUEST with the meeting, the add links and the manage link.
    (mail,) = outbox_to("maria@example.org")
    part = calendar_part(mail)
    assert part is not None and part.get_param("method") == "REQUEST"
    cal = parse_calendar(part.get_content().encode())
    vevent = next(c for c in cal.walk() if c.name == "VEVENT")
    assert str(vevent["UID"]) == event.uid and int(vevent["SEQUENCE"]) == 0
    assert str(vevent["SUMMARY"]) == "Meeting with Alice Owner"
    assert "maria@example.org" in str(vevent["ATTENDEE"]).lower()
    assert str(vevent["ORGANIZER"]).lower() == "mailto:alice@acme.test"
    assert vevent.decoded("DTSTART") == slot_start
    text = mail.get_body(("plain",)).get_content()
    assert f"/b/manage/{outcome.manage_token}/" in text
    assert "calendar.google.com" in text and "outlook.live.com" in text
    assert any(p.get_filename() == "invite.ics" for p in mail.walk())
    assert mail["Reply-To"] == "alice@acme.test"

    # The owner: an e-mail and an in-app notification.
    (owner_mail,) = outbox_to("alice@acme.test")
    assert owner_mail["Subject"].strip().startswith("New booking: Meeting with Maria Rossi")
    body = owner_mail.get_body(("plain",)).get_content()
    assert "maria@example.org" in body and "+39 06 1234567" in body
    assert outcome.manage_token not in body  # the booker's capability stays the booker's
    note = Notification.objects.get(user=owner)
    assert "Maria Rossi" in note.text and note.url == f"/booking/bookings/{booking.pk}/"

    # The API answer holds no secret.
    assert outcome.manage_token not in str(outcome.body)
    assert outcome.body["manage_link_sent_to"] == "maria@example.org"


def test_title_is_in_the_owners_language(owner, link_token, slot_start):
    owner.language = "de"
    owner.save()
    outcome = book(link_token, visitor(slot_start), language="en")
    assert outcome.booking.event.title == "Besprechung mit Maria Rossi"
    (owner_mail,) = outbox_to("alice@acme.test")
    assert owner_mail["Subject"].strip().startswith("Neue Buchung: Besprechung mit Maria Rossi")
    # The booker reads their own language.
    (mail,) = outbox_to("maria@example.org")
    assert mail["Subject"].strip().startswith("Confirmed: Meeting with Alice Owner")


def test_the_same_slot_twice_is_a_conflict_that_writes_nothing(link_token, slot_start):
    assert book(link_token, visitor(slot_start)).status_code == 201
    before = counts()
    outcome = book(link_token, visitor(slot_start, email="other@example.org"))
    assert outcome.status_code == 409
    assert outcome.body["code"] == "slot_taken"
    assert outcome.body["detail"] == "This time was just taken. Please choose another."
    assert outcome.body["errors"] == [{"field": "start", "message": outcome.body["detail"]}]
    assert counts() == before


def test_back_to_back_slots_both_succeed(link_token, slot_start):
    assert book(link_token, visitor(slot_start)).status_code == 201
    assert book(link_token, visitor(slot_start + dt.timedelta(hours=1))).status_code == 201
    assert book(link_token, visitor(slot_start - dt.timedelta(hours=1))).status_code == 201


def test_buffers_make_neighbouring_slots_conflict(owner, link_token, slot_start):
    configure_link(owner, {"buffer_after_minutes": 30})
    assert book(link_token, visitor(slot_start)).status_code == 201
    # 11:00 would start right after 10:00-11:00 ends; the 30 minutes after it are kept free
    # (for the new one the buffer is "after", for the earlier one it is the other side).
    assert book(link_token, visitor(slot_start - dt.timedelta(hours=1))).status_code == 409
    assert book(link_token, visitor(slot_start + dt.timedelta(hours=2))).status_code == 201


def test_busy_time_of_events_blocks_and_frees(owner, colleague, link_token, slot_start):
    hour = dt.timedelta(hours=1)
    own = event_create(owner, title="Dentist", start=slot_start, end=slot_start + hour)
    assert book(link_token, visitor(slot_start)).status_code == 409
    event_cancel(own, owner)
    # Shown as free: does not block.
    event_create(owner, title="Focus", start=slot_start, end=slot_start + hour, transparency="free")
    # A colleague's meeting the owner attends blocks; declining it frees the time.
    theirs = event_create(
        colleague, title="Sync", start=slot_start, end=slot_start + hour, attendee_ids=[owner.pk]
    )
    assert book(link_token, visitor(slot_start)).status_code == 409
    attendee_respond(theirs, owner, "declined")
    assert book(link_token, visitor(slot_start)).status_code == 201


def test_times_the_link_never_offers_are_refused_by_field(owner, link_token, slot_start):
    before = counts()
    for start in (
        slot_start + dt.timedelta(minutes=10),  # off the grid
        berlin_at(21),  # outside the hours
        berlin_at(10, days_ahead=-1),  # in the past
        berlin_at(10, days_ahead=70),  # beyond the 60-day horizon
    ):
        outcome = book(link_token, visitor(start))
        assert outcome.status_code == 400, start
        assert outcome.body["errors"][0]["field"] == "start"
    assert counts() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "Eve\r\nBcc: victim@example.org"}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"email": "not-an-address"}, "email"),
        ({"email": "a@b.example\r\nBcc: x@y.example"}, "email"),
        ({"email": "Eve <eve@example.org>"}, "email"),
        ({"phone": "call me maybe"}, "phone"),
        ({"comment": "x" * 2001}, "comment"),
        ({"comment": "nul\x00byte"}, "comment"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"start": dt.datetime(2030, 1, 1, 10)}, "start"),
        ({"start": "tomorrow"}, "start"),
    ],
)
def test_bad_fields_are_named_and_nothing_is_written(link_token, slot_start, overrides, field):
    before = counts()
    outcome = book(link_token, visitor(**{"start": slot_start, **overrides}))
    assert outcome.status_code == 400
    assert field in {e["field"] for e in outcome.body["errors"]}
    assert counts() == before


def test_daily_limit_holds_at_booking_time(owner, link_token, slot_start):
    configure_link(owner, {"daily_limit": 2})
    assert book(link_token, visitor(slot_start)).status_code == 201
    assert book(link_token, visitor(slot_start + dt.timedelta(hours=2))).status_code == 201
    assert book(link_token, visitor(slot_start + dt.timedelta(hours=4))).status_code == 409
    assert book(link_token, visitor(slot_start + dt.timedelta(days=1))).status_code == 201


def test_idempotency_key_replays_the_first_answer(link_token, slot_start):
    first = book(link_token, visitor(slot_start), idempotency_key="abc-123")
    assert first.status_code == 201 and not first.replayed
    before = counts()
    again = book(link_token, visitor(slot_start), idempotency_key="abc-123")
    assert again.replayed and again.status_code == 201 and again.body == first.body
    assert again.booking == first.booking and again.manage_token is None
    assert counts() == before  # nothing booked, nothing mailed twice
    with pytest.raises(IdempotencyKeyReused):
        book(link_token, visitor(slot_start, name="Someone Else"), idempotency_key="abc-123")
    # A conflict is a first answer too: its retry is the same conflict.
    taken = book(link_token, visitor(slot_start), idempotency_key="second")
    assert taken.status_code == 409
    assert book(link_token, visitor(slot_start), idempotency_key="second").body == taken.body
    assert IdempotencyRecord.objects.count() == 2


def test_idempotency_keys_are_per_link(owner, colleague, link_token, slot_start):
    _link, other_token = configure_link(
        colleague, {"hours": {"mon": [["00:00", "24:00"]]}}, switch_on=True
    )
    assert book(link_token, visitor(slot_start), idempotency_key="k").status_code == 201
    # The same key on another link is a different request, not a replay of this one.
    outcome = book(other_token, visitor(slot_start), idempotency_key="k")
    assert not outcome.replayed


def test_decline_cancels_frees_and_tells_the_booker(owner, link_token, slot_start):
    outcome = book(link_token, visitor(slot_start))
    booking = decline_booking(owner, outcome.booking)
    assert booking.status == "declined"
    event = Event.objects.get(pk=booking.event_id)
    assert event.status == "cancelled" and event.sequence == 1
    free = selectors.slots_for_link(
        BookingLink.objects.get(owner=owner), slot_start, slot_start + dt.timedelta(minutes=1)
    )
    assert [s.start for s in free] == [slot_start]
    cancel_mail = outbox_to("maria@example.org")[-1]
    part = calendar_part(cancel_mail)
    assert part.get_param("method") == "CANCEL"
    vevent = next(c for c in parse_calendar(part.get_content().encode()).walk("VEVENT"))
    assert str(vevent["UID"]) == event.uid and int(vevent["SEQUENCE"]) == 1
    assert str(vevent["STATUS"]) == "CANCELLED"
    # Declining again tells nobody twice; the time can be booked again.
    mails = OutboxMessage.objects.count()
    decline_booking(owner, booking)
    assert OutboxMessage.objects.count() == mails
    assert book(link_token, visitor(slot_start)).status_code == 201


def test_only_the_owner_declines(owner, colleague, link_token, slot_start):
    outcome = book(link_token, visitor(slot_start))
    with pytest.raises(Http404):
        decline_booking(colleague, outcome.booking)
    with pytest.raises(Http404):
        selectors.get_booking_for_owner(colleague, outcome.booking.pk)


def test_booker_cancels_and_the_owner_is_told(owner, link_token, slot_start):
    outcome = book(link_token, visitor(slot_start))
    booking = cancel_by_booker(outcome.manage_token)
    assert booking.status == "cancelled"
    assert Event.objects.get(pk=booking.event_id).status == "cancelled"
    owner_mail = outbox_to("alice@acme.test")[-1]
    assert owner_mail["Subject"].strip().startswith("Booking cancelled: Meeting with Maria Rossi")
    assert Notification.objects.filter(user=owner, text__contains="cancelled").exists()
    assert calendar_part(outbox_to("maria@example.org")[-1]).get_param("method") == "CANCEL"
    with pytest.raises(Conflict):
        decline_booking(owner, booking)
    with pytest.raises(Http404):
        cancel_by_booker("x" * 43)


def test_a_booked_meeting_cannot_be_edited_or_cancelled_directly(owner, link_token, slot_start):
    event = book(link_token, visitor(slot_start)).booking.event
    for changes in ({"title": "Renamed"}, {"start": slot_start + dt.timedelta(hours=3)}):
        with pytest.raises(Conflict) as caught:
            event_update(event, owner, **changes)
        assert caught.value.code == "booked_meeting"
    with pytest.raises(Conflict):
        event_cancel(event, owner)
    event.refresh_from_db()
    assert event.title == "Meeting with Maria Rossi" and event.status == "confirmed"


def test_switching_off_and_on_kills_every_old_link(owner, link_token):
    assert selectors.link_for_token(link_token).owner == owner
    link, fresh = configure_link(owner, new_link=True)
    with pytest.raises(Http404):
        selectors.link_for_token(link_token)
    assert selectors.link_for_token(fresh) == link
    switch_off(owner)
    with pytest.raises(Http404):
        selectors.link_for_token(fresh)
    link, newest = configure_link(owner, switch_on=True)
    assert newest not in (link_token, fresh)
    for old in (link_token, fresh):
        with pytest.raises(Http404):
            selectors.link_for_token(old)
    # Switching on when on mints nothing; settings survive off/on.
    assert configure_link(owner, switch_on=True)[1] is None
    assert link.min_notice_minutes == 0 and link.hours["mon"] == [["08:00", "20:00"]]


def test_a_booking_through_a_dead_link_is_404(owner, link_token, slot_start):
    switch_off(owner)
    with pytest.raises(Http404):
        book(link_token, visitor(slot_start))
    assert Booking.objects.count() == 0


def test_defaults_follow_the_employee(owner):
    link, _token = configure_link(owner, switch_on=True)
    assert (link.duration_minutes, link.min_notice_minutes, link.horizon_days) == (60, 120, 60)
    assert link.hours is None and link.effective_hours == owner.working_hours
    assert link.hours_timezone == "Europe/Berlin" and link.daily_limit is None
    assert link.buffer_before_minutes == link.buffer_after_minutes == 0
    owner.timezone = "Asia/Tokyo"
    owner.save()
    assert (
        BookingLink.objects.select_related("owner").get(pk=link.pk).hours_timezone == "Asia/Tokyo"
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"duration_minutes": 50}, "duration_minutes"),
        ({"duration_minutes": True}, "duration_minutes"),
        ({"hours": {"mon": [["09:00", "25:00"]]}}, "hours"),
        ({"hours": ["09:00"]}, "hours"),
        ({"timezone": "Europe/Atlantis"}, "timezone"),
        ({"buffer_before_minutes": -5}, "buffer_before_minutes"),
        ({"buffer_after_minutes": 10_000}, "buffer_after_minutes"),
        ({"min_notice_minutes": "soon"}, "min_notice_minutes"),
        ({"horizon_days": 0}, "horizon_days"),
        ({"daily_limit": 0}, "daily_limit"),
        ({"token_digest": "0" * 64}, "token_digest"),
        ({"owner": 5}, "owner"),
    ],
)
def test_bad_settings_are_named_and_change_nothing(owner, link_token, changes, field):
    before = BookingLink.objects.get(owner=owner)
    with pytest.raises(ValidationError) as caught:
        configure_link(owner, changes)
    assert field in caught.value.message_dict
    after = BookingLink.objects.get(owner=owner)
    assert [getattr(after, f.name) for f in BookingLink._meta.fields if f.name != "updated_at"] == [
        getattr(before, f.name) for f in BookingLink._meta.fields if f.name != "updated_at"
    ]


def test_clean_link_settings_accepts_the_documented_forms():
    cleaned = clean_link_settings(
        {
            "duration_minutes": "30",
            "hours": {"mon": [["09:00", "17:00"], ["13:00", "18:00"]]},
            "timezone": "",
            "daily_limit": None,
        }
    )
    assert cleaned["duration_minutes"] == 30 and cleaned["timezone"] == ""
    assert cleaned["hours"]["mon"] == [["09:00", "18:00"]] and cleaned["daily_limit"] is None


def test_slots_use_a_fixed_number_of_queries(owner, link_token, django_assert_max_num_queries):
    start = berlin_at(0, days_ahead=1)
    for day in range(30):
        for hour in (9, 13, 17):
            s = start + dt.timedelta(days=day, hours=hour)
            event_create(owner, title="busy", start=s, end=s + dt.timedelta(minutes=45))
    configure_link(owner, {"daily_limit": 5})
    link = selectors.link_for_token(link_token)
    # Busy-time tokens with the outside calendars' state, the busy time, the daily limit.
    with django_assert_max_num_queries(3):
        slots = selectors.slots_for_link(link, start, start + dt.timedelta(days=31))
    busy_days = [s for s in slots if s.start < start + dt.timedelta(days=30)]
    assert busy_days and all(
        s.start.astimezone(start.tzinfo).hour not in (9, 13, 17) for s in busy_days
    )
