"""Guest mail into the outbox: rendered now, or by the worker after the request.

``events.invitations`` builds a guest's message; this module decides *when*. Mail about a
whole event whose rows outlive the request (invitation, update, cancellation) is written
as outbox rows that the worker renders (``render_guest_mail``, registered in
``EventsConfig.ready``): an event with a thousand guests costs its request a thousand
inserts, not a thousand iMIP messages. What will not exist later (a removed guest's row,
a cancelled date's row) is rendered now.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.mail import EmailMessage

from mail.services import queue_later, queue_message

from .invitations import ExceptionRow, Sender, build_guest_mail, exception_rows, participants
from .models import Attendee, Event

if TYPE_CHECKING:
    from .occurrences import Occurrence


def queue_guest_mail(
    event: Event,
    attendee: Attendee,
    everyone: Sequence[Attendee],
    sender: Sender,
    *,
    kind: str,
    tokens: Attendee | None = None,
    occurrence: Occurrence | None = None,
) -> None:
    """Queue one guest mail rendered now, for what will not exist any more later: a
    guest taken off (their row is deleted) or a date cancelled (its row is deleted)."""
    message = build_guest_mail(
        event, attendee, everyone, sender, kind=kind, tokens=tokens, occurrence=occurrence
    )
    queue_message(message)


#: Kinds about a whole event whose rows outlive the request: rendered by the worker.
LATER_KINDS = ("invitation", "update", "cancelled")
RENDERER = "events.guest_mail"


def queue_guest_mails(
    event: Event,
    mails: Sequence[tuple[Attendee, str]],
    everyone: Sequence[Attendee],
    sender: Sender,
    *,
    exceptions: Sequence[ExceptionRow] = (),
) -> None:
    """Queue ``(guest, kind)`` mails about the whole ``event`` (a single event or series).

    Invitations, updates and cancellations are written as outbox rows that the worker
    renders (``render_guest_mail``): an event with a thousand guests costs its request a
    thousand inserts, not a thousand iMIP messages. A removed guest's CANCEL is rendered
    now, while their row still exists.
    """
    later = []
    for attendee, kind in mails:
        if kind in LATER_KINDS:
            args = {
                "event": event.pk,
                "attendee": attendee.pk,
                "kind": kind,
                "sender": [sender.from_email, sender.address, sender.organizer_name],
            }
            later.append((args, [attendee.guest.email]))
        else:
            message = build_guest_mail(
                event, attendee, everyone, sender, kind=kind, exceptions=exceptions
            )
            queue_message(message)
    queue_later(RENDERER, later)


def render_guest_mail(args: dict[str, Any], memo: dict[Any, Any]) -> EmailMessage | None:
    """The worker's half of ``queue_guest_mails``: the message as the event is *now*.

    A guest invited and then updated before the worker ran gets the latest version
    twice rather than an outdated one. Nothing is sent to a guest no longer on the
    event, nor an invitation or update to a cancelled event (its CANCEL is queued).
    """
    key = (RENDERER, args["event"])
    if key not in memo:
        event = Event.objects.select_related("organizer").filter(pk=args["event"]).first()
        everyone = participants(event) if event else []
        guests = {a.pk: a for a in everyone if a.is_guest}
        memo[key] = event and (event, everyone, guests, exception_rows(event))
    if not memo[key]:
        return None
    event, everyone, guests, exceptions = memo[key]
    attendee = guests.get(args["attendee"])
    kind = args["kind"]
    if attendee is None or event.is_cancelled != (kind == "cancelled"):
        return None
    return build_guest_mail(
        event,
        attendee,
        everyone,
        Sender(*args["sender"]),
        kind=kind,
        exceptions=exceptions if kind != "cancelled" else (),
    )
