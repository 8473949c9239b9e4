"""Every reply in the interop corpus, sent over SMTP to the inbound listener, answers our invitation.

The corpus (``../shared/interop/`` beside the repository, see its README) holds iMIP REPLYs
written by Apple Mail/iCal, Thunderbird, Google Calendar and an Outlook-style client. Each
test creates its own event with a guest, takes the invitation that was queued for that
guest, rewrites the fixture's UID, ORGANIZER and ATTENDEE to match it (in memory; every
other byte of the calendar stays as the client wrote it), and delivers the result in a
real SMTP conversation to ``mail.inbound_smtp.Listener``. The guest's status must then be
what the client said; a second delivery of the same message changes nothing.

Without the corpus the tests are skipped with a message, except under CI=true, where a
missing corpus is a failure.
"""

from __future__ import annotations

import email
import email.policy
import os
import quopri
import re
import smtplib
from collections.abc import Iterator
from email.generator import BytesGenerator
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from io import BytesIO
from pathlib import Path

import pytest

from events import guests as guest_lib
from events.models import Attendee, GuestReplyReceipt
from events.services import event_create
from mail.inbound_smtp import Listener, free_port
from notifications.models import Notification

from .guest_helpers import at, make_mailbox, vevent_of

INTEROP = Path(__file__).resolve().parents[2].parent / "shared" / "interop"
DOMAIN = "in.rendezvous.example"
GUEST = "Gina.Guest@Client.example"  # mixed case: the match must not care

# file, the fixture's own ORGANIZER and ATTENDEE addresses, the answer it carries.
CASES = [
    (
        "reply-apple-mail-plus-address.eml",
        "ical-living-on+d7cdf68d-8b73-4df1-ad3b-f08002fb285f@example.com",
        "xyzzy@example.com",
        "accepted",
    ),
    ("reply-apple-ical5-accepted.ics", "unittest@tine20.org", "sclever@tine20.org", "accepted"),
    (
        "reply-thunderbird-declined.ics",
        "l.kneschke@caldav.org",
        "tine20admin@caldav.net",
        "declined",
    ),
    ("reply-google-tentative.ics", "test2@example.com", "test1@example.com", "tentative"),
    (
        "reply-google-accepted-organizer-without-mailto.ics",
        "unittest@tine20.org",
        "mail@corneliusweiss.de",
        "accepted",
    ),
    ("reply-without-organizer-outlook-style.ics", None, "bob@domain.tld", "accepted"),
    # Windows zone name as TZID, COMMENT:\n, no ORGANIZER; {1} and {2} are the fixture's
    # own placeholders for the attendee and the UID.
    ("reply-exchange2010-windows-tzid-no-organizer.ics", None, "{1}", "accepted"),
    ("reply-outlook-display-name-tzid.ics", "bar@example.org", "foo@example.org", "accepted"),
    # Whole mails: a TZID without VTIMEZONE in an 8bit part under windows-1256 text
    # parts; a REPLY beside an invite.ics holding a PUBLISH.
    (
        "reply-outlookcom-mail-tzid-without-vtimezone.eml",
        None,
        "marc.dupont@example.org",
        "accepted",
    ),
    ("reply-gmail-mail-with-publish-attachment.eml", None, "marc.dupont@example.org", "declined"),
]
ICS_CASES = [case for case in CASES if case[0].endswith(".ics")]


def corpus_file(name: str) -> bytes:
    path = INTEROP / name
    if not path.is_file():
        message = f"interop corpus file {path} is missing"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: the corpus must be present)")
        pytest.skip(message)
    return path.read_bytes()


def test_missing_corpus_skips_locally_and_fails_in_ci(monkeypatch):
    monkeypatch.setattr(f"{__name__}.INTEROP", Path("/nonexistent/interop"))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        corpus_file("reply-google-tentative.ics")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        corpus_file("reply-google-tentative.ics")


# --------------------------------------------------------------------------- rewriting


def _logical_lines(text: str) -> list[tuple[str, list[str]]]:
    """(unfolded content line, its physical lines with their endings) in order."""
    groups: list[tuple[str, list[str]]] = []
    for physical in text.splitlines(keepends=True):
        if physical[:1] in (" ", "\t") and groups:
            logical, chunks = groups[-1]
            groups[-1] = (logical + physical[1:].rstrip("\r\n"), [*chunks, physical])
        else:
            groups.append((physical.rstrip("\r\n"), [physical]))
    return groups


def _fold(line: str, ending: str) -> str:
    """Fold at 75 characters (the values here are ASCII) with the file's own line ending."""
    parts = [line[:75]] + [" " + line[i : i + 74] for i in range(75, len(line), 74)]
    return ending.join(parts) + ending


