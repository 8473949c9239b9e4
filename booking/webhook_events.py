"""What the account's webhooks are told about bookings (``booking.created``,
``booking.rescheduled``, ``booking.cancelled``, ``booking.declined``), in the booking's
own transaction.

The payload is a contract with other systems (``webhooks.models.PAYLOAD_VERSION``):
written here once, not beside each service.
"""

from __future__ import annotations

from typing import Any

from webhooks.services import emit

from .models import Booking


def booking_data(booking: Booking) -> dict[str, Any]:
    return {
        "id": booking.pk,
        "status": booking.status,
        "start": booking.start,
        "end": booking.end,
        "name": booking.name,
        "email": booking.email,
        "phone": booking.phone,
        "comment": booking.comment,
        "timezone": booking.timezone,
        "language": booking.language,
        "link_id": booking.link_id,
        "owner_id": booking.owner_id,
        "event_id": booking.event_id,
        "event_uid": booking.event.uid,
        "created_at": booking.created_at,
    }


def report(booking: Booking, event_type: str, *, previous: dict[str, Any] | None = None) -> None:
    """``previous``: what changed from (a rescheduled booking's old start and end)."""
    data: dict[str, Any] = {"booking": booking_data(booking)}
    if previous is not None:
        data["previous"] = previous
    emit(booking.owner.account_id, event_type, f"booking:{booking.pk}", data)
