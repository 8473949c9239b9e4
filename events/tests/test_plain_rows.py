"""Instants read as epoch microseconds by the database (``RawInstant``), exactly."""

from __future__ import annotations

import datetime as dt

import pytest

from events.models import Attendee, Event, micros
from events.plain_rows import RawInstant, plain_rows

UTC = dt.UTC


@pytest.mark.parametrize(
    "start",
    [
        dt.datetime(2026, 6, 1, 8, 0, tzinfo=UTC),
        dt.datetime(2026, 6, 1, 8, 0, 0, 123456, tzinfo=UTC),
        dt.datetime(2026, 6, 1, 8, 0, 0, 7, tzinfo=UTC),
        dt.datetime(1970, 1, 1, tzinfo=UTC),
        dt.datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),
        dt.datetime(2199, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ],
)
def test_raw_instants_are_exact_microseconds(owner, start):
    event = Event.objects.create(
        account=owner.account,
        organizer=owner,
        title="Exact",
        start=start,
        end=start + dt.timedelta(hours=1),
        timezone="UTC",
    )
    Attendee.objects.create(event=event, user=owner)
    query = (
        Attendee.objects.filter(event=event)
        .annotate(s=RawInstant("event_start"), until=RawInstant("event_stored_until"))
        .values_list("s", "until")
    )

    assert plain_rows(query) == [(micros(start), None)]