def rewrite_calendar(
    text: str, *, uid: str, organizer: tuple[str, str] | None, attendee: tuple[str, str]
) -> str:
    """Replace UID, the ORGANIZER address and the ATTENDEE address; leave every other line.

    ``organizer`` / ``attendee`` are (address in the fixture, our address). The address is
    replaced wherever it occurs in that property (its value and an EMAIL parameter), with
    or without ``mailto:``, keeping the client's spelling of the scheme.
    """
    out: list[str] = []
    for logical, chunks in _logical_lines(text):
        name = re.split(r"[;:]", logical, maxsplit=1)[0].upper()
        first = chunks[0]
        ending = first[len(first.rstrip("\r\n")) :]
        if chunks[-1] != first:
            last = chunks[-1]
            ending = last[len(last.rstrip("\r\n")) :] or ending
        if name == "UID":
            out.append(_fold(f"UID:{uid}", ending or "\r\n") if ending else f"UID:{uid}")
        elif name in ("ORGANIZER", "ATTENDEE"):
            pair = organizer if name == "ORGANIZER" else attendee
            if pair is None:
                out.append("".join(chunks))
                continue
            old, new = pair
            changed = re.sub(re.escape(old), new, logical, flags=re.IGNORECASE)
            assert changed != logical, f"{old} not found in {logical!r}"
            out.append(_fold(changed, ending) if ending else changed)
        else:
            out.append("".join(chunks))
    return "".join(out)


def rewrite_eml(raw: bytes, **rewrite) -> bytes:
    """Rewrite the calendar part of a whole mail; the rest of the message is written back as is."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    done = 0
    for part in message.walk():
        if part.get_content_type() != "text/calendar":
            continue
        text = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
        new = rewrite_calendar(text, **rewrite).encode("utf-8")
        if (part["Content-Transfer-Encoding"] or "7bit").lower() == "quoted-printable":
            part.set_payload(quopri.encodestring(new).decode("ascii"))
        else:  # 7bit or 8bit, written back byte for byte
            part.set_payload(new.decode("ascii", "surrogateescape"))
        done += 1
    assert done == 1
    buffer = BytesIO()
    BytesGenerator(buffer, mangle_from_=False, maxheaderlen=0).flatten(message)
    return buffer.getvalue()


def wrap_ics(ics: bytes, *, sender: str, to: str, message_id: str) -> bytes:
    """A bare .ics as a client mails it: text/plain + text/calendar; method=REPLY."""
    message = MIMEMultipart("alternative")
    message["From"] = sender
    message["To"] = to
    message["Subject"] = "Reply"
    message["Message-ID"] = message_id
    message.attach(MIMEText("Answered.", "plain", "utf-8"))
    calendar = MIMEText(ics.decode("utf-8"), "calendar", "utf-8")
    calendar.set_param("method", "REPLY")
    message.attach(calendar)
    return message.as_bytes()


@pytest.mark.parametrize("case", ICS_CASES, ids=[c[0] for c in ICS_CASES])
def test_rewriting_touches_only_uid_organizer_and_attendee(case):
    name, old_organizer, old_attendee, _answer = case
    text = corpus_file(name).decode("utf-8")
    new = rewrite_calendar(
        text,
        uid="ours@rendezvous.test",
        organizer=(old_organizer, "reply+abc@in.example") if old_organizer else None,
        attendee=(old_attendee, GUEST),
    )
    before = [line for line, _chunks in _logical_lines(text)]
    after = [line for line, _chunks in _logical_lines(new)]
    assert len(before) == len(after)
    changed = {re.split(r"[;:]", b, maxsplit=1)[0] for b, a in zip(before, after) if a != b}
    assert changed == {"UID", "ATTENDEE"} | ({"ORGANIZER"} if old_organizer else set())
    assert (text.endswith("\n"), "\r\n" in text) == (new.endswith("\n"), "\r\n" in new)


# --------------------------------------------------------------------------- the round trip


@pytest.fixture
def listener(settings) -> Iterator[Listener]:
    settings.INBOUND_DOMAIN = DOMAIN
    started = Listener("127.0.0.1", free_port(), DOMAIN).start(attempts=20)
    yield started
    started.stop()


@pytest.fixture
def invitation(transactional_db, owner, settings):
    """Alice invites Gina; the queued invitation names Gina's plus-address as ORGANIZER."""
    settings.INBOUND_DOMAIN = DOMAIN
    make_mailbox(owner)
    event = event_create(
        owner,
        title="Interop",
        start=at(1, 10),
        end=at(1, 11),
        timezone="Europe/Berlin",
        guests=[{"email": GUEST, "first_name": "Gina", "last_name": "Guest"}],
    )
    attendee = Attendee.objects.select_related("guest").get(event=event, guest__isnull=False)
    from .guest_helpers import outbox

    (mail,) = outbox()
    organizer = str(vevent_of(mail)["ORGANIZER"]).removeprefix("mailto:")
    assert organizer == f"reply+{guest_lib.reply_token(attendee)}@{DOMAIN}"
    return {"event": event, "attendee": attendee, "plus": organizer}


