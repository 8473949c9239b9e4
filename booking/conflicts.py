"""What booking, moving and declining share: the "just taken" conflict, PostgreSQL's own
overlap refusals, and the owner's note to a booker.

Why a module of its own: ``services`` (booking, declining) and ``rescheduling`` (moving,
asking for another time) both need them, and neither should import the other for it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils.translation import gettext as _

from events.exceptions import Conflict

#: A note to the booker (on decline, when asking for another time) is a few lines.
MAX_MESSAGE = 2000
_OVERLAP_CONSTRAINTS = ("booking_confirmed_no_overlap", "booking_seat_no_overlap")


def taken_conflict() -> Conflict:
    return Conflict(_("This time was just taken. Please choose another."), code="slot_taken")


def is_overlap(exc: IntegrityError) -> bool:
    """PostgreSQL's own guarantee behind the locks: an owner's or a seat's overlap."""
    return any(name in str(exc) for name in _OVERLAP_CONSTRAINTS)


def clean_message(message: str) -> str:
    """The owner's note to a booker: plain text, a few lines; errors name ``message``."""
    message = (message or "").strip().replace("\r\n", "\n")
    if len(message) > MAX_MESSAGE:
        raise ValidationError(
            {"message": _("Keep the message under %(max)d characters.") % {"max": MAX_MESSAGE}}
        )
    if any(ord(c) < 32 and c not in "\n\t" for c in message):
        raise ValidationError({"message": _("The message contains control characters.")})
    return message
