"""extract_replies: what real clients send is understood; hostile mail never crashes it.

The interop corpus (../shared/interop beside the repository) holds REPLYs written by real
calendar clients. Each test first builds its own invitation, then rewrites the fixture's
UID, ORGANIZER and ATTENDEE to match it (in memory; the files are never copied here), as
the corpus README asks.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import os
import quopri
import re
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mail.ical import CalendarEvent, CalendarPerson, build_calendar, parse_calendar
from mail.inbound_parse import (
    MAX_ATTENDEE_LINES,
    MAX_DEPTH,
    ParsedReply,
    extract_replies,
    recipient_token,
)
from mail.inbound_values import normalize_address

INTEROP = Path(__file__).resolve().parents[2] / ".." / "shared" / "interop"
INBOUND = "inbound.example"
TOKEN = "k5zq7mxw2pd4rn6tyh3jvbacegik"  # 28 lower-case base32 characters (140 bits)
PLUS = f"reply+{TOKEN}@{INBOUND}"
GUEST = "gina.guest@example.org"
BERLIN = ZoneInfo("Europe/Berlin")


def interop_bytes(name: str) -> bytes:
    path = INTEROP / name
    if not path.is_file():
        message = f"interop fixture {path} is missing"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: the corpus must be present)")
        pytest.skip(message)
    return path.read_bytes()


def test_missing_corpus_skips_locally_and_fails_on_ci(monkeypatch, tmp_path):
    monkeypatch.setattr(sys.modules[__name__], "INTEROP", tmp_path / "nowhere")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="missing"):
        interop_bytes("reply-google-tentative.ics")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        interop_bytes("reply-google-tentative.ics")


@pytest.fixture(scope="module")
def invitation():
    """Our own event and the REQUEST we would have sent: UID, organizer plus-address, guest."""
    event = CalendarEvent(
        uid="5b1f7a52-interop@rendezvous.test",
        sequence=2,
        title="Interop check",
        start=dt.datetime(2026, 6, 1, 10, tzinfo=BERLIN),
        end=dt.datetime(2026, 6, 1, 11, tzinfo=BERLIN),
        timezone="Europe/Berlin",
        organizer=CalendarPerson(PLUS, "Alice Owner"),
        attendees=[CalendarPerson(GUEST, "Gina Guest")],
    )
    vevent = parse_calendar(build_calendar("REQUEST", [event])).walk("VEVENT")[0]
    return {
        "uid": str(vevent["UID"]),
        "organizer": str(vevent["ORGANIZER"])[len("mailto:") :],
        "attendee": str(vevent["ATTENDEE"])[len("mailto:") :],
    }


def rewrite_calendar(
    data: bytes,
    *,
    old_uid: str,
    uid: str,
    old_organizer: str | None,
    organizer: str,
    old_attendee: str,
    attendee: str,
) -> bytes:
    """Replace UID, ORGANIZER and ATTENDEE addresses in a .ics, whatever its folding.

    Content lines are unfolded first (a fold may split an address or a parameter), the
    known old values replaced on their own property lines only, everything else kept.
    Each replacement must happen exactly where expected, so a changed fixture fails loudly.
    """
    text = data.decode("utf-8")
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = re.sub(r"\r?\n[ \t]", "", text).split(newline)
    done = {"UID": 0, "ORGANIZER": 0, "ATTENDEE": 0}
    for index, line in enumerate(lines):
        name = re.split(r"[;:]", line, maxsplit=1)[0].upper()
        if name == "UID" and line[4:] == old_uid:
            lines[index] = f"UID:{uid}"
        elif name == "ORGANIZER" and old_organizer:
            lines[index] = re.sub(re.escape(old_organizer), organizer, line, flags=re.I)
        elif name == "ATTENDEE":
            lines[index] = re.sub(re.escape(old_attendee), attendee, line, flags=re.I)
        else:
            continue
        if lines[index] != line:
            done[name] += 1
    assert done == {"UID": 1, "ORGANIZER": 1 if old_organizer else 0, "ATTENDEE": 1}, done
    return newline.join(lines).encode("utf-8")


def wrap(ics: bytes, *, cte: str, content_type: str) -> bytes:
    """A reply mail as clients send it: calendar inside multipart/mixed → alternative."""
    if cte == "base64":
        body = base64.encodebytes(ics)
    elif cte == "quoted-printable":
        body = quopri.encodestring(ics)
    else:
        body = ics
    return (
        b"Return-Path: <guest@example.org>\r\n"
        b"From: Gina Guest <guest@example.org>\r\n"
        b"To: <" + PLUS.encode() + b">\r\n"
        b"Subject: Accepted: Interop check\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n'
        b"--outer\r\n"
        b'Content-Type: multipart/alternative; boundary="inner"\r\n\r\n'
        b"--inner\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Gina has answered.\r\n"
        b"--inner\r\n"
        b"Content-Type: " + content_type.encode() + b"\r\n"
        b"Content-Transfer-Encoding: " + cte.encode() + b"\r\n\r\n" + body + b"\r\n"
        b"--inner--\r\n"
        b"--outer--\r\n"
    )


# file, its UID, ORGANIZER address (None: absent), ATTENDEE address, PARTSTAT, SEQUENCE
ICS_CASES = [
    (
        "reply-apple-ical5-accepted.ics",
        "a8d10369e051094ae9322bd65e8afecac010bfc8",
        "unittest@tine20.org",
        "sclever@tine20.org",
        "ACCEPTED",
        1,
    ),
    (
        "reply-thunderbird-declined.ics",
        "4f0162146d61cb2c06cbe2abf94636f4526abe16",
        "l.kneschke@caldav.org",
        "tine20admin@caldav.net",
        "DECLINED",
        0,
    ),
    (
        "reply-google-tentative.ics",
        "cccc@nylas.com",
        "test2@example.com",
        "test1@example.com",
        "TENTATIVE",
        0,
    ),
    (
        "reply-google-accepted-organizer-without-mailto.ics",
        "62050f080e53ca8e00353ff0a89c6c6aa4af3dec",
        "unittest@tine20.org",
        "mail@corneliusweiss.de",
        "ACCEPTED",
        1,
    ),
    (
        "reply-without-organizer-outlook-style.ics",
        "ea127690-0440-404b-af98-9823c855a283",
        None,
        "bob@domain.tld",
        "ACCEPTED",
        0,
    ),
]
CONTENT_TYPES = [
    "text/calendar; charset=UTF-8; method=REPLY",
    "text/calendar",  # no method= parameter: METHOD is read from the body
    'application/ics; name="reply.ics"',
]


def rewritten(case, invitation, *, attendee_spelling: str | None = None) -> bytes:
    name, old_uid, old_organizer, old_attendee, _partstat, _sequence = case
    return rewrite_calendar(
        interop_bytes(name),
        old_uid=old_uid,
        uid=invitation["uid"],
        old_organizer=old_organizer,
        organizer=invitation["organizer"],
        old_attendee=old_attendee,
        attendee=attendee_spelling or invitation["attendee"],
    )


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
@pytest.mark.parametrize("cte", ["base64", "quoted-printable", "7bit"])
@pytest.mark.parametrize("case", ICS_CASES, ids=[c[0] for c in ICS_CASES])
def test_interop_reply_in_a_mail(case, cte, content_type, invitation):
    _name, _uid, old_organizer, _attendee, partstat, sequence = case
    raw = wrap(rewritten(case, invitation), cte=cte, content_type=content_type)

    result = extract_replies(raw, envelope_recipients=[PLUS], inbound_domain=INBOUND)

    assert result.outcome == "replies", result
    (reply,) = result.replies
    assert reply.uid == invitation["uid"]
    assert reply.attendee_email == GUEST
    assert reply.partstat == partstat
    assert reply.sequence == sequence
    assert reply.dtstamp is not None and reply.dtstamp.utcoffset() == dt.timedelta(0)
    assert reply.organizer_email == (PLUS if old_organizer else None)
    assert result.tokens == (TOKEN,)


@pytest.mark.parametrize("case", ICS_CASES, ids=[c[0] for c in ICS_CASES])
def test_interop_reply_as_a_bare_ics_body(case, invitation):
    result = extract_replies(rewritten(case, invitation))
    assert result.outcome == "replies", result
    (reply,) = result.replies
    assert (reply.uid, reply.attendee_email, reply.partstat) == (
        invitation["uid"],
        GUEST,
        case[4],
    )


def test_google_organizer_without_mailto_is_read(invitation):
    case = ICS_CASES[3]
    data = rewritten(case, invitation)
    assert f":{PLUS}".encode() in data and f"mailto:{PLUS}".encode() not in data
    (reply,) = extract_replies(data).replies
    assert reply.organizer_email == PLUS
    assert recipient_token(reply.organizer_email, INBOUND) == TOKEN


def test_outlook_style_reply_without_organizer_and_upper_case_mailto(invitation):
    case = ICS_CASES[4]
    data = rewritten(case, invitation, attendee_spelling="Gina.Guest@Example.ORG")
    assert b"ORGANIZER" not in data and b"MAILTO:Gina.Guest@Example.ORG" in data
    (reply,) = extract_replies(data).replies
    assert reply.organizer_email is None
    assert reply.attendee_email == GUEST  # matched case-insensitively, without MAILTO:


def test_apple_folded_attendee_with_email_parameter(invitation):
    data = rewritten(ICS_CASES[0], invitation)
    assert f'EMAIL="{GUEST}"'.encode() in data
    (reply,) = extract_replies(data).replies
    assert reply.attendee_email == GUEST


def test_unrewritten_reply_names_its_own_attendee_not_ours(invitation):
    """A REPLY for someone else is reported as written; the caller must refuse it."""
    result = extract_replies(interop_bytes(ICS_CASES[1][0]))
    (reply,) = result.replies
    assert reply.attendee_email == "tine20admin@caldav.net" != invitation["attendee"]
    assert reply.uid != invitation["uid"]


def rewrite_eml(raw: bytes, rewrite) -> bytes:
    """Rewrite the quoted-printable text/calendar part of a whole .eml in place.

    Only that part's body bytes change (decoded, rewritten, encoded again the way the
    original was: CR and LF as =0D=0A); headers, boundaries and other parts stay as sent.
    """
    header = raw.index(b"Content-Type: text/calendar")
    separator = re.compile(rb"\r?\n\r?\n").search(raw, header)
    start = separator.end()
    end = raw.index(b"\n--", start)
    decoded = quopri.decodestring(raw[start:end])
    encoded = binascii.b2a_qp(rewrite(decoded), istext=False)
    return raw[:start] + encoded + raw[end:]


def test_interop_apple_mail_eml_without_method_parameter(invitation):
    original = interop_bytes("reply-apple-mail-plus-address.eml")
    raw = rewrite_eml(
        original,
        lambda ics: rewrite_calendar(
            ics,
            old_uid="1E71F9C8-AEDA-48EB-98D0-76E898F6BB5C",
            uid=invitation["uid"],
            old_organizer="ical-living-on+d7cdf68d-8b73-4df1-ad3b-f08002fb285f@example.com",
            organizer=invitation["organizer"],
            old_attendee="xyzzy@example.com",
            attendee=invitation["attendee"],
        ),
    )
    # the things that make this fixture special are still there
    assert re.search(rb"Content-Type: text/calendar;\s+x-unix-mode=0644;\s+name=", raw)
    assert b"method=" not in raw.lower()
    assert b"Content-Transfer-Encoding: quoted-printable" in raw
    assert raw[:2000] == original[:2000]  # headers untouched

    result = extract_replies(
        raw, envelope_sender="xyzzy@example.com", envelope_recipients=[PLUS], inbound_domain=INBOUND
    )

    assert result.outcome == "replies", result
    (reply,) = result.replies
    assert reply.uid == invitation["uid"]
    assert reply.attendee_email == GUEST
    assert reply.partstat == "ACCEPTED"
    assert reply.sequence == 7
    assert reply.organizer_email == PLUS
    assert reply.dtstamp == dt.datetime(2008, 8, 12, 20, 19, 11, tzinfo=dt.UTC)
    assert result.tokens == (TOKEN,)
    assert result.sender == "xyzzy@example.com"


# ---------------------------------------------------------------- our own REPLYs


def reply_calendar(*, partstat="ACCEPTED", sequence=3, method="REPLY", recurrence_id=None) -> bytes:
    event = CalendarEvent(
        uid="own@rendezvous.test",
        sequence=sequence,
        title="Own",
        start=dt.datetime(2026, 6, 1, 10, tzinfo=BERLIN),
        end=dt.datetime(2026, 6, 1, 11, tzinfo=BERLIN),
        timezone="Europe/Berlin",
        organizer=CalendarPerson(PLUS, "Alice"),
        attendees=[CalendarPerson(GUEST, "Gina", partstat=partstat)],
        recurrence_id=recurrence_id,
    )
    return build_calendar(method, [event], dtstamp=dt.datetime(2026, 5, 20, 12, tzinfo=dt.UTC))


def own_mail(ics: bytes, *, headers: bytes = b"", content_type="text/calendar; method=REPLY"):
    return (
        b"From: guest@example.org\r\nTo: "
        + PLUS.encode()
        + b"\r\n"
        + headers
        + b"MIME-Version: 1.0\r\nContent-Type: "
        + content_type.encode()
        + b"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(ics)
    )


def test_reply_fields_are_normalised():
    recurrence = dt.datetime(2026, 6, 8, 10, tzinfo=BERLIN)
    result = extract_replies(
        own_mail(reply_calendar(partstat="TENTATIVE", recurrence_id=recurrence))
    )
    assert result.replies == (
        ParsedReply(
            uid="own@rendezvous.test",
            attendee_email=GUEST,
            partstat="TENTATIVE",
            sequence=3,
            dtstamp=dt.datetime(2026, 5, 20, 12, tzinfo=dt.UTC),
            recurrence_id=dt.datetime(2026, 6, 8, 8, tzinfo=dt.UTC),
            organizer_email=PLUS,
        ),
    )


def test_method_is_read_from_the_calendar_not_the_mime_parameter():
    lying_mime = own_mail(reply_calendar(), content_type="text/calendar; method=REQUEST")
    assert extract_replies(lying_mime).outcome == "replies"
    request = own_mail(reply_calendar(method="REQUEST"), content_type="text/calendar; method=REPLY")
    result = extract_replies(request)
    assert (result.outcome, result.reason) == ("ignored", "not-a-reply")


def test_tokens_come_from_the_envelope_else_from_the_headers():
    raw = own_mail(reply_calendar())
    assert extract_replies(raw, inbound_domain=INBOUND).tokens == (TOKEN,)
    other = f"reply+{'b' * 26}@{INBOUND}"
    result = extract_replies(raw, envelope_recipients=[other], inbound_domain=INBOUND)
    assert result.tokens == ("b" * 26,)
    assert (
        extract_replies(raw, envelope_recipients=["x@example.org"], inbound_domain=INBOUND).tokens
        == ()
    )


def test_calendar_inside_a_forwarded_message_is_not_the_senders_answer():
    inner = own_mail(reply_calendar())
    raw = (
        b"From: someone@example.net\r\nTo: " + PLUS.encode() + b"\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="f"\r\n\r\n--f\r\nContent-Type: text/plain\r\n\r\n'
        b"FYI\r\n--f\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--f--\r\n"
    )
    result = extract_replies(raw)
    assert (result.outcome, result.reason) == ("ignored", "no-calendar")


@pytest.mark.parametrize(
    ("ics", "reason"),
    [
        (b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:x", "malformed-calendar"),
        (b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\nEND:VCALENDAR\r\n", None),
        (
            b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nATTENDEE;PARTSTAT=ACCEPTED:"
            b"mailto:a@b.example\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "no-usable-reply",
        ),
        (
            b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:x\r\nATTENDEE;PARTSTAT=MAYBE:"
            b"mailto:a@b.example\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "no-usable-reply",
        ),
        (
            b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:x\r\nATTENDEE;PARTSTAT=ACCEPTED:"
            b"urn:uuid:1234\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "no-usable-reply",
        ),
        (
            b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "no-usable-reply",
        ),
        (b"BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n", None),
        (b"\xff\xfe\x00garbage", "malformed-calendar"),
        (b"", "no-calendar"),
    ],
)
def test_malformed_calendars_are_ignored_with_a_reason(ics, reason):
    result = extract_replies(own_mail(ics))
    assert result.outcome == "ignored", result
    assert result.replies == ()
    if reason:
        assert result.reason == reason
    assert result.detail


def test_broken_sequence_and_missing_dtstamp_still_give_a_reply():
    ics = (
        b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:x\r\nSEQUENCE:many\r\n"
        b"ATTENDEE;PARTSTAT=declined:MAILTO:A@B.Example\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    result = extract_replies(own_mail(ics))
    (reply,) = result.replies
    assert (reply.partstat, reply.sequence, reply.dtstamp) == ("DECLINED", 0, None)
    assert reply.attendee_email == "a@b.example"


def test_attendee_urn_with_email_parameter_is_read():
    ics = (
        b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:x\r\n"
        b'ATTENDEE;EMAIL="Gina.Guest@example.org";PARTSTAT=ACCEPTED:urn:uuid:42\r\n'
        b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    (reply,) = extract_replies(ics).replies
    assert reply.attendee_email == GUEST


# ---------------------------------------------------------------- auto-replies and bounces


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        (b"Auto-Submitted: auto-replied\r\n", "auto-reply"),
        (b"Auto-Submitted: auto-generated; owner-email=x@y.example\r\n", "auto-reply"),
        (b"X-Autoreply: yes\r\n", "auto-reply"),
        (b"Precedence: bulk\r\n", "auto-reply"),
        (b"Precedence: auto_reply\r\n", "auto-reply"),
        (b"Return-Path: <>\r\n", "bounce"),
    ],
)
def test_auto_replies_with_a_reply_attached_are_ignored(headers, reason):
    result = extract_replies(own_mail(reply_calendar(), headers=headers))
    assert (result.outcome, result.reason) == ("ignored", reason)
    assert result.replies == ()


def test_auto_submitted_no_is_a_person():
    result = extract_replies(own_mail(reply_calendar(), headers=b"Auto-Submitted: no\r\n"))
    assert result.outcome == "replies"


@pytest.mark.parametrize("sender", ["", "<>", " <> "])
def test_null_envelope_sender_is_a_bounce(sender):
    result = extract_replies(own_mail(reply_calendar()), envelope_sender=sender)
    assert (result.outcome, result.reason) == ("ignored", "bounce")
    bare = extract_replies(reply_calendar(), envelope_sender=sender)
    assert (bare.outcome, bare.reason) == ("ignored", "bounce")


def test_delivery_status_report_is_ignored():
    original = own_mail(reply_calendar())
    raw = (
        b"From: MAILER-DAEMON@mx.example.net\r\nTo: " + PLUS.encode() + b"\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
        b"--r\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        b"--r\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example.net\r\n\r\n"
        b"Final-Recipient: rfc822; guest@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        b"--r\r\nContent-Type: text/calendar; method=REPLY\r\n\r\n" + reply_calendar() + b"\r\n"
        b"--r\r\nContent-Type: message/rfc822\r\n\r\n" + original + b"\r\n--r--\r\n"
    )
    result = extract_replies(raw)
    assert (result.outcome, result.reason) == ("ignored", "bounce")
    assert result.replies == ()


def test_delivery_status_part_outside_a_report_is_still_a_bounce():
    raw = (
        b"From: postmaster@example.net\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="r"\r\n\r\n'
        b"--r\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\n\r\n"
        b"--r\r\nContent-Type: text/calendar\r\n\r\n" + reply_calendar() + b"\r\n--r--\r\n"
    )
    assert extract_replies(raw).reason == "bounce"


# ---------------------------------------------------------------- hostile input


def test_ten_megabyte_message_is_rejected_before_parsing():
    raw = own_mail(reply_calendar()) + b"\r\n" + b"A" * (10 * 1024 * 1024)
    result = extract_replies(raw)
    assert (result.outcome, result.reason) == ("rejected", "too-large")
    assert str(10 * 1024 * 1024) in result.detail or "bytes" in result.detail


def test_size_limit_is_configurable():
    raw = own_mail(reply_calendar())
    assert extract_replies(raw, max_bytes=len(raw)).outcome == "replies"
    assert extract_replies(raw, max_bytes=len(raw) - 1).reason == "too-large"


def nested_multipart(depth: int, leaf: bytes) -> bytes:
    head, tail = b"", b""
    for level in range(depth):
        head += b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (level, level)
        tail = b"\r\n--b%d--\r\n" % level + tail
    return b"From: x@example.org\r\nMIME-Version: 1.0\r\n" + head + leaf + tail


LEAF = b"Content-Type: text/calendar\r\n\r\n"


def test_nesting_at_the_limit_is_read():
    raw = nested_multipart(MAX_DEPTH, LEAF + reply_calendar())
    assert extract_replies(raw).outcome == "replies"


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 200, 1000, 5000])
def test_deeply_nested_multipart_is_rejected_without_recursion_error(depth):
    result = extract_replies(nested_multipart(depth, LEAF + reply_calendar()))
    assert result.outcome == "rejected", result
    assert result.reason in ("too-deep", "too-many-parts")
    if depth <= 200:
        assert result.reason == "too-deep"


def test_deeply_nested_attached_messages_are_rejected():
    raw = own_mail(reply_calendar())
    for _ in range(1500):
        raw = b"MIME-Version: 1.0\r\nContent-Type: message/rfc822\r\n\r\n" + raw
    result = extract_replies(raw)
    assert (result.outcome, result.reason) == ("rejected", "too-deep")


def test_too_many_parts_are_rejected():
    parts = b"".join(b"--p\r\nContent-Type: text/plain\r\n\r\nx\r\n" for _ in range(300))
    raw = (
        b'From: x@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="p"'
        b"\r\n\r\n" + parts + b"--p--\r\n"
    )
    result = extract_replies(raw)
    assert (result.outcome, result.reason) == ("rejected", "too-many-parts")


def test_a_flood_of_empty_parts_is_refused_quickly():
    parts = b"--p\r\n\r\nx\r\n" * 400_000
    raw = b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="p"\r\n\r\n' + parts
    started = time.monotonic()
    result = extract_replies(raw)
    assert (result.outcome, result.reason) == ("rejected", "too-many-parts")
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00" * 1000,
        os.urandom(4096),
        b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n--\r\n",
        b"Content-Type: text/calendar; charset=no-such-charset\r\n\r\nBEGIN:VCALENDAR\xff\r\n",
        b"Content-Type: text/calendar\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!notbase64",
        b"Subject: =?utf-8?b?broken\r\nFrom: <<<@>>>\r\nContent-Type: ((((\r\n\r\nx",
        b"BEGIN:VCALENDAR\r\n" + b"BEGIN:VEVENT\r\n" * 5000,
        b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:x\r\nRECURRENCE-ID;TZID=Nowhere/X:"
        b"2026\r\nDTSTAMP:yesterday\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:a@b.example\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n",
    ],
)
def test_garbage_never_raises(raw):
    result = extract_replies(raw)
    assert result.outcome in ("replies", "ignored", "rejected")
    assert isinstance(result.reason, str) and result.reason


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(data):
    assert extract_replies(data).outcome in ("replies", "ignored", "rejected")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    position=st.integers(min_value=0, max_value=10_000),
    junk=st.binary(min_size=1, max_size=20),
)
def test_corrupted_reply_mail_never_raises(position, junk):
    raw = own_mail(reply_calendar(), content_type="text/calendar; method=REPLY")
    position %= len(raw)
    corrupted = raw[:position] + junk + raw[position + len(junk) :]
    result = extract_replies(corrupted)
    assert result.outcome in ("replies", "ignored", "rejected")


# ---------------------------------------------------------------- recipient_token


@pytest.mark.parametrize(
    ("address", "token"),
    [
        (f"reply+{TOKEN}@{INBOUND}", TOKEN),
        (f"reply+{TOKEN}@INBOUND.Example", TOKEN),
        (f"Reply+{TOKEN}@{INBOUND}", TOKEN),
        (f"Gina <reply+{TOKEN}@{INBOUND}>", TOKEN),
        (f"<reply+{TOKEN}@{INBOUND}>", TOKEN),
        (f"reply+{'a' * 26}@{INBOUND}", "a" * 26),
        (f"reply+{'a' * 25}@{INBOUND}", None),  # < 128 bits
        (f"reply+{TOKEN.upper()}@{INBOUND}", None),
        (f"reply+{TOKEN[:-1]}1@{INBOUND}", None),  # 1 is not base32
        (f"reply+{TOKEN}+x@{INBOUND}", None),
        (f"reply+{TOKEN}@{INBOUND}.evil.example", None),
        (f"reply+{TOKEN}@evil.example", None),
        (f"replies+{TOKEN}@{INBOUND}", None),
        (f"reply{TOKEN}@{INBOUND}", None),
        (f"reply+@{INBOUND}", None),
        (f"reply+{TOKEN}@{INBOUND}\r\nBcc: x@y.example", None),
        (f"reply+{TOKEN}@@{INBOUND}", None),
        ("", None),
        (f"reply+{'a' * 200}@{INBOUND}", None),
    ],
)
def test_recipient_token(address, token):
    assert recipient_token(address, INBOUND) == token


def test_recipient_token_needs_an_inbound_domain():
    assert recipient_token(PLUS, "") is None
    assert recipient_token(None, INBOUND) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("mailto:Ann@X.org", "ann@x.org"),
        ("MAILTO:ann@x.org", "ann@x.org"),
        ("ann@x.org", "ann@x.org"),
        (" mailto: ann@x.org ", "ann@x.org"),
        ("urn:uuid:1", None),
        ("mailto:", None),
        ("mailto:a b@x.org", None),
        (None, None),
    ],
)
def test_normalize_address(value, expected):
    assert normalize_address(value) == expected


# ------------------------------------------------------------------ many attendees


def reply_with_attendees(lines: list[str]) -> bytes:
    calendar = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//Test//EN\r\nMETHOD:REPLY\r\n"
        "BEGIN:VEVENT\r\nUID:many@example.org\r\nDTSTAMP:20260101T000000Z\r\n"
        "SEQUENCE:0\r\nDTSTART:20260601T100000Z\r\nORGANIZER:mailto:o@example.org\r\n"
        + "".join(f"{line}\r\n" for line in lines)
        + "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    return (
        f"From: {GUEST}\r\nTo: {PLUS}\r\nSubject: Re\r\nMessage-ID: <many@example.org>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/calendar; method=REPLY; charset=utf-8\r\n\r\n"
        + calendar
    ).encode()


def test_twenty_thousand_attendee_lines_are_refused_before_parsing():
    lines = [f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:g{i}@example.org" for i in range(20_000)]
    started = time.monotonic()

    result = extract_replies(
        reply_with_attendees(lines), envelope_recipients=[PLUS], inbound_domain=INBOUND
    )

    assert time.monotonic() - started < 1
    assert (result.outcome, result.reason) == ("rejected", "too-many-attendees")
    assert "20000 ATTENDEE lines" in result.detail


def test_attendees_up_to_the_limit_are_read_and_repeats_counted_once():
    distinct = [f"attendee;PARTSTAT=ACCEPTED:mailto:g{i}@example.org" for i in range(600)]
    lines = distinct + distinct[: MAX_ATTENDEE_LINES - 600]  # repeated lines, lower case

    result = extract_replies(
        reply_with_attendees(lines), envelope_recipients=[PLUS], inbound_domain=INBOUND
    )

    assert result.outcome == "replies"
    assert len(result.replies) == 50  # MAX_REPLIES of 600 distinct answers
    assert len({r.attendee_email for r in result.replies}) == 50
    assert any("600 replies" in problem for problem in result.problems)


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        (["COMMENT:x"] * 25_000, "too-many-lines"),
        (["BEGIN:VALARM", "END:VALARM"] * 600, "too-many-components"),
    ],
)
def test_calendars_over_the_limits_are_refused_before_parsing(lines, reason):
    started = time.monotonic()

    result = extract_replies(
        reply_with_attendees(["ATTENDEE;PARTSTAT=ACCEPTED:mailto:g@example.org", *lines]),
        envelope_recipients=[PLUS],
        inbound_domain=INBOUND,
    )

    assert time.monotonic() - started < 1
    assert (result.outcome, result.reason) == ("rejected", reason)
