"""The free plan's quota holds under concurrent requests: real connections to PostgreSQL.

Each thread has its own database connection (Django's connections are per thread); a
barrier releases them together so the transactions really overlap. SQLite's in-memory
test database cannot be shared between threads (and SQLite serialises every write
transaction with BEGIN IMMEDIATE anyway), so these tests run on PostgreSQL only.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from accounts.services import create_api_token
from events.models import Attendee, Event
from events.services import event_create
from mail.models import OutboxMessage
from testsupport.concurrency import race

from .guest_helpers import at, make_mailbox

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def shared_mailbox_and_staff(owner, count: int) -> list:
    """``count`` employees of Acme, all sending through Alice's shared mailbox.

    Different organizers on purpose: an event write also locks its organizer's row (for
    bookings), which would serialise one person's requests; the quota must hold across
    people, through the account lock alone.
    """
    from accounts.models import User

    box = make_mailbox(owner)
    box.shared = True
    box.save()
    return [
        User.objects.create_user(
            f"staff{i}@acme.test", account=owner.account, full_name=f"Staff {i}", timezone="UTC"
        )
        for i in range(count)
    ]


def test_twenty_concurrent_creations_at_nine_of_ten_exactly_one_succeeds(owner):
    staff = shared_mailbox_and_staff(owner, 20)
    for index in range(9):
        event_create(
            owner,
            title=f"Earlier {index}",
            start=at(1, 10),
            end=at(1, 11),
            guests=[{"email": f"g{index}@client.example"}],
        )
    tokens = [create_api_token(user, "race")[1] for user in staff]

    def create(index: int):
        def call() -> tuple[int, dict]:
            response = Client().post(
                "/api/v1/events",
                data=json.dumps(
                    {
                        "title": f"Race {index}",
                        "start": "2026-06-02T10:00:00+02:00",
                        "end": "2026-06-02T11:00:00+02:00",
                        "guests": [{"email": f"race{index}@client.example"}],
                    }
                ),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {tokens[index]}",
            )
            return response.status_code, response.json()

        return call

    results = race([create(i) for i in range(20)])
    statuses = sorted(status for status, _body in results)
    assert statuses == [201] + [403] * 19, statuses
    assert {body.get("code") for status, body in results if status == 403} == {"plan_limit_reached"}
    assert Event.objects.filter(guests_first_invited_at__isnull=False).count() == 10
    assert Event.objects.filter(title__startswith="Race").count() == 1
    assert Attendee.objects.filter(guest__email__startswith="race").count() == 1
    # Only the winner's invitation was queued.
    assert OutboxMessage.objects.filter(recipients__icontains="race").count() == 1


def test_concurrent_updates_adding_guests_also_hold_the_quota(owner):
    staff = shared_mailbox_and_staff(owner, 8)
    for index in range(9):
        event_create(
            owner,
            title=f"Earlier {index}",
            start=at(1, 10),
            end=at(1, 11),
            guests=[{"email": f"g{index}@client.example"}],
        )
    plain = [
        event_create(person, title=f"Plain {i}", start=at(2, 10), end=at(2, 11))
        for i, person in enumerate(staff)
    ]

    def add_guest(event):
        def call() -> str:
            from events.exceptions import PlanLimitReached
            from events.services import event_update

            try:
                event_update(
                    event, event.organizer, guests=[{"email": f"late{event.pk}@client.example"}]
                )
            except PlanLimitReached:
                return "refused"
            return "ok"

        return call

    results = race([add_guest(e) for e in plain])
    assert sorted(results) == ["ok"] + ["refused"] * 7
    assert Event.objects.filter(guests_first_invited_at__isnull=False).count() == 10
