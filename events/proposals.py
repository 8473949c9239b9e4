"""A guest proposes another time; the organizer accepts or declines.

Outlook's and Google's "Propose new time" sends an iTIP COUNTER to the reply address; a
guest without such a client proposes on their own page. Either way the proposal waits on
the event page ("Maria proposes Tue 10:00–11:00: 'the afternoon is better'") with a
notification to the organizer. Accepting moves the event (or that one date) through the
ordinary update, so everyone gets the update and a booked meeting stays unmovable;
declining sends the guest's calendar a DECLINECOUNTER. Nothing moves by itself.
"""

from __future__ import annotations

import datetime as dt
import logging
from email.utils import formataddr
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone as django_timezone
from django.utils import translation
from django.utils.translation import gettext as _

from accounts import ratelimit
from accounts.models import User
from mail.ical import build_calendar
from mail.imip import build_imip_message
from mail.services import queue_message
from notifications.services import notify

from . import guests as guest_lib
from .invitations import (
    Sender,
    format_occurrence,
    guest_calendar_event,
    one_line,
    sender_mailbox_for,
)
from .models import Attendee, Event, Proposal
from .validation import outside_supported_years, range_message

logger = logging.getLogger("events.proposals")

#: Proposals per guest and hour (a client stuck in a loop, a flood).
PROPOSALS_PER_HOUR = 10
#: The longest meeting a guest may propose.
MAX_LENGTH = dt.timedelta(days=14)

PROPOSED = "proposed"
UNKNOWN_TOKEN = "unknown_token"
NOT_INVITED = "not_invited"
WRONG_ATTENDEE = "wrong_attendee"
DUPLICATE = "duplicate"
TOO_MANY = "rate-limited"
UNUSABLE = "unusable"


# --------------------------------------------------------------------------- proposing


class TooManyProposals(ValidationError):
    """More than ``PROPOSALS_PER_HOUR`` from one guest: said on the page, counted by mail."""


def receive_counter(*, token: str, counter: Any, message_id: str | None) -> str:
    """An iTIP COUNTER (``mail.inbound_parse.ParsedCounter``) that reached a reply address."""
    attendee = guest_lib.attendee_for_reply_token(token)
    if attendee is None:
        return UNKNOWN_TOKEN
    event = attendee.event
    if counter.uid != event.uid or event.is_cancelled:
        return NOT_INVITED
    if attendee.guest.email.lower() not in {a.lower() for a in counter.attendees}:
        return WRONG_ATTENDEE
    message_id = (message_id or "")[:255]
    if message_id and Proposal.objects.filter(attendee=attendee, message_id=message_id).exists():
        return DUPLICATE
    try:
        propose(
            attendee,
            start=counter.start,
            end=counter.end,
            comment=counter.comment,
            occurrence=counter.recurrence_id,
            message_id=message_id,
        )
    except TooManyProposals:
        return TOO_MANY
    except ValidationError as exc:
        logger.info("COUNTER for attendee %s not kept: %s", attendee.pk, exc.messages)
        return UNUSABLE
    return PROPOSED


@transaction.atomic
def propose(
    attendee: Attendee,
    *,
    start: dt.datetime,
    end: dt.datetime,
    comment: str = "",
    occurrence: dt.datetime | None = None,
    message_id: str = "",
) -> Proposal:
    """Keep a guest's proposal and tell the organizer; ``ValidationError`` naming the field
    for a time that cannot be (a naive time is a wall time in the event's zone)."""
    event = attendee.event
    if event.is_cancelled:
        raise ValidationError({"start": _("This event was cancelled.")})
    start, end = _aware(start, event), _aware(end, event)
    if end <= start:
        raise ValidationError({"end": _("The end must be after the start.")})
    if end - start > MAX_LENGTH:
        raise ValidationError({"end": _("A proposal can last at most 14 days.")})
    if outside_supported_years(start, end):
        raise ValidationError({"start": range_message()})
    if occurrence is not None:
        occurrence = _aware(occurrence, event)
        engine = event.as_series()
        if engine is None or not engine.is_occurrence(occurrence):
            raise ValidationError({"occurrence": _("This date is not part of the series.")})
    if ratelimit.count(f"guest-proposal:{attendee.pk}", PROPOSALS_PER_HOUR, 3600) is not None:
        raise TooManyProposals({"start": _("Too many proposals: try again in an hour.")})
    proposal = Proposal.objects.create(
        event=event,
        attendee=attendee,
        occurrence=occurrence,
        start=start,
        end=end,
        comment=comment[:2000],
        message_id=message_id,
    )
    organizer = event.organizer
    with translation.override(organizer.language or settings.LANGUAGE_CODE):
        text = _("%(guest)s proposes %(when)s for “%(title)s”.") % {
            "guest": attendee.guest.name,
            "when": format_occurrence(event, start, end),
            "title": one_line(event.title),
        }
    notify(organizer, text, reverse("events:detail", args=[event.pk]))
    return proposal


