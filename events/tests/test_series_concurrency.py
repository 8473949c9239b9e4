"""Writes to one date of a series at the same moment: real connections to PostgreSQL.

The series row is locked first by every write to the series (edits, cancellations,
answers), so two requests that both need the date's exception row cannot both make it,
and a second split at the same date finds the series already cut.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from events.answers import apply_guest_reply, attendee_respond
from events.cancelling import event_cancel
from events.models import Attendee, Event
from events.services import event_create, event_update
from mail.inbound_parse import ParsedReply
from testsupport.concurrency import race

from .guest_helpers import GINA, HUGO, at, make_mailbox

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def series(owner, colleague, settings):
    settings.INBOUND_DOMAIN = "in.example"
    make_mailbox(owner)
    return event_create(
        owner,
        title="Weekly",
        start=at(1, 10),
        end=at(1, 11),
        timezone="Europe/Berlin",
        recurrence="FREQ=WEEKLY;BYDAY=MO;COUNT=10",
        attendee_ids=[colleague.pk],
        guests=[GINA, HUGO],
    )


def reply_call(series, guest: dict, partstat: str):
    from events import guests as guest_lib

    row = Attendee.objects.get(event=series, guest__email=guest["email"])
    token = guest_lib.reply_token(row)
    reply = ParsedReply(
        uid=series.uid,
        attendee_email=guest["email"],
        partstat=partstat,
        sequence=0,
        dtstamp=dt.datetime(2026, 5, 20, tzinfo=dt.UTC),
        recurrence_id=at(15, 10).astimezone(dt.UTC),
    )
    return lambda: apply_guest_reply(token=token, reply=reply, message_id=f"<{guest['email']}>")


def test_answers_and_an_edit_of_one_date_make_one_exception_row(series, owner, colleague):
    results = race(
        [
            reply_call(series, GINA, "ACCEPTED"),
            reply_call(series, HUGO, "DECLINED"),
            lambda: attendee_respond(series, colleague, "tentative", occurrence=at(15, 10)).status,
            lambda: (
                event_update(
                    series, owner, scope="this", occurrence=at(15, 10), location="Room 2"
                ).location
            ),
        ]
    )
    assert results[:3] == ["applied", "applied", "tentative"]
    assert results[3] == "Room 2"
    (exception,) = Event.objects.filter(series=series)
    people = dict(Attendee.objects.filter(event=exception).values_list("guest__email", "status"))
    assert people[GINA["email"]] == "accepted" and people[HUGO["email"]] == "declined"
    assert Attendee.objects.get(event=exception, user=colleague).status == "tentative"
    assert exception.location == "Room 2"


def test_two_splits_at_one_date_make_one_new_series(series, owner):
    def split(title: str):
        def call():
            try:
                return event_update(
                    series, owner, scope="following", occurrence=at(15, 10), title=title
                ).title
            except ValidationError as exc:
                return exc.message_dict

        return call

    results = race([split("A"), split("B"), lambda: _cancel_date(series, owner)])
    made = [r for r in results[:2] if isinstance(r, str)]
    assert len(made) == 1
    refused = [r for r in results[:2] if isinstance(r, dict)]
    assert all("occurrence" in r for r in refused)
    assert Event.objects.filter(split_from=series).count() == 1
    assert Event.objects.filter(recurrence__isnull=False).count() == 2
    new = Event.objects.get(split_from=series)
    if isinstance(results[2], dict):  # the split came first: the 22nd is the new series'
        assert "occurrence" in results[2]
        assert new.exdates == []
    else:  # the cancellation came first: its EXDATE moved over with the date
        assert new.exdates == ["2026-06-22T08:00:00+00:00"]


def _cancel_date(series, owner):
    try:
        return event_cancel(series, owner, scope="this", occurrence=at(22, 10)).pk
    except ValidationError as exc:  # the split came first and moved the date away
        return exc.message_dict
