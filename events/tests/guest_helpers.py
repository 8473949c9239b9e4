"""Helpers for the guest/invitation tests: a confirmed sender mailbox and the outbox read back.

Every outgoing mail is an OutboxMessage row holding the exact bytes that will be sent, so
reading those rows is reading the mail (the SMTP round trip itself is tested separately).
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import zoneinfo
from email.message import EmailMessage

from django.utils import timezone
from icalendar import Calendar

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
#: The domain of the guests' reply addresses in the inbound tests.
INBOUND_DOMAIN = "in.rendezvous.example"

GINA = {"email": "gina@client.example", "first_name": "Gina", "last_name": "Guest"}
HUGO = {"email": "hugo@partner.example", "first_name": "Hugo", "last_name": "Hall"}


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """An instant in June 2026, Berlin wall-clock."""
    return dt.datetime(2026, 6, day, hour, minute, tzinfo=BERLIN)


def make_mailbox(user, email_address: str | None = None, name: str = "Alice at Acme"):
    """A confirmed sender mailbox owned by ``user`` (what the confirmation flow ends in)."""
    from mail.models import SenderMailbox

    return SenderMailbox.objects.create(
        account_id=user.account_id,
        owner=user,
        name=name,
        email=email_address or f"{user.email.split('@')[0]}@mail.acme.test",
        confirmed_at=timezone.now(),
    )


def outbox() -> list[EmailMessage]:
    """Every queued mail, parsed; those the worker renders are rendered first, as it would.

    Not the notices to colleagues (``events.colleague_notices``, read by its own tests):
    guest tests count what guests and organizers get.
    """
    from events.colleague_notices import NOTICE_HEADER
    from mail.delivery import render_pending
    from mail.models import OutboxMessage

    render_pending()
    mails = [
        email.message_from_bytes(row.raw_bytes, policy=email.policy.default)
        for row in OutboxMessage.objects.order_by("id")
        if row.status != OutboxMessage.Status.OBSOLETE
    ]
    return [mail for mail in mails if mail[NOTICE_HEADER] is None]


def clear_outbox() -> None:
    from mail.models import OutboxMessage

    OutboxMessage.objects.all().delete()


def mails_to(address: str) -> list[EmailMessage]:
    return [m for m in outbox() if address.lower() in str(m["To"]).lower()]


def subject(message: EmailMessage) -> str:
    """The decoded Subject (Django folds encoded subjects after "Subject:", hence the strip)."""
    return str(message["Subject"]).strip()


def calendar_part(message: EmailMessage):
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return part
    raise AssertionError("no text/calendar part")


def calendar_of(message: EmailMessage) -> Calendar:
    part = calendar_part(message)
    return Calendar.from_ical(part.get_payload(decode=True))


def vevent_of(message: EmailMessage):
    (vevent,) = calendar_of(message).walk("VEVENT")
    return vevent


def attendee_addresses(vevent) -> list[str]:
    values = vevent.get("ATTENDEE") or []
    if not isinstance(values, list):
        values = [values]
    return [str(v).lower().removeprefix("mailto:") for v in values]


def text_body(message: EmailMessage) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain" and not part.get_filename():
            return part.get_content()
    raise AssertionError("no text/plain part")


def html_body(message: EmailMessage) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/html":
            return part.get_content()
    raise AssertionError("no text/html part")


def link_token_from(message: EmailMessage) -> str:
    """The guest page token in the mail's Accept link."""
    import re

    match = re.search(r"/i/([a-z2-7]+)/\?answer=accepted", text_body(message))
    assert match, text_body(message)
    return match.group(1)


def deliver_to_reply_address(listener, recorder, raw: bytes, attendee) -> list[str]:
    """One SMTP conversation from the guest's server to their reply address; what the
    inbound handler made of it."""
    import smtplib

    from events.guests import reply_address
    from mail.tests.test_inbound_smtp import wait_for

    before = len(recorder.results)
    with smtplib.SMTP("127.0.0.1", listener.port, timeout=30) as client:
        refused = client.sendmail(attendee.guest.email, [reply_address(attendee)], raw)
        assert refused == {}
    wait_for(lambda: len(recorder.results) > before)
    return recorder.results[-1]
