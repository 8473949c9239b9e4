"""Cancelling an event, a series, one date of it or the dates from one on.

Cancel rather than delete: the UID and its history stay, so late answers still find the
event and attendees can be told.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User

from . import colleague_notices, invitations, series_changes, webhook_events
from . import series as series_rows
from .models import Event
from .services import mail_whole
from .write_guards import check_organizer, lock_event, refuse_booked


@transaction.atomic
def event_cancel(
    event: Event,
    actor: User,
    *,
    scope: str = "all",
    occurrence: dt.datetime | None = None,
    booked_ok: bool = False,
) -> Event:
    """Cancel rather than delete: the UID and history stay, attendees can be told.

    Scope "all": the event, or the series and every changed occurrence, is cancelled;
    guests get a CANCEL. Scope "this" (``occurrence``, or ``event`` an exception row):
    that date becomes an EXDATE of the series, its exception row (if any) is deleted,
    the series' SEQUENCE grows, and the date's guests get a CANCEL with RECURRENCE-ID and
    that SEQUENCE. Scope "following": the series ends before that date (UNTIL), later
    changed occurrences and EXDATEs go, guests get the cut series as a REQUEST (on the
    first occurrence this is "all"). Returns the series (or single event).

    A booked meeting is cancelled only by the booking app (``booked_ok``), which also
    tells the booker; anyone else gets a Conflict. The account's webhooks hear of it
    (``event.changed``) when something was cancelled.
    """
    series_pk = event.series_id or event.pk
    sequence_before = Event.objects.filter(pk=series_pk).values_list("sequence", flat=True).first()
    series = _cancel(event, actor, scope, occurrence, booked_ok)
    if series.sequence != sequence_before:
        webhook_events.event_changed(series)
    return series


def _cancel(
    event: Event,
    actor: User,
    scope: str,
    occurrence: dt.datetime | None,
    booked_ok: bool,
) -> Event:
    scope = series_rows.clean_scope(scope)
    occurrence = series_rows.clean_occurrence(occurrence)
    series, row = lock_event(event)
    check_organizer(row, actor)
    if not booked_ok:
        refuse_booked(series)
    colleagues = colleague_notices.colleagues_of(row).values()
    if scope == "this":
        if row.series_id is None and not series.is_series:
            raise ValidationError({"scope": _("This event does not repeat: use scope “all”.")})
        when = row.recurrence_id if row.series_id else occurrence
        if when is None:
            raise ValidationError(
                {"occurrence": _("Say which occurrence: give its original start.")}
            )
        if occurrence is not None and occurrence != when:
            raise series_rows.not_an_occurrence(occurrence)
        if not series.is_cancelled:
            series_changes.cancel_occurrence(series, when, actor)
            date = invitations.format_occurrence(series, when, when + (series.end - series.start))
            colleague_notices.tell_colleagues(series, actor, colleagues, "cancelled", when=date)
        return series
    if scope == "following" and not series.is_cancelled:
        split_at = series_changes.following_start(series, row, occurrence)
        if split_at != series.start:
            series_changes.cut_series(series, split_at, actor)
            colleague_notices.tell_colleagues(series, actor, colleagues, "changed")
            return series
    if not series.is_cancelled:
        series.status = Event.Status.CANCELLED
        series.sequence += 1
        series.save(update_fields=["status", "sequence", "updated_at"])
        for exception in Event.objects.select_for_update().filter(series=series):
            exception.status = Event.Status.CANCELLED
            exception.sequence = max(exception.sequence + 1, series.sequence)
            exception.save(update_fields=["status", "sequence", "updated_at"])
        mail_whole(series, actor, kind="cancelled")
        colleague_notices.tell_colleagues(series, actor, colleagues, "cancelled")
    return series