def send(listener: Listener, raw: bytes, *, sender: str, rcpt: str) -> None:
    """One SMTP conversation; smtplib sends bytes as they are, so lines end in CRLF first."""
    raw = re.sub(rb"\r?\n", b"\r\n", raw)
    with smtplib.SMTP("127.0.0.1", listener.port, timeout=30) as client:
        client.ehlo("client.example")
        refused = client.sendmail(sender, [rcpt], raw)
        assert refused == {}


def message_for(case, invitation, message_id: str) -> bytes:
    name, old_organizer, old_attendee, _answer = case
    rewrite = {
        "uid": invitation["event"].uid,
        "organizer": (old_organizer, invitation["plus"]) if old_organizer else None,
        "attendee": (old_attendee, GUEST),
    }
    raw = corpus_file(name)
    if name.endswith(".eml"):
        return rewrite_eml(raw, **rewrite)
    ics = rewrite_calendar(raw.decode("utf-8"), **rewrite).encode("utf-8")
    return wrap_ics(ics, sender=GUEST, to=invitation["plus"], message_id=message_id)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_corpus_reply_over_smtp_sets_the_guests_answer(case, invitation, listener, owner):
    answer = case[3]
    raw = message_for(case, invitation, f"<{case[0]}@client.example>")

    send(listener, raw, sender=GUEST, rcpt=invitation["plus"])

    attendee = Attendee.objects.get(pk=invitation["attendee"].pk)
    assert attendee.status == answer
    assert Notification.objects.filter(user=owner).count() == 1

    # The same mail delivered twice changes nothing and tells nobody twice.
    send(listener, raw, sender=GUEST, rcpt=invitation["plus"])
    assert Attendee.objects.get(pk=attendee.pk).status == answer
    assert Notification.objects.filter(user=owner).count() == 1
    assert GuestReplyReceipt.objects.filter(attendee=attendee).count() == 1


@pytest.mark.parametrize("case", ICS_CASES[:1], ids=["apple-ical5"])
def test_corpus_reply_naming_someone_else_changes_nothing(case, invitation, listener, owner):
    name, old_organizer, old_attendee, _answer = case
    rewrite = {
        "uid": invitation["event"].uid,
        "organizer": (old_organizer, invitation["plus"]),
        "attendee": (old_attendee, "intruder@elsewhere.example"),
    }
    ics = rewrite_calendar(corpus_file(name).decode("utf-8"), **rewrite).encode("utf-8")
    raw = wrap_ics(ics, sender=GUEST, to=invitation["plus"], message_id="<x@client.example>")
    send(listener, raw, sender=GUEST, rcpt=invitation["plus"])
    assert Attendee.objects.get(pk=invitation["attendee"].pk).status == "needs-action"
    assert not Notification.objects.exists()


def test_corpus_reply_to_an_unknown_plus_address_changes_nothing(invitation, listener, owner):
    case = ICS_CASES[2]
    raw = message_for(case, invitation, "<y@client.example>")
    send(listener, raw, sender=GUEST, rcpt=f"reply+{'a' * 52}@{DOMAIN}")
    assert Attendee.objects.get(pk=invitation["attendee"].pk).status == "needs-action"


def test_google_reply_to_one_occurrence_in_another_zones_name(
    transactional_db, owner, listener, settings
):
    """Google names the date in Europe/Brussels; the series is in Europe/Berlin."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from events.models import Event

    settings.INBOUND_DOMAIN = DOMAIN
    make_mailbox(owner)
    berlin = ZoneInfo("Europe/Berlin")
    series = event_create(
        owner,
        title="Réunion de rentrée",
        start=dt.datetime(2026, 10, 5, 10, tzinfo=berlin),
        end=dt.datetime(2026, 10, 5, 11, tzinfo=berlin),
        timezone="Europe/Berlin",
        recurrence="FREQ=WEEKLY;COUNT=4",
        guests=[{"email": GUEST, "first_name": "Gina", "last_name": "Guest"}],
    )
    gina = Attendee.objects.get(event=series, guest__isnull=False)
    plus = guest_lib.reply_address(gina)
    ics = rewrite_calendar(
        corpus_file("reply-google-one-occurrence-other-tzid.ics").decode("utf-8"),
        uid=series.uid,
        organizer=("alice@weesky.be", plus),
        attendee=("julie@example.net", GUEST),
    ).encode("utf-8")

    send(
        listener, wrap_ics(ics, sender=GUEST, to=plus, message_id="<g@x>"), sender=GUEST, rcpt=plus
    )

    exception = Event.objects.get(
        series=series, recurrence_id=dt.datetime(2026, 10, 12, 8, tzinfo=dt.UTC)
    )
    assert Attendee.objects.get(event=exception, guest__isnull=False).status == "declined"
    assert Attendee.objects.get(pk=gina.pk).status == "needs-action"