def _aware(value: dt.datetime, event: Event) -> dt.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=event.zone)
    return value.astimezone(dt.UTC)


# --------------------------------------------------------------------------- deciding


def event_of(proposal_id: Any, actor: User) -> int | None:
    """The event of one of ``actor``'s proposals (as organizer), or None."""
    try:
        pk = int(proposal_id)
    except (TypeError, ValueError):
        return None
    return (
        Proposal.objects.filter(pk=pk, event__organizer=actor)
        .values_list("event_id", flat=True)
        .first()
    )


def _open_proposal(proposal_id: Any, actor: User) -> Proposal:
    try:
        pk = int(proposal_id)
    except (TypeError, ValueError):
        pk = None
    proposal = (
        # Only the proposal row is locked (the guest join is nullable: PostgreSQL refuses
        # FOR UPDATE on it).
        Proposal.objects.select_for_update(of=("self",))
        .select_related("event", "attendee__guest")
        .filter(pk=pk)
        .first()
    )
    if proposal is None or proposal.event.organizer_id != actor.pk:
        raise PermissionDenied(_("No such proposal."))
    if proposal.status != Proposal.Status.OPEN:
        raise ValidationError({"proposal": _("This proposal was already answered.")})
    return proposal


@transaction.atomic
def accept_proposal(proposal_id: Any, actor: User) -> Event:
    """Move the event (or that date) to the proposed time: the ordinary update, so every
    guest and colleague is told and a booked meeting is refused as any edit is."""
    from .services import event_update  # services is the writer; it does not need this

    proposal = _open_proposal(proposal_id, actor)
    event = proposal.event
    if proposal.occurrence is not None:
        moved = event_update(
            event,
            actor,
            scope="this",
            occurrence=proposal.occurrence,
            start=proposal.start,
            end=proposal.end,
        )
    else:
        moved = event_update(event, actor, start=proposal.start, end=proposal.end)
    proposal.status = Proposal.Status.ACCEPTED
    proposal.decided_at = django_timezone.now()
    proposal.save(update_fields=["status", "decided_at"])
    return moved


@transaction.atomic
def decline_proposal(proposal_id: Any, actor: User) -> Proposal:
    """Keep the time; the guest's calendar gets a DECLINECOUNTER (RFC 5546 §3.2.8)."""
    proposal = _open_proposal(proposal_id, actor)
    proposal.status = Proposal.Status.DECLINED
    proposal.decided_at = django_timezone.now()
    proposal.save(update_fields=["status", "decided_at"])
    _send_decline(proposal)
    return proposal


def _send_decline(proposal: Proposal) -> None:
    event = proposal.event
    attendee = proposal.attendee
    sender = Sender.for_event(event, sender_mailbox_for(event.organizer))
    with translation.override(guest_lib.language_of(attendee.guest, event.organizer)):
        vevent = guest_calendar_event(event, attendee, [attendee], sender, only_this_guest=True)
        if proposal.occurrence is not None:
            vevent.rrule, vevent.exdates = None, []
            vevent.recurrence_id = proposal.occurrence
        context = {
            "organizer_name": sender.organizer_name,
            "title": one_line(event.title),
            "proposed": format_occurrence(event, proposal.start, proposal.end),
            "page_url": guest_lib.page_url(attendee),
        }
        subject = _("Your proposal for “%(title)s” was declined") % {"title": context["title"]}
        message = build_imip_message(
            method="DECLINECOUNTER",
            calendar=build_calendar("DECLINECOUNTER", [vevent]),
            subject=subject,
            text=render_to_string("events/email/proposal_declined-body.txt", context),
            html=None,
            from_email=sender.from_email,
            to=[formataddr((one_line(attendee.guest.name), attendee.guest.email))],
        )
    queue_message(message)
