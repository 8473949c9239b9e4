"""Hostile text in every field of an invitation: no extra header, no extra property, no markup.

Title, place and description may hold anything printable (line breaks are part of a
description); guest names must be one line; addresses must be plain. What goes into the
mail and the calendar is escaped by the libraries and checked here by reading it back.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from events.models import Event
from events.services import event_create, event_update
from mail.models import OutboxMessage

from .guest_helpers import at, calendar_of, html_body, outbox, subject, text_body, vevent_of

NASTY = [
    "Line\r\nBcc: victim@evil.example",
    "Line\nX-Injected: yes",
    "Semi;colon:and,comma",
    "Back\\slash\\n\\;",
    "Cal\r\nEND:VEVENT\r\nBEGIN:VALARM\r\nACTION:EMAIL\r\nATTENDEE:mailto:evil@x.example\r\nEND:VALARM",
    "BEGIN:VALARM",
    "Unicode\u2028line\u2029sep\x85nel",
]
EXPECTED_HEADERS = {
    "content-type",
    "mime-version",
    "subject",
    "from",
    "to",
    "date",
    "message-id",
    "auto-submitted",
    "x-auto-response-suppress",
}
EXPECTED_PROPERTIES = {
    "UID",
    "DTSTAMP",
    "SEQUENCE",
    "CREATED",
    "LAST-MODIFIED",
    "DTSTART",
    "DTEND",
    "SUMMARY",
    "DESCRIPTION",
    "LOCATION",
    "STATUS",
    "TRANSP",
    "ORGANIZER",
    "ATTENDEE",
}


def only_one_event_and_known_properties(message) -> None:
    calendar = calendar_of(message)
    kinds = [component.name for component in calendar.walk()]
    assert kinds.count("VEVENT") == 1 and "VALARM" not in kinds, kinds
    vevent = vevent_of(message)
    assert set(vevent.keys()) <= EXPECTED_PROPERTIES, set(vevent.keys()) - EXPECTED_PROPERTIES
    attendees = vevent["ATTENDEE"]
    assert len(attendees) == 2  # the organizer and this guest, nobody smuggled in
    for prop in [vevent["ORGANIZER"], *attendees]:
        assert "evil" not in str(prop).lower()
        assert set(prop.params) <= {"CN", "CUTYPE", "ROLE", "PARTSTAT", "RSVP"}


def headers_are_only_ours(message) -> None:
    names = {name.lower() for name in message}
    assert names <= EXPECTED_HEADERS, names - EXPECTED_HEADERS
    assert message.get_all("To") and len(message.get_all("To")) == 1
    assert [a.addr_spec for a in message["To"].addresses] == ["gina@client.example"]
    assert message.get_all("Bcc") is None and message.get_all("X-Injected") is None


@pytest.mark.parametrize("value", NASTY)
def test_title_place_and_description(owner, mailbox, value):
    event_create(
        owner,
        title=f"T {value}",
        location=f"L {value}",
        description=f"D {value}",
        start=at(1, 10),
        end=at(1, 11),
        guests=[{"email": "gina@client.example", "first_name": "Gina"}],
    )
    (message,) = outbox()
    headers_are_only_ours(message)
    only_one_event_and_known_properties(message)
    vevent = vevent_of(message)
    summary = str(vevent["SUMMARY"])
    assert summary.startswith("T ") and "\r" not in summary
    assert ";" not in value or ";" in summary  # kept, escaped by the library, read back
    assert "\n" not in subject(message) and "\r" not in subject(message)
    head = OutboxMessage.objects.get().raw_bytes.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nBcc:" not in head and b"\r\nX-Injected:" not in head
    for line in head.split(b"\r\n"):  # every header line is ours or a continuation
        if line[:1] not in (b" ", b"\t"):
            assert line.split(b":", 1)[0].lower().decode() in EXPECTED_HEADERS, line


SINGLE_LINE = ["Semi;colon:and,comma", "Back\\slash\\n\\;", "BEGIN:VALARM", 'Quote " <x@y.example>']


@pytest.mark.parametrize("value", SINGLE_LINE)
def test_single_line_names(owner, mailbox, value):
    event_create(
        owner,
        title="Kick-off",
        start=at(1, 10),
        end=at(1, 11),
        guests=[{"email": "gina@client.example", "first_name": value, "last_name": "Z,Z;Z"}],
    )
    (message,) = outbox()
    headers_are_only_ours(message)
    only_one_event_and_known_properties(message)
    guest = next(a for a in vevent_of(message)["ATTENDEE"] if "gina@" in str(a))
    assert guest.params["CN"].endswith("Z,Z;Z")


@pytest.mark.parametrize(
    "name",
    [
        "Line\r\nBcc: x@evil.example",
        "Line\nBEGIN:VALARM",
        "nul\x00x",
        "vt\x0bx",
        "nel\x85x",
        "ls\u2028x",
        "ps\u2029x",
    ],
)
def test_names_with_line_breaks_or_controls_are_refused(owner, mailbox, name):
    with pytest.raises(ValidationError) as exc:
        event_create(
            owner,
            title="Kick-off",
            start=at(1, 10),
            end=at(1, 11),
            guests=[{"email": "gina@client.example", "last_name": name}],
        )
    assert "guests.0.last_name" in exc.value.message_dict
    assert not Event.objects.exists() and not OutboxMessage.objects.exists()


@pytest.mark.parametrize(
    "address",
    [
        "gina@client.example\r\nBcc: victim@evil.example",
        "gina@client.example\nX-Injected: yes",
        "gina;x=y@client.example",
        "gina@client.example;RSVP=TRUE",
        "gina@client.example,evil@x.example",
        "gina\\@client.example",
        "gina@client.example\x00",
        "BEGIN:VALARM@client.example",
        '"gina"@client.example',
        "Gina <gina@client.example>",
    ],
)
def test_hostile_addresses_are_refused(owner, mailbox, address):
    with pytest.raises(ValidationError) as exc:
        event_create(
            owner, title="Kick-off", start=at(1, 10), end=at(1, 11), guests=[{"email": address}]
        )
    assert "guests.0.email" in exc.value.message_dict
    assert not Event.objects.exists() and not OutboxMessage.objects.exists()


def test_nul_in_the_title_is_refused(owner, mailbox):
    with pytest.raises(ValidationError) as exc:
        event_create(
            owner,
            title="a\x00b",
            start=at(1, 10),
            end=at(1, 11),
            guests=[{"email": "gina@client.example"}],
        )
    assert "title" in exc.value.message_dict
    assert not OutboxMessage.objects.exists()


MARKUP = '<img src=x onerror="alert(1)">&amp;<b>'


def test_html_in_every_field_is_escaped_in_the_html_mail(owner, colleague, mailbox):
    owner.full_name = f"Alice {MARKUP}"
    owner.save()
    event = event_create(
        owner,
        title=f"T {MARKUP}",
        location=f"L {MARKUP}",
        description=f"D {MARKUP}",
        start=at(1, 10),
        end=at(1, 11),
        attendee_ids=[colleague.pk],
        guests_can_see_participants=True,
        guests=[
            {"email": "gina@client.example", "first_name": f"G {MARKUP}"},
            {"email": "hugo@partner.example", "first_name": "Hugo"},
        ],
    )
    for message in outbox():
        html = html_body(message)
        assert "<img" not in html and "<b>" not in html
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;amp;&lt;b&gt;" in html
        assert "T <img" in text_body(message)  # plain text stays plain
    # The decision mail to the organizer escapes the guest's name too.
    from events.answers import guest_respond
    from events.models import Attendee

    for row in OutboxMessage.objects.all():
        row.delete()
    guest_respond(Attendee.objects.get(event=event, guest__email="gina@client.example"), "accepted")
    (decision,) = outbox()
    html = html_body(decision)
    assert "<img" not in html and "G &lt;img" in html
    event_update(event, owner, title="x")
