"""Arbitrary text, instants and time zones through the event service: every input either
makes an event or is refused with a ValidationError naming fields, never anything else,
and whatever is stored can be read back (its page, its busy time, its invitations)."""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.text import text_problem
from events.models import Event
from events.selectors import busy_intervals
from events.services import event_create

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20")) * 3
ZONES = sorted(zoneinfo.available_timezones())

#: Text as it can reach a service: what the input boundary lets through.
texts = st.text(max_size=300).filter(lambda t: text_problem(t) is None)
instants = st.datetimes(
    min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=st.timezones()
)
zones = st.one_of(st.sampled_from(ZONES), st.text(max_size=40))


class _Undo(Exception):
    """Rolls each example back, so that examples do not see each other's events."""


@pytest.mark.django_db
def test_any_event_input_is_made_or_refused_by_field(owner):
    client = Client()
    client.force_login(owner)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
        database=None,
    )
    @given(
        title=texts,
        description=texts,
        location=texts,
        start=instants,
        length=st.timedeltas(min_value=dt.timedelta(minutes=-60), max_value=dt.timedelta(days=40)),
        zone=zones,
        all_day=st.booleans(),
    )
    def run(title, description, location, start, length, zone, all_day):
        try:
            with transaction.atomic():
                try:
                    end = start + length
                except OverflowError:
                    return
                try:
                    event = event_create(
                        owner,
                        title=title,
                        description=description,
                        location=location,
                        start=start,
                        end=end,
                        timezone=zone,
                        all_day=all_day,
                    )
                except ValidationError as exc:
                    assert exc.message_dict, exc
                    return
                # Whatever was stored reads back: the page, and the busy time around it.
                assert client.get(f"/calendar/events/{event.pk}/").status_code == 200
                busy_intervals([owner], event.start - dt.timedelta(days=1), event.end)
                assert Event.objects.filter(pk=event.pk).exists()
                raise _Undo
        except _Undo:
            pass

    run()
