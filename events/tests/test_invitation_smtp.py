"""The invitation a guest receives, captured by a real SMTP server after the outbox worker ran."""

from __future__ import annotations

import datetime as dt
import email
import email.policy

import pytest
from icalendar import Calendar

from events import guests as guest_lib
from events.models import Attendee
from events.services import event_create, event_update

from .guest_helpers import GINA, at, make_mailbox

pytestmark = pytest.mark.django_db(transaction=True)


def tree(part) -> list:
    """The MIME structure as nested [content type, children...] lists."""
    if part.is_multipart():
        return [part.get_content_type(), *[tree(p) for p in part.iter_parts()]]
    return part.get_content_type()


def calendar_parts(message):
    return [
        p for p in message.walk() if p.get_content_type() in ("text/calendar", "application/ics")
    ]


def test_invitation_over_smtp_has_the_imip_tree_and_every_property(
    owner, smtp_settings, run_worker, settings
):
    settings.INBOUND_DOMAIN = "in.rendezvous.example"
    mailbox = make_mailbox(owner)
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    event = event_create(
        owner,
        title="Kick-off",
        start=at(1, 10),
        end=at(1, 11),
        timezone="Europe/Berlin",
        location="Room 4, Main Street 1",
        video_url="https://meet.example/kick",
        description="Agenda:\n1. Hello",
        guests=[GINA],
    )
    run_worker()

    (received,) = smtp_settings.messages
    assert received.mail_from == mailbox.email
    assert received.rcpt_tos == [GINA["email"]]
    message = email.message_from_bytes(received.raw, policy=email.policy.default)

    assert tree(message) == [
        "multipart/mixed",
        ["multipart/alternative", "text/plain", "text/html", "text/calendar"],
        "application/ics",
    ]
    inline, attached = calendar_parts(message)
    assert inline.get_param("method") == "REQUEST"
    assert inline.get_content_charset() == "utf-8"
    assert attached.get_filename() == "invite.ics"
    assert attached.get_content_disposition() == "attachment"
    assert inline.get_payload(decode=True) == attached.get_payload(decode=True)

    calendar = Calendar.from_ical(inline.get_payload(decode=True))
    for name in ("PRODID", "VERSION", "METHOD"):
        assert name in calendar, name
    assert calendar["VERSION"] == "2.0" and calendar["METHOD"] == "REQUEST"
    (vevent,) = calendar.walk("VEVENT")
    tzids = {vevent["DTSTART"].params["TZID"], vevent["DTEND"].params["TZID"]}
    assert tzids == {"Europe/Berlin"}
    assert {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")} == tzids
    assert str(vevent["UID"]) == event.uid
    assert int(vevent["SEQUENCE"]) == 0
    stamp = vevent["DTSTAMP"].dt
    assert before <= stamp <= dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    assert vevent["DTSTART"].dt == at(1, 10)
    assert str(vevent["LOCATION"]) == "Room 4, Main Street 1"
    assert str(vevent["DESCRIPTION"]) == "Agenda:\n1. Hello"
    assert str(vevent["URL"]) == "https://meet.example/kick"

    gina = Attendee.objects.get(guest__email=GINA["email"])
    organizer = vevent["ORGANIZER"]
    assert str(organizer) == f"mailto:reply+{guest_lib.reply_token(gina)}@in.rendezvous.example"
    assert organizer.params["CN"] == "Alice Owner"
    guest_prop = next(a for a in vevent["ATTENDEE"] if str(a).endswith(GINA["email"]))
    assert guest_prop.params["PARTSTAT"] == "NEEDS-ACTION"
    assert guest_prop.params["RSVP"] == "TRUE"
    assert guest_prop.params["CN"] == "Gina Guest"

    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for body in (text, html):
        assert "Kick-off" in body and "Monday, 1 June 2026, 10:00–11:00 (Europe/Berlin)" in body
        assert "Room 4, Main Street 1" in body and "https://meet.example/kick" in body
        assert "Alice Owner" in body and "Agenda:" in body
    assert f"{guest_lib.page_url(gina)}?answer=accepted" in text
    assert f"{guest_lib.page_url(gina)}?answer=declined" in text
    assert str(message["Reply-To"]).endswith(
        f"<reply+{guest_lib.reply_token(gina)}@in.rendezvous.example>"
    )


def test_moving_the_event_sends_an_update_with_a_higher_sequence(owner, smtp_settings, run_worker):
    make_mailbox(owner)
    event = event_create(owner, title="Kick-off", start=at(1, 10), end=at(1, 11), guests=[GINA])
    run_worker()
    event_update(event, owner, start=at(1, 14), end=at(1, 15))
    run_worker()
    first, second = smtp_settings.messages
    sequences = []
    for received in (first, second):
        message = email.message_from_bytes(received.raw, policy=email.policy.default)
        inline = calendar_parts(message)[0]
        (vevent,) = Calendar.from_ical(inline.get_payload(decode=True)).walk("VEVENT")
        sequences.append(int(vevent["SEQUENCE"]))
        assert str(vevent["UID"]) == event.uid
    assert sorted(sequences) == [0, 1]
