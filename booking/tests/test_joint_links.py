"""Joint links ("all of us") and round robin ("any of us")."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from accounts.models import User
from booking.links import configure_link, create_meeting_type
from booking.models import Booking, BookingSeat, LinkMember
from booking.selectors import slots_for_link
from booking.services import book, cancel_by_booker
from events.models import Attendee, Event
from events.services import event_create

from .conftest import WIDE_HOURS, berlin_at, visitor

pytestmark = pytest.mark.django_db

EVERY_DAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def colleague(acme, name: str, hours=None, zone="Europe/Berlin") -> User:
    return User.objects.create_user(
        f"{name.lower()}@acme.test", "pw-123456789", account=acme, full_name=name, timezone=zone,
        working_hours=hours or {d: [["08:00", "20:00"]] for d in EVERY_DAY},
    )  # fmt: skip


def offered_starts(link, day_start: dt.datetime) -> set[dt.datetime]:
    return {s.start for s in slots_for_link(link, day_start, day_start + dt.timedelta(days=1))}


def busy(user: User, start: dt.datetime, hours: int = 1) -> Event:
    return event_create(user, title="Busy", start=start, end=start + dt.timedelta(hours=hours))


def test_a_joint_link_offers_the_times_all_are_free_and_books_all_of_them(owner, acme):
    bob, cleo = (
        colleague(acme, "Bob"),
        colleague(acme, "Cleo", {d: [["12:00", "18:00"]] for d in EVERY_DAY}),
    )
    link, token = create_meeting_type(owner, {
        "name": "Team intro", "kind": "all", "member_ids": [bob.pk, cleo.pk], "hours": WIDE_HOURS,
        "min_notice_minutes": 0,
    })  # fmt: skip
    busy(bob, berlin_at(14))
    midnight = berlin_at(0)
    starts = offered_starts(link, midnight)
    # Cleo works 12-18, Bob is busy at 14: the joint times are 12, 13, 15, 16, 17.
    assert sorted(s.astimezone(midnight.tzinfo).hour for s in starts) == [12, 13, 15, 16, 17]

    made = book(token, visitor(berlin_at(15)))
    assert made.status_code == 201
    event = made.booking.event
    assert event.organizer == owner
    assert set(Attendee.objects.filter(event=event, user__isnull=False).values_list("user_id", flat=True)) == {
        owner.pk, bob.pk, cleo.pk
    }  # fmt: skip
    assert set(BookingSeat.objects.filter(booking=made.booking).values_list("user_id", flat=True)) == {
        owner.pk, bob.pk, cleo.pk
    }  # fmt: skip
    # Every member is now busy at 15:00: not even Bob's own link offers it.
    _bob_link, bob_token = configure_link(
        bob, {"hours": WIDE_HOURS, "min_notice_minutes": 0}, switch_on=True
    )
    assert berlin_at(15) not in offered_starts(_bob_link, midnight)
    assert book(bob_token, visitor(berlin_at(15), email="x@example.org")).status_code == 409
    cancel_by_booker(made.manage_token)
    assert not BookingSeat.objects.filter(active=True).exists()
    assert berlin_at(15) in offered_starts(link, midnight)


def test_round_robin_goes_to_the_free_member_with_the_fewest_bookings(owner, acme):
    bob, cleo = colleague(acme, "Bob"), colleague(acme, "Cleo")
    link, token = create_meeting_type(owner, {
        "name": "Support call", "kind": "any", "member_ids": [bob.pk, cleo.pk], "hours": WIDE_HOURS,
        "min_notice_minutes": 0,
    })  # fmt: skip
    busy(owner, berlin_at(10, days_ahead=4), hours=10)  # the owner is away that day
    got = []
    for n, hour in enumerate((10, 11, 12, 13)):
        made = book(token, visitor(berlin_at(hour, days_ahead=4), email=f"b{n}@example.org"))
        assert made.status_code == 201
        got.append(made.booking.owner.full_name)
    # Bob and Cleo alternate: fewest bookings first, then the one booked longest ago.
    assert got == ["Bob", "Cleo", "Bob", "Cleo"]
    assert Event.objects.get(booking__owner=bob, start=berlin_at(10, days_ahead=4)).organizer == bob
    # Both of them busy at 15:00: only the owner is free, so the owner gets it.
    busy(bob, berlin_at(15, days_ahead=3))
    busy(cleo, berlin_at(15, days_ahead=3))
    made = book(token, visitor(berlin_at(15, days_ahead=3), email="late@example.org"))
    assert made.booking.owner == owner
    # Everyone busy: not offered, and booking it is refused.
    busy(owner, berlin_at(16, days_ahead=3))
    busy(bob, berlin_at(16, days_ahead=3))
    busy(cleo, berlin_at(16, days_ahead=3))
    assert berlin_at(16, days_ahead=3) not in offered_starts(link, berlin_at(0, days_ahead=3))
    refused = book(token, visitor(berlin_at(16, days_ahead=3), email="no@example.org"))
    assert refused.status_code == 409


def test_only_colleagues_who_allow_it_and_only_of_the_same_account(owner, acme, stranger):
    bob = colleague(acme, "Bob")
    shy = colleague(acme, "Shy")
    shy.joint_links_ok = False
    shy.save()
    for members, reason in (([shy.pk], "chose not to"), ([stranger.pk], "Unknown colleague"),
                            ([], "at least one colleague"), (["x"], "list of ids")):  # fmt: skip
        with pytest.raises(ValidationError) as refused:
            create_meeting_type(owner, {"name": "Team", "kind": "all", "member_ids": members})
        assert reason in refused.value.message_dict["member_ids"][0]
    link, _token = create_meeting_type(
        owner, {"name": "Team", "kind": "all", "member_ids": [bob.pk]}
    )
    # Bob no longer agrees: he leaves the link (and it says who is left).
    bob.joint_links_ok = False
    bob.save()
    assert not LinkMember.objects.filter(link=link).exists()


def test_the_api_sets_kind_and_members(client, owner, owner_token, acme):
    import json

    bob = colleague(acme, "Bob")
    made = client.post(
        "/api/v1/booking-links",
        data=json.dumps({"name": "Team", "kind": "all", "member_ids": [bob.pk]}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {owner_token}",
    )
    assert made.status_code == 201, made.content
    assert made.json()["kind"] == "all" and made.json()["members"] == [
        {"id": bob.pk, "name": "Bob"}
    ]
    bad = client.patch(
        f"/api/v1/booking-links/{made.json()['id']}",
        data=json.dumps({"kind": "some"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {owner_token}",
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "kind"
    assert Booking.objects.count() == 0
