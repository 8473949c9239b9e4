"""Exactly one wins: real concurrent requests against PostgreSQL.

Each thread has its own database connection (Django's connections are per thread), and
all of them are released together by a barrier, so the requests really overlap inside
the database. SQLite's test database lives in memory and cannot be shared between
threads; there every write transaction is serialised (BEGIN IMMEDIATE) anyway.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pytest
from django.db import IntegrityError, connections, transaction
from django.test import Client

from booking.models import Booking
from booking.services import book, configure_link
from events.answers import attendee_respond
from events.models import Event
from events.services import event_create
from mail.models import OutboxMessage
from testsupport.concurrency import race

from .conftest import WIDE_HOURS, api_body, berlin_at, visitor

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def token(owner) -> str:
    return configure_link(owner, {"hours": WIDE_HOURS, "min_notice_minutes": 0}, switch_on=True)[1]


def race_bookings(bodies: list[dict], token: str) -> list[int]:
    """POST every body at once, each from its own thread and connection; the status codes."""

    def post(body: dict) -> int:
        return (
            Client()
            .post(
                f"/api/v1/public/booking/{token}/bookings",
                data=json.dumps(body),
                content_type="application/json",
            )
            .status_code
        )

    return race([lambda body=body: post(body) for body in bodies])


def test_fifty_concurrent_bookings_of_one_slot_exactly_one_wins(token):
    start = berlin_at(10)
    bodies = [api_body(start, email=f"visitor{i}@example.org") for i in range(50)]
    statuses = race_bookings(bodies, token)
    assert sorted(statuses) == [201] + [409] * 49
    (booking,) = Booking.objects.all()
    assert Event.objects.count() == 1 and booking.start == start
    # Only the winner's mail exists: one REQUEST to them, one notice to the owner.
    recipients = sorted(r for m in OutboxMessage.objects.all() for r in m.recipients)
    assert recipients == sorted([booking.email, "alice@acme.test"])


def test_overlapping_slots_one_wins(owner, token):
    """With 30 minutes' buffer, 10:00-11:00 and 11:00-12:00 overlap once buffered."""
    configure_link(owner, {"buffer_after_minutes": 30, "buffer_before_minutes": 30})
    ten, eleven = berlin_at(10), berlin_at(11)
    bodies = [api_body(ten if i % 2 else eleven, email=f"v{i}@example.org") for i in range(20)]
    statuses = race_bookings(bodies, token)
    assert sorted(statuses) == [201] + [409] * 19
    assert Booking.objects.count() == 1


def test_back_to_back_slots_both_succeed(token):
    ten, eleven = berlin_at(10), berlin_at(11)
    bodies = [api_body(ten if i % 2 else eleven, email=f"v{i}@example.org") for i in range(20)]
    statuses = race_bookings(bodies, token)
    assert sorted(statuses) == [201, 201] + [409] * 18
    assert sorted(b.start for b in Booking.objects.all()) == [ten, eleven]


