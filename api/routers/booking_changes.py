"""Moving a booked meeting through the API: the booker's private link chooses another
time; the owner asks for one (``booking.rescheduling``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router

from booking import rescheduling, selectors, services
from booking.ratelimit import PublicRateThrottle

from ..schemas import Instant, _Input, answers
from .booking import (
    DeclineIn,
    OwnerBookingOut,
    PublicBookingOut,
    _public_headers,
    optional_message,
    owner_booking_out,
)

router = Router(tags=["booking"])


class RescheduleIn(_Input):
    start: Instant = Field(description="A listed slot of the link, ISO 8601 with offset.")


@router.post(
    "/public/booking/manage/{token}/reschedule",
    auth=None,
    throttle=[PublicRateThrottle("bookings")],
    response=answers(200, PublicBookingOut, 400, 404, 409, 422),
    summary="Move a booked meeting (public, with the private manage token)",
)
def reschedule(
    request: HttpRequest, token: str, payload: RescheduleIn, response: HttpResponse
) -> dict[str, Any]:
    """The old time is released only when the new one is confirmed; 409 ``slot_taken``
    when the new time was just taken, ``too_late`` past the owner's deadline,
    ``booking_ended`` for a cancelled or declined meeting. Slots: the link's public
    slots for the meeting's length."""
    booking = rescheduling.reschedule_by_booker(token, payload.start)
    _public_headers(response)
    return services.public_booking_body(booking)


@router.post(
    "/bookings/{booking_id}/request-new-time",
    response=answers(200, OwnerBookingOut, 400, 404, 409, 422),
    summary="Ask the booker to choose another time",
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": DeclineIn.model_json_schema()}},
        }
    },
)
def request_new_time(request: HttpRequest, booking_id: int) -> dict[str, Any]:
    """The booker is e-mailed a new private link to choose; the meeting keeps its time
    until they do, and your change deadline does not apply to that choice. The optional
    JSON body's ``message`` is a word to the booker in that e-mail."""
    booking = selectors.get_booking_for_owner(request.auth, booking_id)
    return owner_booking_out(
        rescheduling.request_new_time(request.auth, booking, message=optional_message(request))
    )
