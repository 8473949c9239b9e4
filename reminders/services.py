"""Which reminders are due now, and sending each exactly once.

What is due is read from the meetings as they are: a booking's link says how long before
(``BookingLink.reminders``) and an event says it for itself or, for a changed date of a
series, through its series (``Event.reminders``). A cancelled meeting has nothing due; a
moved one is due at its new time (the ledger is keyed by the occurrence's start).

"Never in the past": a reminder whose time had already passed when the meeting got its
current time (booked 30 minutes ahead, or moved to 30 minutes from now) is not sent. A
reminder that fell due while no worker ran goes out late, as long as the meeting has not
begun. Each goes in the recipient's language and time zone.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from booking import emails as booking_emails
from booking.models import Booking
from events.models import Attendee, Event
from events.occurrences import expand, window_q
from mail.services import queue_email
from scheduling.reminders import CHOICES, due_at

from .models import SentReminder

logger = logging.getLogger(__name__)

#: How far ahead a sweep looks: the longest reminder, plus a DST hour and a margin.
LOOKAHEAD = dt.timedelta(minutes=max(CHOICES)) + dt.timedelta(hours=2)


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    language: str
    zone: str
    title: str


@dataclass(frozen=True)
class Due:
    event: Event
    start: dt.datetime
    end: dt.datetime
    minutes: int
    recipient: Recipient
    video_url: str
    location: str


def _booked(now: dt.datetime, horizon: dt.datetime) -> list[Due]:
    bookings = (
        Booking.objects.filter(status=Booking.Status.CONFIRMED, start__gt=now, start__lte=horizon)
        .exclude(link__reminders=[])
        .select_related("event", "link", "owner")
    )
    out = []
    for booking in bookings:
        event, owner = booking.event, booking.owner
        with translation.override(booking.language):
            booker_title = booking_emails.booker_title(booking)
        people = [
            Recipient(booking.email, booking.name, booking.language, booking.timezone, booker_title)
        ]
        if owner.wants_reminders and owner.is_active:
            people.append(
                Recipient(owner.email, owner.full_name, owner.language, owner.timezone, event.title)
            )
        for minutes in booking.link.reminders:
            for person in people:
                out.append(Due(event, booking.start, booking.end, minutes, person,
                               event.video_url, event.location))  # fmt: skip
    return out


def _events(now: dt.datetime, horizon: dt.datetime) -> list[Due]:
    events = (
        Event.objects.filter(window_q(now, horizon))
        .exclude(status=Event.Status.CANCELLED)
        .filter(~Q(reminders=[]) | (Q(series__isnull=False) & ~Q(series__reminders=[])))
        .filter(booking__isnull=True)  # a booked meeting's reminders are its link's
        .select_related("series", "organizer")
    )
    out = []
    occurrences = [o for o in expand(events, now, horizon) if o.start > now]
    rows = {o.event.pk for o in occurrences}
    attendees: dict[int, list[Attendee]] = {}
    for attendee in (
        Attendee.objects.filter(event_id__in=rows)
        .exclude(status=Attendee.Status.DECLINED)
        .select_related("guest", "user")
    ):
        attendees.setdefault(attendee.event_id, []).append(attendee)
    for occurrence in occurrences:
        row = occurrence.event
        offsets = row.reminders or (row.series.reminders if row.series_id else [])
        organizer = row.organizer
        people = []
        for attendee in attendees.get(row.pk, []):
            if attendee.guest_id is not None:
                guest = attendee.guest
                name = f"{guest.first_name} {guest.last_name}".strip()
                language = guest.language or organizer.language
                people.append(Recipient(guest.email, name, language, row.timezone, row.title))
            elif attendee.user is not None and attendee.user.wants_reminders:
                user = attendee.user
                if user.is_active:
                    people.append(
                        Recipient(
                            user.email, user.full_name, user.language, user.timezone, row.title
                        )
                    )
        for minutes in offsets:
            for person in people:
                out.append(Due(row, occurrence.start, occurrence.end, minutes, person,
                               row.video_url, row.location))  # fmt: skip
    return out


def due_now(now: dt.datetime | None = None) -> list[Due]:
    """Every reminder due at ``now`` and not yet sent (the ledger decides the last)."""
    now = now or timezone.now()
    horizon = now + LOOKAHEAD
    due = []
    for item in _booked(now, horizon) + _events(now, horizon):
        when = due_at(item.start, item.minutes, item.event.timezone)
        scheduled = item.event.updated_at  # when the meeting last got its time (or later)
        if when <= now and when >= scheduled and item.start > now:
            due.append(item)
    return due


def send_due(now: dt.datetime | None = None) -> int:
    """Send what is due; returns how many went. Each reminder is its own transaction:
    the ledger row and the queued mail commit together, and a second worker's row for
    the same reminder fails on the unique constraint, so it sends nothing."""
    sent = 0
    for item in due_now(now):
        try:
            with transaction.atomic():
                SentReminder.objects.create(
                    event=item.event,
                    occurrence_start=item.start,
                    minutes_before=item.minutes,
                    recipient=item.recipient.email.lower(),
                )
                _queue(item)
        except IntegrityError:
            continue  # already sent (by us earlier, or by another worker just now)
        sent += 1
    return sent


def _queue(item: Due) -> None:
    person = item.recipient
    with translation.override(person.language or settings.LANGUAGE_CODE):
        when = booking_emails.format_when(item.start, item.end, person.zone)
        context = {"item": item, "person": person, "when": when}
        subject = "".join(
            render_to_string("reminders/email/reminder_subject.txt", context).splitlines()
        ).strip()
        text = render_to_string("reminders/email/reminder.txt", context)
    queue_email(to=[person.email], subject=subject, text=text)