def test_booking_racing_an_internal_event_cannot_double_book(owner, token):
    """The employee creates an event for 10:00 while a visitor books 10:00.

    The event's transaction is still open (not yet committed) when the booking starts:
    the booking must wait for it and then see the time as taken, not book over it.
    """
    start = berlin_at(10)
    created = threading.Event()
    outcome: dict = {}

    def employee() -> None:
        try:
            with transaction.atomic():
                event_create(
                    owner, title="Internal", start=start, end=start + dt.timedelta(hours=1)
                )
                created.set()
                time.sleep(1.0)  # the visitor's request arrives now
        finally:
            connections.close_all()

    def visitor_thread() -> None:
        try:
            created.wait(timeout=30)
            t0 = time.monotonic()
            outcome["result"] = book(token, visitor(start))
            outcome["waited"] = time.monotonic() - t0
        finally:
            connections.close_all()

    threads = [threading.Thread(target=employee), threading.Thread(target=visitor_thread)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcome["result"].status_code == 409
    assert outcome["waited"] > 0.5  # it waited for the employee's lock
    assert Booking.objects.count() == 0 and Event.objects.count() == 1


def test_internal_event_created_after_a_booking_commits_sees_it(owner, token):
    """The other order: the booking holds the lock; the event is written after it."""
    start = berlin_at(10)
    outcome = book(token, visitor(start))
    assert outcome.status_code == 201
    # Creating an overlapping event yourself is allowed (your own calendar), but a
    # second booking never lands there.
    event_create(owner, title="Own choice", start=start, end=start + dt.timedelta(hours=1))
    assert book(token, visitor(start, email="x@example.org")).status_code == 409


def test_the_database_refuses_overlapping_confirmed_bookings(owner, colleague, token):
    first = book(token, visitor(berlin_at(10))).booking

    def clone(start, end, owner_=owner, status="confirmed"):
        event = event_create(owner_, title="copy", start=start, end=end)
        return Booking(
            link=first.link,
            owner=owner_,
            event=event,
            start=start,
            end=end,
            name="n",
            email="n@example.org",
            timezone="UTC",
            status=status,
            manage_digest=f"{start.timestamp()}-{owner_.pk}-{status}",
        )

    with pytest.raises(IntegrityError), transaction.atomic():
        clone(berlin_at(10, 30), berlin_at(11, 30)).save()
    # Half-open ranges: back to back is fine; so is another owner, or a declined one.
    clone(berlin_at(11), berlin_at(12)).save()
    clone(berlin_at(10), berlin_at(11), owner_=colleague).save()
    clone(berlin_at(10, 15), berlin_at(10, 45), status="declined").save()


def test_the_constraint_answers_409_when_the_check_is_fooled(owner, token):
    """Decline your own booked meeting's attendance: the time looks free, yet it is booked."""
    first = book(token, visitor(berlin_at(10))).booking
    attendee_respond(first.event, owner, "declined")
    outcome = book(token, visitor(berlin_at(10), email="second@example.org"))
    assert outcome.status_code == 409 and outcome.body["code"] == "slot_taken"
    assert Booking.objects.count() == 1


def test_a_reschedule_racing_a_new_booking_for_the_same_time_one_wins(token):
    """Five rounds: each time a booked meeting moves to a time a new booker takes at the
    same moment; exactly one of them gets it, and the loser changed nothing."""
    for round_ in range(5):
        old = berlin_at(8 + round_ * 2)
        made = book(token, visitor(old, email=f"mover{round_}@example.org"))
        assert made.status_code == 201
        target = old + dt.timedelta(hours=1)

        def move(manage=made.manage_token, target=target) -> int:
            return (
                Client()
                .post(
                    f"/api/v1/public/booking/manage/{manage}/reschedule",
                    data=json.dumps({"start": target.isoformat()}),
                    content_type="application/json",
                )
                .status_code
            )

        def take(target=target, n=round_) -> int:
            return (
                Client()
                .post(
                    f"/api/v1/public/booking/{token}/bookings",
                    data=json.dumps(api_body(target, email=f"taker{n}@example.org")),
                    content_type="application/json",
                )
                .status_code
            )

        statuses = race([move, take])
        assert sorted(statuses) in ([200, 409], [201, 409]), statuses
        at_target = Booking.objects.filter(start=target, status=Booking.Status.CONFIRMED)
        assert at_target.count() == 1
        mover = Booking.objects.get(pk=made.booking.pk)
        assert mover.start == (target if statuses[0] == 200 else old)


def test_fifty_concurrent_bookings_of_one_joint_time_exactly_one(owner, acme):
    from accounts.models import User
    from booking.links import create_meeting_type
    from booking.models import BookingSeat

    week = {d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    members = [
        User.objects.create_user(f"m{n}@acme.test", "pw-123456789", account=acme,
                                 full_name=f"M{n}", timezone="Europe/Berlin", working_hours=week)
        for n in range(2)
    ]  # fmt: skip
    _link, joint = create_meeting_type(owner, {"name": "Team", "kind": "all", "hours": WIDE_HOURS,
                                               "min_notice_minutes": 0,
                                               "member_ids": [m.pk for m in members]})  # fmt: skip
    # One member's own link races for the same hour too.
    _own, own = configure_link(
        members[0], {"hours": WIDE_HOURS, "min_notice_minutes": 0}, switch_on=True
    )
    start = berlin_at(10)
    bodies = [(joint, api_body(start, email=f"v{i}@example.org")) for i in range(49)]
    bodies.append((own, api_body(start, email="own@example.org")))

    def post(token: str, body: dict) -> int:
        return (
            Client()
            .post(f"/api/v1/public/booking/{token}/bookings", data=json.dumps(body),
                  content_type="application/json")
            .status_code
        )  # fmt: skip

    statuses = race([lambda t=t, b=b: post(t, b) for t, b in bodies])
    assert sorted(statuses) == [201] + [409] * 49
    assert Booking.objects.count() == 1
    seats = BookingSeat.objects.filter(active=True, start=start)
    assert seats.values("user").distinct().count() == seats.count()


def test_postgres_refuses_overlapping_seats_of_one_person(owner, token):
    """The database's own guarantee, whatever the code above it does."""
    from booking.models import BookingSeat

    first = book(token, visitor(berlin_at(10))).booking
    second = book(token, visitor(berlin_at(12), email="b@example.org")).booking
    with pytest.raises(IntegrityError, match="booking_seat_no_overlap"), transaction.atomic():
        BookingSeat.objects.filter(booking=second).update(
            start=first.start + dt.timedelta(minutes=30), end=first.end + dt.timedelta(minutes=30)
        )
