"""What the account's webhooks are told about events: a guest's answer, and a change or
cancellation of an event (``webhooks.services.emit``, in the change's transaction).

Why a module of its own: the payloads are a contract with other systems (versioned in
``webhooks.models.PAYLOAD_VERSION``), so they are written in one place and not as a side
remark of each service.
"""

from __future__ import annotations

from typing import Any

from webhooks.services import emit

from .models import Attendee, Event


def event_data(event: Event) -> dict[str, Any]:
    return {
        "id": event.pk,
        "uid": event.uid,
        "title": event.title,
        "start": event.start,
        "end": event.end,
        "timezone": event.timezone,
        "recurrence": event.recurrence or None,
        "recurrence_id": event.recurrence_id,
        "status": event.status,
        "sequence": event.sequence,
        "organizer_id": event.organizer_id,
    }


def event_changed(event: Event) -> None:
    """``event.changed``: the event (or series) as it is now, cancelled ones included."""
    emit(
        event.account_id,
        "event.changed",
        f"event:{event.uid}",
        {"event": event_data(event)},
    )


def guest_answered(attendee: Attendee) -> None:
    """``guest.answered``: a guest's answer, for the whole event or one date of a series."""
    event = attendee.event
    guest = attendee.guest
    emit(
        event.account_id,
        "guest.answered",
        f"event:{event.uid}",
        {
            "event": event_data(event),
            "guest": {
                "email": guest.email,
                "first_name": guest.first_name,
                "last_name": guest.last_name,
                "status": attendee.status,
            },
        },
    )
