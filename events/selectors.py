"""Reads of events that more than one caller needs (pages, API, free/busy)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from accounts.models import User

from .models import Attendee, Event, GuestMessage, Proposal
from .occurrences import Occurrence, busy_blocks, busy_intervals, busy_spans, expand, window_q

__all__ = [
    "busy_blocks",
    "busy_intervals",
    "busy_spans",
    "events_in_range",
    "get_event_for_organizer",
    "get_event_for_user",
    "occurrences_in_range",
    "visible_events",
]


def visible_events(user: User) -> QuerySet[Event]:
    """Events the user organizes or is invited to, always inside the user's own account."""
    return (
        Event.objects.filter(account_id=user.account_id)
        .filter(Q(organizer=user) | Q(attendees__user=user))
        .distinct()
    )


def events_in_range(
    user: User, start: dt.datetime, end: dt.datetime, *, include_cancelled: bool = False
) -> list[Event]:
    """Events (single, series, changed occurrences) that can touch the window; not expanded."""
    qs = visible_events(user).filter(window_q(start, end))
    if not include_cancelled:
        qs = qs.exclude(status=Event.Status.CANCELLED)
    return list(
        qs.select_related("organizer").prefetch_related(
            Prefetch("attendees", queryset=Attendee.objects.select_related("user", "guest")),
            "attachments",
        )
    )


def is_booked(event: Event) -> bool:
    """Booked through a booking link: such a meeting may be declined (booking app), not
    edited, and has no attachments (the booker could not download them)."""
    return Event.objects.filter(pk=event.pk, booking__isnull=False).exists()


def get_event_for_user(user: User, event_id: int) -> Event:
    """The event if the user may see it; any other id (foreign, missing) is the same 404."""
    event = (
        visible_events(user)
        .select_related("organizer")
        .prefetch_related(
            Prefetch("attendees", queryset=Attendee.objects.select_related("user", "guest")),
            "attachments",
        )
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        raise Http404("No such event.")
    return event


def get_event_for_organizer(user: User, event_id: int) -> Event:
    event = get_event_for_user(user, event_id)
    if event.organizer_id != user.pk:
        raise Http404("No such event.")
    return event


def occurrences_in_range(
    user: User, start: dt.datetime, end: dt.datetime, *, include_cancelled: bool = False
) -> list[Occurrence]:
    """What the user (organizer or invited) has on in the window, series expanded."""
    return expand(
        events_in_range(user, start, end, include_cancelled=include_cancelled), start, end
    )


def open_proposals(event: Event, viewer: User) -> dict[int, list[Proposal]]:
    """Guests' proposals of another time still waiting for an answer, by guest id: for
    the organizer only."""
    if event.organizer_id != viewer.pk:
        return {}
    found: dict[int, list[Proposal]] = {}
    rows = Proposal.objects.filter(
        event_id=event.series_id or event.pk, status=Proposal.Status.OPEN
    ).select_related("attendee")
    for proposal in rows:
        found.setdefault(proposal.attendee.guest_id, []).append(proposal)
    return found


def guest_notes(event: Event, viewer: User) -> dict[int, list[GuestMessage]]:
    """What each guest wrote about ``event`` (its series, for a changed date), by guest
    id, oldest first: for the organizer only; anyone else gets nothing."""
    if event.organizer_id != viewer.pk:
        return {}
    notes: dict[int, list[GuestMessage]] = {}
    for note in GuestMessage.objects.filter(event_id=event.series_id or event.pk):
        notes.setdefault(note.guest_id, []).append(note)
    return notes
