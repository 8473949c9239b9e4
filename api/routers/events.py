"""``/events`` and ``/events/{id}``: my events.

Every lookup goes through ``events.selectors.get_event_for_user``: an event of another
account, or one the caller neither organizes nor attends, is a 404 exactly like a
missing id. Changing or cancelling is for the organizer only (an attendee gets 403).

Recurring events: the list gives one entry per occurrence; ``PATCH``/``DELETE`` take
``?scope=all|this|following&occurrence=<original start>`` (see ``events.services``).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from events.cancelling import event_cancel
from events.selectors import get_event_for_user, occurrences_in_range
from events.services import event_create, event_update

from ..schemas import (
    EventIn,
    EventOut,
    EventPatch,
    EventsQuery,
    ScopeQuery,
    answers,
    event_out,
)

router = Router(tags=["events"])


@router.get("/events", response=answers(200, list[EventOut], 422), summary="My events in a range")
def list_events(request: HttpRequest, query: Query[EventsQuery]) -> list[dict[str, Any]]:
    """Events I organize or attend that overlap [start, end), ordered by start.

    A series appears once per occurrence in the range, with that occurrence's ``start``,
    ``end`` and ``recurrence_id``; ``id`` is the series' (or, for a changed occurrence,
    its own row's). Cancelled events are left out unless ``include_cancelled=true``.
    The range may cover at most 366 days.
    """
    found = occurrences_in_range(
        request.auth, query.start, query.end, include_cancelled=query.include_cancelled
    )
    return [event_out(o.event, o) for o in found]


@router.post(
    "/events", response=answers(201, EventOut, 400, 403, 409, 422), summary="Create an event"
)
def create_event(request: HttpRequest, payload: EventIn) -> Status:
    """I become the organizer; ``attendee_ids`` invites colleagues of my account, ``guests``
    external people by e-mail (each gets an iMIP invitation From my sender mailbox).
    ``recurrence`` (RRULE) makes a series starting at ``start``; 400 naming
    ``recurrence`` or ``exdates`` says why one is refused.

    409 ``sender_mailbox_required``: guests need a confirmed sender mailbox first.
    403 ``plan_limit_reached``: the free plan's 10 events with guests are used up.
    """
    event = event_create(request.auth, **payload.dict())
    return Status(201, event_out(get_event_for_user(request.auth, event.pk)))


@router.get("/events/{event_id}", response=answers(200, EventOut, 404, 422), summary="One event")
def get_event(request: HttpRequest, event_id: int) -> dict[str, Any]:
    return event_out(get_event_for_user(request.auth, event_id))


@router.patch(
    "/events/{event_id}",
    response=answers(200, EventOut, 400, 403, 404, 409, 422),
    summary="Change an event",
)
def patch_event(
    request: HttpRequest, event_id: int, payload: EventPatch, query: Query[ScopeQuery]
) -> dict[str, Any]:
    """Organizer only. Absent fields keep their value; SEQUENCE grows on significant changes.

    Guests are told what they can see of a change (an update, an invitation, or a
    cancellation for a guest left out of ``guests``); errors as for POST.

    ``scope=this`` changes one occurrence (``occurrence``) and answers with its changed
    occurrence (its own ``id``); ``scope=following`` splits the series there and answers
    with the new series; ``recurrence``/``exdates`` are for the whole series only.
    """
    event = get_event_for_user(request.auth, event_id)
    changed = event_update(
        event,
        request.auth,
        scope=query.scope,
        occurrence=query.occurrence,
        **payload.dict(exclude_unset=True),
    )
    return event_out(get_event_for_user(request.auth, changed.pk))


@router.delete(
    "/events/{event_id}",
    response=answers(200, EventOut, 403, 404, 409, 422),
    summary="Cancel an event",
)
def delete_event(request: HttpRequest, event_id: int, query: Query[ScopeQuery]) -> dict[str, Any]:
    """Organizer only. The event is cancelled, not erased: its UID and history stay,
    so attendees can be told (every guest gets an iMIP CANCEL). Answers 200 with the
    cancelled event (``status`` is ``"cancelled"``); cancelling again is harmless and
    answers the same.

    ``scope=this`` takes one occurrence out (it becomes one of the series' ``exdates``;
    guests get a CANCEL for that date), ``scope=following`` ends the series before
    ``occurrence``; both answer with the series, still confirmed.
    """
    event = get_event_for_user(request.auth, event_id)
    series = event_cancel(event, request.auth, scope=query.scope, occurrence=query.occurrence)
    return event_out(get_event_for_user(request.auth, series.pk))
