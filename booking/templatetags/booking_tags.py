"""Template helpers for pages of other apps that show booked meetings."""

from __future__ import annotations

from django import template

from booking.models import Booking
from booking.selectors import booking_for_event

register = template.Library()


@register.simple_tag
def booking_of(event) -> Booking | None:
    """The booking behind ``event`` (one query), or None for an ordinary event."""
    return booking_for_event(event.pk)
