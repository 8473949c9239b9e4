"""The guards and locks every write to an event takes, in this order: the event's rows
(``lock_event``), then the organizer check and the booked-meeting rule, then the
calendars whose busy time changes (``lock_calendars``). Shared by the verbs that create,
change, cancel and answer, so they all queue up the same way instead of deadlocking.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from accounts.models import User

from . import selectors
from . import series as series_rows
from .exceptions import Conflict
from .models import Event


def check_organizer(event: Event, actor: User) -> None:
    if event.organizer_id != actor.pk:
        raise PermissionDenied(_("Only the organizer can change this event."))


def lock_calendars(user_ids: Iterable[int]) -> None:
    """Row-lock the people whose busy time this write changes, in id order.

    The booking service holds the same lock while it re-checks a slot, so a booking and
    an event written at the same moment for one person are serialised: the later one
    sees the earlier (invariant 5). NO KEY UPDATE does not block inserts that merely
    reference the user.
    """
    ids = sorted(set(user_ids))
    list(User.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk").values("pk"))


def refuse_booked(event: Event) -> None:
    if selectors.is_booked(event):
        raise Conflict(
            _(
                "This meeting was booked through your booking link: it cannot be changed, "
                "only declined (the booker is then told)."
            ),
            code="booked_meeting",
        )


def lock_event(event: Event) -> tuple[Event, Event]:
    """Lock and reload ``event`` and, for an exception row, its series first.

    Returns (series or single event, the row asked for). A changed occurrence that was
    cancelled meanwhile (its row deleted) is no occurrence any more.
    """
    series_id = Event.objects.filter(pk=event.pk).values_list("series_id", flat=True).first()
    if series_id is None:
        row = Event.objects.select_for_update().get(pk=event.pk)
        return row, row
    series = Event.objects.select_for_update().get(pk=series_id)
    row = Event.objects.select_for_update().filter(pk=event.pk).first()
    if row is None:
        raise series_rows.not_an_occurrence(event.recurrence_id or event.start)
    return series, row
