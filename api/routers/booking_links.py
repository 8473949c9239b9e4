"""``/booking-links``: an employee's meeting types, each a booking link of its own.

``/booking-link`` (``api.routers.booking``) stays the first of them, as it always was.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Status

from booking import selectors, services
from booking.links import create_meeting_type, remove_meeting_type

from ..schemas import Id, answers
from .booking import BookingLinkIn, BookingLinkOut, link_out

router = Router(tags=["booking"])


class BookingLinkPatch(BookingLinkIn):
    enabled: bool = Field(  # type: ignore[assignment]
        None, description="true switches the link on (minting one), false kills it."
    )


@router.get(
    "/booking-links", response=answers(200, list[BookingLinkOut]), summary="My meeting types"
)
def list_links(request: HttpRequest) -> list[dict[str, Any]]:
    return [link_out(link) for link in selectors.links_for_owner(request.auth)]


@router.post(
    "/booking-links",
    response=answers(201, BookingLinkOut, 400, 422),
    summary="Add a meeting type (switched on)",
)
def add_link(request: HttpRequest, payload: BookingLinkIn) -> Status:
    """Needs a ``name``; the other settings start from the defaults."""
    changes = payload.dict(exclude_unset=True)
    changes.pop("new_link", None)
    link, _token = create_meeting_type(request.auth, changes)
    return Status(201, link_out(link))


@router.get(
    "/booking-links/{link_id}",
    response=answers(200, BookingLinkOut, 404, 422),
    summary="One meeting type",
)
def get_link(request: HttpRequest, link_id: Id) -> dict[str, Any]:
    return link_out(selectors.owned_link(request.auth, link_id))


@router.patch(
    "/booking-links/{link_id}",
    response=answers(200, BookingLinkOut, 400, 404, 422),
    summary="Change a meeting type; switch it on or off; renew its link",
)
def patch_link(request: HttpRequest, link_id: Id, payload: BookingLinkPatch) -> dict[str, Any]:
    """Absent fields keep their value. ``new_link: true`` mints a new URL and kills the
    old one at once; ``enabled: false`` kills it and keeps the settings."""
    link = selectors.owned_link(request.auth, link_id)
    changes = payload.dict(exclude_unset=True)
    new_link = bool(changes.pop("new_link", False))
    enabled = changes.pop("enabled", None)
    link, _token = services.configure_link(
        request.auth, changes, switch_on=enabled is True, new_link=new_link, link=link
    )
    if enabled is False:
        link = services.switch_off(request.auth, link) or link
    return link_out(link)


@router.delete(
    "/booking-links/{link_id}",
    response=answers(204, None, 400, 404, 422),
    summary="Remove a meeting type",
)
def delete_link(request: HttpRequest, link_id: Id) -> Status:
    """Its link dies at once; its bookings stay. The only meeting type cannot be
    removed (switch it off)."""
    remove_meeting_type(request.auth, selectors.owned_link(request.auth, link_id))
    return Status(204, None)
