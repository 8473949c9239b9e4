"""Cached busy time is found only while it is true: every write to what busy time is read
from changes the person's token, through the database's triggers, whatever path wrote."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.answers import attendee_respond
from events.models import Attendee, BusyVersion, SeriesOccurrence
from events.occurrences import busy_intervals
from events.services import event_create, event_update

pytestmark = pytest.mark.django_db
UTC = dt.UTC
START = dt.datetime(2031, 6, 2, tzinfo=UTC)
WEEK = (START, START + dt.timedelta(days=7))


def at(hour: int, day: int = 0) -> dt.datetime:
    return START + dt.timedelta(days=day, hours=hour)


def read(user) -> list[tuple[dt.datetime, dt.datetime]]:
    return [(iv.start, iv.end) for iv in busy_intervals([user], *WEEK)[user.pk]]


def token(user) -> str | None:
    return BusyVersion.objects.filter(user_id=user.pk).values_list("token", flat=True).first()


def test_a_second_read_is_one_query_and_a_write_is_seen_at_once(owner, colleague):
    meeting = event_create(owner, title="M", start=at(9), end=at(10), attendee_ids=[colleague.pk])
    assert read(owner) == [(at(9), at(10))]
    with CaptureQueriesContext(connection) as again:
        assert read(owner) == [(at(9), at(10))]
    assert len(again.captured_queries) == 1  # the token, nothing else
    event_update(meeting, owner, start=at(11), end=at(12))
    assert read(owner) == [(at(11), at(12))]
    assert read(colleague) == [(at(11), at(12))]
    attendee_respond(meeting, colleague, "declined")
    assert read(colleague) == []
    assert read(owner) == [(at(11), at(12))]


def test_bulk_writes_change_the_token_too(owner, colleague):
    meeting = event_create(owner, title="M", start=at(9), end=at(10))
    read(owner)
    before, other = token(owner), token(colleague)
    # A queryset update, as the copies of an event's window are written.
    Attendee.objects.filter(event=meeting).update(event_busy=False)
    assert token(owner) != before and token(colleague) == other
    assert read(owner) == []
    Attendee.objects.filter(event=meeting).update(event_busy=True)
    assert read(owner) == [(at(9), at(10))]


def test_stored_occurrences_change_their_attendees_tokens(owner, colleague):
    series = event_create(owner, title="S", start=at(9), end=at(10), recurrence="FREQ=DAILY;COUNT=3",
                          attendee_ids=[colleague.pk])  # fmt: skip
    read(colleague)
    before = token(colleague)
    stored = SeriesOccurrence.objects.bulk_create([SeriesOccurrence(series=series, start=0, end=1)])
    assert token(colleague) != before
    before = token(colleague)
    SeriesOccurrence.objects.filter(pk=stored[0].pk).delete()
    assert token(colleague) != before


def test_someone_elses_write_leaves_a_cached_read_alone(owner, colleague):
    event_create(owner, title="M", start=at(9), end=at(10))
    read(owner)
    mine = token(owner)
    event_create(colleague, title="Theirs", start=at(9), end=at(10))
    assert token(owner) == mine


def test_a_person_with_meetings_can_be_deleted(owner, colleague):
    event_create(owner, title="M", start=at(9), end=at(10), attendee_ids=[colleague.pk])
    colleague.delete()
    assert read(owner) == [(at(9), at(10))]
