"""What a guest writes to their reply address reaches the organizer.

A guest who presses "Reply" and writes "I'll be 10 minutes late" used to reach the inbound
listener, which reads calendar answers only: the mail vanished. Now it is kept (shown on
the event page beside the guest's answer) and forwarded to the organizer: From our system
address ("Gina Guest via Rendezvous"), Reply-To the guest, the original attached. A note
sent with an answer (COMMENT) is kept and forwarded the same way.

Loops and floods: a mail that carries our own forward marker is never forwarded again
(a mailbox that forwards its mail back to the reply address), nor one from our own
system address; each guest's forwards are limited per hour; the same Message-ID twice is
one message; an original over ``MAX_ATTACHED`` bytes is described, not attached.
"""

from __future__ import annotations

import logging
from email.parser import BytesHeaderParser
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts import ratelimit
from mail.services import queue_email
from notifications.services import notify

from . import guests as guest_lib
from .invitations import format_when, one_line, system_address
from .models import Attendee, GuestMessage

logger = logging.getLogger("events.guest_messages")

#: The header our forwards carry; a mail that has it is never forwarded again.
FORWARD_MARKER = "X-Rendezvous-Forwarded"
#: Forwards per guest and hour; more are logged and dropped (a loop, a flood).
FORWARDS_PER_HOUR = 20
#: The largest original attached to a forward, in bytes.
MAX_ATTACHED = 10 * 1024 * 1024

# Outcomes, as ``apply_guest_reply`` reports its own.
FORWARDED = "forwarded"
UNKNOWN_TOKEN = "unknown_token"
LOOP = "loop"
DUPLICATE = "duplicate"
TOO_MANY = "rate-limited"


def receive_guest_message(
    *,
    token: str,
    subject: str,
    text: str,
    raw: bytes,
    message_id: str | None,
    kind: str = GuestMessage.Kind.MESSAGE,
) -> str:
    """Keep what the guest of the reply address ``token`` wrote and forward it to the
    organizer; return the outcome (``forwarded``, or why not)."""
    attendee = guest_lib.attendee_for_reply_token(token)
    if attendee is None:
        return UNKNOWN_TOKEN
    if _is_ours(raw):
        logger.info("guest message for attendee %s not forwarded: it is our own", attendee.pk)
        return LOOP
    message_id = (message_id or "")[:255]
    if (
        message_id
        and GuestMessage.objects.filter(
            attendee=attendee, message_id=message_id, kind=kind
        ).exists()
    ):
        return DUPLICATE
    if ratelimit.count(f"guest-forward:{attendee.pk}", FORWARDS_PER_HOUR, 3600) is not None:
        logger.warning("guest message for attendee %s dropped: too many this hour", attendee.pk)
        return TOO_MANY
    with transaction.atomic():
        kept = GuestMessage.objects.create(
            event=attendee.event,
            attendee=attendee,
            guest=attendee.guest,
            kind=kind,
            subject=subject[:300],
            text=text,
            message_id=message_id,
        )
        _tell_organizer(attendee, kept, raw)
    return FORWARDED


def _is_ours(raw: bytes) -> bool:
    headers = BytesHeaderParser().parsebytes(raw)
    if headers.get(FORWARD_MARKER) is not None:
        return True
    _name, sender = parseaddr(str(headers.get("From", "")))
    _name, system = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return bool(sender) and sender.lower() == system.lower()


def _tell_organizer(attendee: Attendee, kept: GuestMessage, raw: bytes) -> None:
    event = attendee.event
    organizer = event.organizer
    guest = attendee.guest
    url = settings.BASE_URL.rstrip("/") + reverse("events:detail", args=[event.pk])
    with translation.override(organizer.language or settings.LANGUAGE_CODE):
        title = one_line(event.title)
        context = {
            "guest_name": guest.name,
            "guest_email": guest.email,
            "title": title,
            "when": format_when(event),
            "subject": kept.subject,
            "text": kept.text,
            "comment": kept.kind == GuestMessage.Kind.COMMENT,
            "answer": attendee.get_status_display(),
            "attached": len(raw) <= MAX_ATTACHED,
            "url": url,
        }
        notify(
            organizer,
            _("%(guest)s wrote about “%(title)s”.") % {"guest": guest.name, "title": title},
            reverse("events:detail", args=[event.pk]),
        )
        label = _("%(name)s via Rendezvous") % {"name": one_line(guest.name) or guest.email}
        queue_email(
            to=[organizer.email],
            subject=_("Message from %(guest)s: %(subject)s")
            % {"guest": one_line(guest.name), "subject": one_line(kept.subject) or title},
            text=render_to_string("events/email/guest_message-body.txt", context),
            from_email=formataddr((label, system_address())),
            reply_to=[formataddr((one_line(guest.name), guest.email))],
            headers={FORWARD_MARKER: "1"},
            attachments=[("message.eml", raw, "message/rfc822")] if context["attached"] else [],
        )
