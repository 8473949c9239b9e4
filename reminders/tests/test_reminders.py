# ruff: noqa: F811  (pytest fixtures imported from other apps are redefined as arguments)
"""Reminders: due at the right time in the recipient's language and zone, exactly once,
never for a cancelled or moved occurrence, never in the past, per occurrence of a series."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import zoneinfo

import pytest
from django.utils import timezone

from booking.links import configure_link
from booking.rescheduling import reschedule_by_booker
from booking.services import book, cancel_by_booker
from booking.tests.conftest import WIDE_HOURS, berlin_at, visitor
from events.cancelling import event_cancel
from events.services import event_create
from events.tests.conftest import mailbox  # noqa: F401
from mail.models import OutboxMessage
from mail.tests.conftest import run_worker  # noqa: F401
from reminders import services
from reminders.models import SentReminder

pytestmark = pytest.mark.django_db
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
MINUTE = dt.timedelta(minutes=1)


def mails() -> list[tuple[list[str], str, str]]:
    """(recipients, subject, text) of every reminder queued, oldest first."""
    out = []
    for row in OutboxMessage.objects.order_by("pk"):
        message = email.message_from_bytes(row.raw_bytes, policy=email.policy.default)
        if "emind" in row.subject or "romemoria" in row.subject or "rinnerung" in row.subject:
            out.append((row.recipients, row.subject, message.get_body(("plain",)).get_content()))
    return out


@pytest.fixture
def link_token(owner):
    _link, token = configure_link(
        owner, {"hours": WIDE_HOURS, "min_notice_minutes": 0, "reminders": [1440, 60]},
        switch_on=True,
    )  # fmt: skip
    return token


def test_a_booked_meeting_reminds_the_booker_and_the_owner_once_each(owner, link_token):
    owner.wants_reminders = True
    owner.language = "de"
    owner.save()
    start = berlin_at(10)
    booking = book(link_token, visitor(start, timezone="Europe/Rome"), language="it").booking
    assert services.send_due(start - dt.timedelta(days=1) - MINUTE) == 0
    assert services.send_due(start - dt.timedelta(days=1)) == 2
    assert services.send_due(start - dt.timedelta(days=1) + MINUTE) == 0  # exactly once
    assert services.send_due(start - 61 * MINUTE) == 0
    assert services.send_due(start - 59 * MINUTE) == 2
    sent = mails()
    assert [r for r, _s, _t in sent] == [[booking.email], [owner.email]] * 2
    booker_subject, booker_text = sent[2][1], sent[2][2]
    assert booker_subject.startswith("Promemoria") and "(Europe/Rome)" in booker_subject
    assert f"{start.astimezone(zoneinfo.ZoneInfo('Europe/Rome')):%H:%M}" in booker_text
    assert sent[3][1].startswith("Erinnerung") and "(Europe/Berlin)" in sent[3][1]
    assert SentReminder.objects.count() == 4
    assert services.send_due(start + MINUTE) == 0  # begun: nothing more


def test_no_reminder_in_the_past_for_a_meeting_booked_shortly_before(owner, link_token):
    soon = (timezone.now() + dt.timedelta(minutes=45)).replace(second=0, microsecond=0)
    soon = soon - dt.timedelta(minutes=soon.minute % 15) + dt.timedelta(minutes=15)
    configure_link(
        owner, {"hours": {d: [["00:00", "24:00"]] for d in WIDE_HOURS}, "duration_minutes": 15}
    )
    assert book(link_token, visitor(soon)).status_code == 201
    assert (
        services.send_due(timezone.now()) == 0
    )  # its 1-hour reminder was due before it was booked
    assert services.send_due(soon - 5 * MINUTE) == 0


def test_a_moved_meeting_is_reminded_at_its_new_time_and_a_cancelled_one_never(owner, link_token):
    start = berlin_at(10)
    made = book(link_token, visitor(start))
    assert services.send_due(start - dt.timedelta(days=1)) == 1
    reschedule_by_booker(made.manage_token, start + dt.timedelta(hours=4))
    moved = start + dt.timedelta(hours=4)
    assert services.send_due(moved - dt.timedelta(days=1)) == 1  # the new time's day-before
    assert services.send_due(start - 59 * MINUTE) == 0  # nothing at the old time
    assert services.send_due(moved - 59 * MINUTE) == 1
    other = book(link_token, visitor(berlin_at(16, days_ahead=4), email="jan@example.org"))
    cancel_by_booker(other.manage_token)
    assert services.send_due(berlin_at(16, days_ahead=4) - 59 * MINUTE) == 0


def test_each_occurrence_of_a_series_is_reminded_and_a_cancelled_date_is_not(owner, mailbox):
    first = berlin_at(9)
    series = event_create(
        owner, title="Weekly review", start=first, end=first + dt.timedelta(hours=1),
        recurrence="FREQ=WEEKLY;COUNT=4", reminders=[60],
        guests=[{"email": "ada@example.org", "first_name": "Ada", "last_name": "L"}],
    )  # fmt: skip
    week = dt.timedelta(days=7)
    assert services.send_due(first - 59 * MINUTE) == 1
    assert services.send_due(first + week - 59 * MINUTE) == 1
    event_cancel(series, owner, scope="this", occurrence=first + 2 * week)
    assert services.send_due(first + 2 * week - 59 * MINUTE) == 0
    assert services.send_due(first + 3 * week - 59 * MINUTE) == 1
    assert [r for r, _s, _t in mails()] == [["ada@example.org"]] * 3


def test_a_day_before_is_the_same_local_time_across_the_spring_change(owner, mailbox):
    # Sunday 28 March 2027, 10:00 in Berlin: summer time began at 02:00 that night.
    start = dt.datetime(2027, 3, 28, 10, tzinfo=BERLIN)
    event_create(
        owner, title="After the change", start=start, end=start + dt.timedelta(hours=1),
        timezone="Europe/Berlin", reminders=[1440],
        guests=[{"email": "ada@example.org", "first_name": "Ada", "last_name": "L"}],
    )  # fmt: skip
    saturday_ten = dt.datetime(2027, 3, 27, 10, tzinfo=BERLIN)
    assert start.astimezone(dt.UTC) - saturday_ten.astimezone(dt.UTC) == dt.timedelta(hours=23)
    assert services.send_due(saturday_ten - MINUTE) == 0
    assert services.send_due(saturday_ten) == 1


def test_bad_reminders_are_named_and_change_nothing(client, owner, owner_token):
    import json

    answer = client.put("/api/v1/booking-link", data=json.dumps({"reminders": [1440, 5]}),
                        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {owner_token}")  # fmt: skip
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["field"] == "reminders"
    start = berlin_at(9)
    created = client.post("/api/v1/events", data=json.dumps({"title": "x", "start": start.isoformat(),
                          "end": (start + dt.timedelta(hours=1)).isoformat(), "reminders": [60, 120, 1440, 2880]}),
                          content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {owner_token}")  # fmt: skip
    assert created.status_code == 400 and created.json()["errors"][0]["field"] == "reminders"


def test_the_worker_sends_them(transactional_db, owner, link_token, run_worker):
    """A reminder that fell due while no worker ran (the day-before one of a meeting
    booked days ago, two hours from now) goes out with the next round, once."""
    from events.models import Event

    start = (timezone.now() + dt.timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    configure_link(owner, {"hours": {d: [["00:00", "24:00"]] for d in WIDE_HOURS}})
    made = book(link_token, visitor(start))
    Event.objects.filter(pk=made.booking.event_id).update(
        updated_at=timezone.now() - dt.timedelta(days=2)
    )
    # No explicit enqueue: the booking's commit asked for a round (apps.ready's signal).
    run_worker()
    run_worker()
    assert [r for r, _s, _t in mails()] == [[made.booking.email]]
