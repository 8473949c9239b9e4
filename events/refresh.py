"""A guest's calendar asks for the event again (iTIP REFRESH, RFC 5546 §3.2.6).

A client that lost the event, or doubts its copy, sends METHOD:REFRESH to the reply
address. The answer is the event as it is now, to that guest alone: the current REQUEST
(with the series and its changed dates), or the CANCEL of an event that was cancelled.
Nothing else changes. A few an hour per guest: a client stuck in a loop cannot turn the
reply address into a mail cannon.
"""

from __future__ import annotations

import logging

from django.db import transaction

from accounts import ratelimit

from . import guests as guest_lib
from . import invitation_queue
from .invitations import Sender, exception_rows, participants, sender_mailbox_for

logger = logging.getLogger("events.refresh")

#: REFRESH answers per guest and hour.
REFRESHES_PER_HOUR = 3

REFRESHED = "refreshed"
UNKNOWN_TOKEN = "unknown_token"
NOT_INVITED = "not_invited"
WRONG_ATTENDEE = "wrong_attendee"
TOO_MANY = "rate-limited"


def answer_refresh(*, token: str, uid: str, attendee_email: str) -> str:
    """Send the guest of reply address ``token`` the event ``uid`` as it is now."""
    attendee = guest_lib.attendee_for_reply_token(token)
    if attendee is None:
        return UNKNOWN_TOKEN
    event = attendee.event
    if uid != event.uid:
        return NOT_INVITED
    if attendee_email.lower() != attendee.guest.email.lower():
        return WRONG_ATTENDEE
    if ratelimit.count(f"guest-refresh:{attendee.pk}", REFRESHES_PER_HOUR, 3600) is not None:
        logger.warning("REFRESH for attendee %s not answered: too many this hour", attendee.pk)
        return TOO_MANY
    everyone = participants(event)
    me = next(a for a in everyone if a.pk == attendee.pk)
    sender = Sender.for_event(event, sender_mailbox_for(event.organizer))
    kind = "cancelled" if event.is_cancelled else "update"
    with transaction.atomic():
        invitation_queue.queue_guest_mails(
            event, [(me, kind)], everyone, sender, exceptions=exception_rows(event)
        )
    return REFRESHED
