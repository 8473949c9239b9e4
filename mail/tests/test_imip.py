"""build_imip_message: the MIME tree clients act on, METHOD twice, no header injection."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mail.ical import CalendarEvent, CalendarPerson, InvalidCalendarData, build_calendar
from mail.imip import build_imip_message
from mail.inbound_parse import extract_replies
from mail.mime import message_bytes

BERLIN = ZoneInfo("Europe/Berlin")
TOKEN = "abcdefghijklmnopqrstuvwxyz234567"
INBOUND = "inbound.example"
PLUS = f"reply+{TOKEN}@{INBOUND}"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"

MESSAGE_ID = "<imip-test@rendezvous.test>"


def calendar_for(method: str = "REQUEST", **overrides) -> bytes:
    fields = {
        "uid": "evt-1@rendezvous.test",
        "sequence": 1,
        "title": "Kick-off – Café",
        "start": dt.datetime(2026, 6, 1, 10, tzinfo=BERLIN),
        "end": dt.datetime(2026, 6, 1, 11, tzinfo=BERLIN),
        "timezone": "Europe/Berlin",
        "organizer": CalendarPerson(PLUS, "Alice Owner"),
        "attendees": [CalendarPerson("guest@example.org", "Gina Guest")],
    }
    fields.update(overrides)
    return build_calendar(method, [CalendarEvent(**fields)])


def build(**overrides):
    arguments = {
        "method": "REQUEST",
        "calendar": calendar_for(),
        "subject": "Invitation: Kick-off – Café",
        "text": "You are invited. Grüße",
        "html": "<p>You are invited.</p>",
        "from_email": "Alice Owner <alice@acme.test>",
        "to": ["Gina Guest <guest@example.org>"],
        "reply_to": [PLUS],
    }
    arguments.update(overrides)
    return build_imip_message(**arguments)


def parsed(message) -> EmailMessage:
    raw = message_bytes(message, message_id=MESSAGE_ID)
    return email.message_from_bytes(raw, policy=email.policy.default)


def shape(part: EmailMessage):
    """(content type, [children]) for multiparts, content type for leaves."""
    if part.is_multipart():
        return (part.get_content_type(), [shape(child) for child in part.iter_parts()])
    return part.get_content_type()


def crlf(text: str | bytes) -> bytes:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def test_request_has_the_imip_mime_tree():
    calendar = calendar_for()
    message = build(
        calendar=calendar,
        attachments=[("agenda.pdf", PDF, "application/pdf"), ("notes.txt", b"a;b", "text/plain")],
    )
    mail = parsed(message)

    assert shape(mail) == (
        "multipart/mixed",
        [
            ("multipart/alternative", ["text/plain", "text/html", "text/calendar"]),
            "application/ics",
            "application/pdf",
            "text/plain",
        ],
    )
    alternative, invite, pdf, notes = mail.iter_parts()
    plain, html, calendar_part = alternative.iter_parts()

    assert plain.get_content() == "You are invited. Grüße"
    assert plain.get_content_charset() == "utf-8"
    assert html.get_content() == "<p>You are invited.</p>"
    raw = message_bytes(message, message_id=MESSAGE_ID)
    assert b"\r\nContent-Type: text/calendar; method=REQUEST; charset=UTF-8\r\n" in raw
    assert calendar_part.get_content_charset() == "utf-8"
    assert calendar_part.get_param("method") == "REQUEST"
    assert crlf(calendar_part.get_content()) == calendar
    assert not calendar_part.is_attachment()

    assert invite.get_filename() == "invite.ics"
    assert invite.get_param("name") == "invite.ics"
    assert invite.get_content_disposition() == "attachment"
    assert invite.get_content() == calendar  # byte for byte, CRLF kept by base64

    assert pdf.get_filename() == "agenda.pdf" and pdf.get_content() == PDF
    assert notes.get_filename() == "notes.txt"

    assert str(mail["Subject"]) == "Invitation: Kick-off – Café"
    assert mail["From"].addresses[0].addr_spec == "alice@acme.test"
    assert mail["From"].addresses[0].display_name == "Alice Owner"
    assert [a.addr_spec for a in mail["To"].addresses] == ["guest@example.org"]
    assert [a.addr_spec for a in mail["Reply-To"].addresses] == [PLUS]
    assert message.recipients() == ["Gina Guest <guest@example.org>"]


def test_method_is_written_in_the_mime_type_and_the_calendar_for_cancel():
    calendar = calendar_for("CANCEL")
    mail = parsed(build(method="CANCEL", calendar=calendar, html=None))
    assert shape(mail) == (
        "multipart/mixed",
        [("multipart/alternative", ["text/plain", "text/calendar"]), "application/ics"],
    )
    calendar_part = next(p for p in mail.walk() if p.get_content_type() == "text/calendar")
    assert calendar_part.get_param("method") == "CANCEL"
    assert b"METHOD:CANCEL\r\n" in crlf(calendar_part.get_content())


def test_method_that_disagrees_with_the_calendar_is_refused():
    with pytest.raises(InvalidCalendarData) as excinfo:
        build(method="CANCEL", calendar=calendar_for("REQUEST"))
    assert excinfo.value.field == "calendar"
    with pytest.raises(InvalidCalendarData) as excinfo:
        build(calendar=b"not a calendar")
    assert excinfo.value.field == "calendar"
    with pytest.raises(InvalidCalendarData) as excinfo:
        build(method="COUNTER")
    assert excinfo.value.field == "method"


def test_names_with_specials_are_quoted_not_interpreted():
    mail = parsed(
        build(
            from_email='"Doe, Jane \\"JD\\"" <jane@acme.test>',
            to=["Ünal; Öz <unal@example.org>", "plain@example.org"],
        )
    )
    sender = mail["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == ('Doe, Jane "JD"', "jane@acme.test")
    to = mail["To"].addresses
    assert [(a.display_name, a.addr_spec) for a in to] == [
        ("Ünal; Öz", "unal@example.org"),
        ("", "plain@example.org"),
    ]


INJECTIONS = [
    ("subject", {"subject": "Hi\r\nBcc: victim@example.net"}, "subject"),
    ("subject-lf", {"subject": "Hi\nX-Evil: 1"}, "subject"),
    ("subject-nul", {"subject": "Hi\x00"}, "subject"),
    ("from-name", {"from_email": "Alice\r\nBcc: v@example.net <alice@acme.test>"}, "from_email"),
    ("from-address", {"from_email": "alice@acme.test\r\nBcc: v@example.net"}, "from_email"),
    ("to-address", {"to": ["guest@example.org\nBcc: v@example.net"]}, "to[0]"),
    ("to-name", {"to": ["ok@example.org", "G\r\nX: y <g@example.org>"]}, "to[1]"),
    ("to-two-addresses", {"to": ["a@example.org, b@example.org"]}, "to[0]"),
    ("reply-to", {"reply_to": ["r@example.org\r\n"]}, "reply_to[0]"),
    (
        "header-value",
        {"headers": {"X-Rendezvous": "1\r\nBcc: v@example.net"}},
        "headers.X-Rendezvous",
    ),
    ("header-name", {"headers": {"X-A\r\nBcc": "v@example.net"}}, "headers"),
    ("header-colon", {"headers": {"X-A: b": "c"}}, "headers"),
    ("reserved-header", {"headers": {"Content-Type": "text/plain"}}, "headers.Content-Type"),
    (
        "attachment-name",
        {"attachments": [("a\r\n.pdf", PDF, "application/pdf")]},
        "attachments[0].filename",
    ),
    (
        "attachment-type",
        {"attachments": [("a.pdf", PDF, "application/pdf\r\nX: y")]},
        "attachments[0].mimetype",
    ),
    ("to-as-string", {"to": "guest@example.org"}, "to"),
    ("no-recipient", {"to": []}, "to"),
]


@pytest.mark.parametrize(
    ("overrides", "field"), [i[1:] for i in INJECTIONS], ids=[i[0] for i in INJECTIONS]
)
def test_header_injection_raises_naming_the_field(overrides, field):
    with pytest.raises(ValueError) as excinfo:
        build(**overrides)
    assert isinstance(excinfo.value, InvalidCalendarData)
    assert excinfo.value.field == field


def test_extra_headers_are_written():
    mail = parsed(
        build(headers={"X-Rendezvous-Event": "evt-1", "Auto-Submitted": "auto-generated"})
    )
    assert mail["X-Rendezvous-Event"] == "evt-1"
    assert mail["Auto-Submitted"] == "auto-generated"


def test_reply_built_here_is_read_back_by_the_inbound_parser():
    """Our own REPLY, through MIME and back: the two halves of this module agree."""
    me = CalendarPerson("guest@example.org", "Gina", partstat="DECLINED")
    calendar = calendar_for("REPLY", attendees=[me], sequence=4)
    raw = message_bytes(
        build(method="REPLY", calendar=calendar, to=[PLUS], reply_to=None), message_id=MESSAGE_ID
    )
    result = extract_replies(raw, envelope_recipients=[PLUS], inbound_domain=INBOUND)
    assert result.outcome == "replies", result
    (reply,) = result.replies  # the alternative and invite.ics hold the same answer once
    assert (reply.uid, reply.attendee_email, reply.partstat, reply.sequence) == (
        "evt-1@rendezvous.test",
        "guest@example.org",
        "DECLINED",
        4,
    )
    assert reply.organizer_email == PLUS
    assert result.tokens == (TOKEN,)


def test_the_message_survives_a_real_smtp_conversation(smtp_settings):
    """Through aiosmtpd on loopback, as the outbox's transport sends it."""
    from mail.transport import send_raw

    calendar = calendar_for()
    message = build(calendar=calendar)
    raw = message_bytes(message, message_id=MESSAGE_ID)
    send_raw(sender="alice@acme.test", recipients=["guest@example.org"], raw=raw, ident="imip")

    (received,) = smtp_settings.messages
    assert received.rcpt_tos == ["guest@example.org"]
    mail = received.message
    assert shape(mail) == (
        "multipart/mixed",
        [
            ("multipart/alternative", ["text/plain", "text/html", "text/calendar"]),
            "application/ics",
        ],
    )
    calendar_part = next(p for p in mail.walk() if p.get_content_type() == "text/calendar")
    assert calendar_part.get_param("method") == "REQUEST"
    assert crlf(calendar_part.get_content()) == calendar
    invite = next(p for p in mail.walk() if p.get_filename() == "invite.ics")
    assert invite.get_content() == calendar


@pytest.mark.django_db
def test_the_outbox_accepts_the_message_as_built():
    from mail.services import queue_message

    row = queue_message(build())
    mail = email.message_from_bytes(bytes(row.raw), policy=email.policy.default)
    assert shape(mail)[1][0] == (
        "multipart/alternative",
        ["text/plain", "text/html", "text/calendar"],
    )
    assert row.recipients == ["guest@example.org"]


printable = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=40)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=printable.filter(lambda n: "<" not in n and ">" not in n), subject=printable)
def test_any_printable_name_or_subject_adds_no_header_and_no_address(name, subject):
    message = build(
        subject=subject,
        from_email=f"{name} <alice@acme.test>" if name.strip() else "alice@acme.test",
        to=[f"{name} <guest@example.org>" if name.strip() else "guest@example.org"],
        reply_to=None,
    )
    mail = parsed(message)
    assert sorted(key.lower() for key in mail) == sorted(
        ["content-type", "mime-version", "subject", "from", "to", "date", "message-id"]
    )
    assert [a.addr_spec for a in mail["To"].addresses] == ["guest@example.org"]
    assert [a.addr_spec for a in mail["From"].addresses] == ["alice@acme.test"]
