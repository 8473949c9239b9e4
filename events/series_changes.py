"""Writes to one date of a series, or to the dates from one on (scopes "this" and
"following" of ``events.services``): an exception row made or changed, a series split in
two, one date or the tail of a series cancelled.

The whole-event writes these build on (``update_whole``, ``mail_whole`` and the lock
order) stay in ``events.services``, which calls in here; the import is at call time
(``whole``), as the two modules use each other.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import User
from scheduling.recurrence import MAX_EXDATES

from . import guests as guest_lib
from . import invitation_queue, invitations, occurrence_store
from . import series as series_rows
from . import services as whole
from .models import Attendee, Event, new_uid
from .occurrences import Occurrence
from .write_guards import lock_calendars


def occurrence_row(series: Event, row: Event, occurrence: dt.datetime | None) -> Event:
    """The exception row scope "this" acts on (made when the date has none yet)."""
    if row.series_id:
        if occurrence is not None and occurrence != row.recurrence_id:
            raise series_rows.not_an_occurrence(occurrence)
        return row
    if not series.is_series:
        raise ValidationError({"scope": _("This event does not repeat: use scope “all”.")})
    if occurrence is None:
        raise ValidationError({"occurrence": _("Say which occurrence: give its original start.")})
    return series_rows.exception_for(series, occurrence, create=True)


def following_start(series: Event, row: Event, occurrence: dt.datetime | None) -> dt.datetime:
    """The occurrence a "following" scope starts at, checked to be one of the series."""
    if not series.is_series:
        raise ValidationError({"scope": _("This event does not repeat: use scope “all”.")})
    if occurrence is None and row.series_id:
        occurrence = row.recurrence_id
    if occurrence is None:
        raise ValidationError({"occurrence": _("Say which occurrence: give its original start.")})
    if row.series_id and occurrence != row.recurrence_id:
        raise series_rows.not_an_occurrence(occurrence)
    exists = Event.objects.filter(series=series, recurrence_id=occurrence).exists()
    if not exists and not series.as_series().is_occurrence(occurrence):
        raise series_rows.not_an_occurrence(occurrence)
    return occurrence


def update_occurrence(series: Event, exception: Event, actor: User, changes: dict[str, Any]):
    """Scope "this": change one date's exception row (locked; made by the caller if new).

    Guests of that date whose view of it changed get a REQUEST with only its VEVENT
    (RECURRENCE-ID), through their series links; a guest taken off the date gets a
    CANCEL for it alone.
    """
    lock_calendars(
        [
            exception.organizer_id,
            *exception.attendees.filter(user__isnull=False).values_list("user_id", flat=True),
        ]
    )
    cleaned = whole.clean_fields(exception, changes)
    guest_inputs = (
        guest_lib.clean_guests(changes["guests"], exception.organizer)
        if "guests" in changes
        else None
    )
    tokens = {
        a.guest_id: a
        for a in Attendee.objects.filter(event=series, guest__isnull=False).select_related("guest")
    }
    if guest_inputs is not None:
        series_guests = {a.guest.email: a for a in tokens.values()}
        for index, item in enumerate(guest_inputs):
            if item.email not in series_guests:
                raise ValidationError(
                    {
                        f"guests.{index}.email": _(
                            "%(email)s is not a guest of this series: invite guests to the "
                            "whole series (scope “all”)."
                        )
                        % {"email": item.email}
                    }
                )

    before = invitations.participants(exception)
    views_before = {
        a.pk: invitations.guest_view(exception, a, before) for a in before if a.is_guest
    }
    significant = any(
        getattr(exception, f) != cleaned[f] for f in whole.SEQUENCE_FIELDS if f in cleaned
    )
    time_changed = any(
        getattr(exception, f) != cleaned[f] for f in whole.TIME_FIELDS if f in cleaned
    )
    for field in whole.EDITABLE_FIELDS:
        setattr(exception, field, cleaned[field])

    if "attendee_ids" in changes and whole.replace_colleagues(
        exception, [], changes["attendee_ids"]
    ):
        significant = True
    removed_guests: list[Attendee] = []
    if guest_inputs is not None:
        current = {a.guest.email: a for a in before if a.is_guest}
        wanted = {g.email for g in guest_inputs}
        removed_guests = [a for email, a in current.items() if email not in wanted]
        back = [series_guests[g.email].guest_id for g in guest_inputs if g.email not in current]
        guest_lib.upsert_guests(exception.account_id, guest_inputs)
        if removed_guests or back:
            significant = True
        Attendee.objects.filter(pk__in=[a.pk for a in removed_guests]).delete()
        Attendee.objects.bulk_create([Attendee(event=exception, guest_id=g) for g in back])

    if significant:
        exception.sequence = max(exception.sequence, series.sequence) + 1
    if time_changed:
        exception.attendees.filter(guest__isnull=False).update(
            status=Attendee.Status.NEEDS_ACTION,
            answered_sequence=exception.sequence,
            answered_dtstamp=None,
        )
    exception.save()

    after = invitations.participants(exception)
    to_mail: list[tuple[Attendee, str]] = [(a, "occurrence_removed") for a in removed_guests]
    for attendee in after:
        if attendee.is_guest and (
            attendee.pk not in views_before
            or invitations.guest_view(exception, attendee, after) != views_before[attendee.pk]
        ):
            to_mail.append((attendee, "occurrence_update"))
    to_mail = [(a, kind) for a, kind in to_mail if a.guest_id in tokens]
    if to_mail:
        sender = invitations.Sender.for_event(series, invitations.require_sender(actor))
        for attendee, kind in to_mail:
            invitation_queue.queue_guest_mail(
                exception, attendee, after, sender, kind=kind, tokens=tokens[attendee.guest_id]
            )
    return exception


def split_series(
    series: Event, split_at: dt.datetime, actor: User, changes: dict[str, Any]
) -> Event:
    """Scope "following" from a later occurrence: cut the series, start a new one there.

    The new series is written as a copy of the old one from ``split_at`` on, then the
    changes are applied to it as an "all" edit that every guest learns of through a
    fresh invitation (new UID, new links). Its ``guests_first_invited_at`` is the old
    one's, so the quota is neither claimed again nor able to block the split.
    """
    engine = series.as_series()
    rule = engine.rule
    exdates = series_rows.stored_exdates(series)
    later_rule = (
        rule.replace(COUNT=str(rule.count - engine.count_before(split_at))) if rule.count else rule
    )

    series.recurrence = str(engine.until_before(split_at))
    series.exdates = series_rows.store_exdates(d for d in exdates if d < split_at)
    series.sequence += 1
    series.save()

    new = Event(
        **{
            f: getattr(series, f) for f in series_rows.COPIED_FIELDS if f not in ("uid", "sequence")
        },
        uid=new_uid(),
        sequence=0,
        start=split_at,
        end=engine.occurrence_end(split_at),
        recurrence=str(later_rule),
        exdates=series_rows.store_exdates(d for d in exdates if d >= split_at),
        split_from=series,
        guests_first_invited_at=series.guests_first_invited_at,
    )
    new.save()
    series_rows.copy_attendees(series, new, fresh_guests=True)
    moved = list(
        Event.objects.select_for_update()
        .filter(series=series, recurrence_id__gte=split_at)
        .values_list("pk", flat=True)
    )
    if moved:
        Event.objects.filter(pk__in=moved).update(series=new, uid=new.uid)
        # A bulk update sends no signal: both halves' stored occurrences change here.
        occurrence_store.refresh_series_of([series.pk, new.pk])
        Attendee.objects.filter(event_id__in=moved, guest__isnull=False).update(
            status=Attendee.Status.NEEDS_ACTION,
            answered_sequence=None,
            answered_dtstamp=None,
            answered_at=None,
        )

    whole.mail_whole(series, actor, kind="update")
    return whole.update_whole(new, actor, changes, fresh=True)


def cancel_occurrence(series: Event, when: dt.datetime, actor: User) -> None:
    exception = Event.objects.select_for_update().filter(series=series, recurrence_id=when).first()
    engine = series.as_series()
    if exception is None and (engine is None or not engine.is_occurrence(when)):
        raise series_rows.not_an_occurrence(when)
    exdates = series_rows.stored_exdates(series)
    if len(exdates) >= MAX_EXDATES:
        raise ValidationError(
            {"exdates": _("At most %(limit)d excluded dates.") % {"limit": MAX_EXDATES}}
        )
    if exception is not None:
        everyone = invitations.participants(exception)
        gone = Occurrence(exception, exception.start, exception.end, when)
        series.sequence = max(series.sequence, exception.sequence)
    else:
        everyone = invitations.participants(series)
        gone = Occurrence(series, when, engine.occurrence_end(when), when)
    series.sequence += 1
    series.exdates = series_rows.store_exdates([*exdates, when])
    series.save(update_fields=["exdates", "sequence", "series_end", "updated_at"])
    if exception is not None:
        exception.delete()

    guests = [a for a in everyone if a.is_guest]
    if not guests:
        return
    tokens = {
        a.guest_id: a
        for a in Attendee.objects.filter(event=series, guest__isnull=False).select_related("guest")
    }
    sender = invitations.Sender.for_event(series, invitations.sender_mailbox_for(actor))
    for attendee in guests:
        if attendee.guest_id in tokens:
            invitation_queue.queue_guest_mail(
                series,
                attendee,
                everyone,
                sender,
                kind="occurrence_cancelled",
                tokens=tokens[attendee.guest_id],
                occurrence=gone,
            )


def cut_series(series: Event, split_at: dt.datetime, actor: User) -> None:
    """Cancel ``split_at`` and every later occurrence: the series ends before it."""
    engine = series.as_series()
    later = Event.objects.filter(series=series, recurrence_id__gte=split_at)
    top = max([series.sequence, *later.values_list("sequence", flat=True)])
    later.delete()
    series.recurrence = str(engine.until_before(split_at))
    series.exdates = series_rows.store_exdates(
        d for d in series_rows.stored_exdates(series) if d < split_at
    )
    series.sequence = top + 1
    series.save()
    whole.mail_whole(series, actor, kind="update")
