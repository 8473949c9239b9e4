"""Moving a booked meeting: the booker chooses another time from the manage link, or the
owner asks them to.

The old time is released only when the new one is confirmed, in one transaction under
the owner lock that bookings take, so "never double-booked" holds for the new time: the
meeting's own time is left out of the busy time it is checked against (it may move by
half an hour and overlap itself), every other meeting counts, and on PostgreSQL the
exclusion constraint over confirmed bookings backs it up. The event keeps its UID and
gets a higher SEQUENCE (RFC 5546), so every calendar that holds it moves it.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.tokens import digest, new_token
from events.exceptions import Conflict
from events.models import Attendee
from notifications.services import notify

from . import emails, webhook_events
from .conflicts import clean_message, is_overlap, taken_conflict
from .models import Booking, BookingLink, BookingSeat
from .selectors import booking_for_manage_token, rules_for, slots_by_person, slots_for_link
from .slots import compute_slots


def change_deadline(booking: Booking) -> dt.datetime | None:
    """Until when the booker may cancel or move the meeting (None: until it starts, or
    the owner asked for another time)."""
    hours = booking.link.changes_until_hours if booking.link_id else 0
    if not hours or booking.new_time_requested_at is not None:
        return None
    return booking.start - dt.timedelta(hours=hours)


def check_change_allowed(booking: Booking, now: dt.datetime) -> None:
    """The owner's "no changes later than N hours before" rule, and no changes to a
    meeting that has begun."""
    if booking.start <= now and booking.new_time_requested_at is None:
        raise Conflict(_("This meeting has already begun."), code="too_late")
    deadline = change_deadline(booking)
    if deadline is not None and now >= deadline:
        raise Conflict(
            _(
                "Changes are possible until %(hours)d hours before the meeting; please write to %(name)s."
            )
            % {"hours": booking.link.changes_until_hours, "name": booking.owner.full_name},
            code="too_late",
        )


def _clean_start(start: object) -> dt.datetime:
    if not isinstance(start, dt.datetime):
        raise ValidationError({"start": _("Choose a time.")})
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValidationError(
            {
                "start": _(
                    "Give a UTC offset (e.g. 2026-05-04T09:00:00+02:00); naive times are ambiguous."
                )
            }
        )
    return start.astimezone(dt.UTC)


def _check_new_time(booking: Booking, start: dt.datetime, now: dt.datetime) -> dt.datetime:
    """The end of the meeting at ``start`` if the link offers that time now, with the
    meeting's own time counted free; raises as a booking would (400 not offered, 409
    taken). Call under the owner lock: the meeting's busy copies are hidden for the
    check and restored when the event is saved."""
    link = booking.link
    minutes = int((booking.end - booking.start).total_seconds() // 60)
    rules = rules_for(link, minutes)
    window_end = start + dt.timedelta(seconds=1)
    ideal = compute_slots(rules, start, window_end, now, busy=[], booked_per_day=None)
    if not ideal or ideal[0].start != start:
        raise ValidationError(
            {"start": _("This time is not offered. Choose one of the listed times.")}
        )
    Attendee.objects.filter(event_id=booking.event_id).update(event_busy=False)
    if link.kind == BookingLink.Kind.ANY:  # the person it went to stays: are they free?
        per_person = slots_by_person(
            link, start, window_end, now=now, duration=minutes, moving=booking.pk
        )
        actual = per_person.get(booking.owner_id, [])
    else:
        actual = slots_for_link(
            link, start, window_end, now=now, duration=minutes, moving=booking.pk
        )
    if not actual or actual[0].start != start:
        raise taken_conflict()
    return actual[0].end


@transaction.atomic
def reschedule_by_booker(
    manage_token: str, start: object, *, now: dt.datetime | None = None
) -> Booking:
    """Move the meeting to ``start`` (a time the link offers now); the booker gets the
    moved meeting (same UID, higher SEQUENCE), the owner is told, webhooks hear
    ``booking.rescheduled``. Moving to the time it has is nothing."""
    now = now or timezone.now()
    found = booking_for_manage_token(manage_token)
    people = {
        found.owner_id,
        *BookingSeat.objects.filter(booking=found).values_list("user_id", flat=True),
    }
    list(
        User.objects.select_for_update(no_key=True)
        .filter(pk__in=people)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    booking = (
        Booking.objects.select_for_update()
        .select_related("owner", "event", "link")
        .get(pk=found.pk)
    )
    if not booking.is_confirmed:
        raise Conflict(_("This meeting was cancelled; it cannot be moved."), code="booking_ended")
    check_change_allowed(booking, now)
    start = _clean_start(start)
    if start == booking.start:
        return booking
    old_start, old_end = booking.start, booking.end
    try:
        with transaction.atomic():  # a savepoint: a refused time leaves nothing changed
            end = _check_new_time(booking, start, now)
            event = booking.event
            event.start, event.end = start, end
            event.sequence += 1
            event.save()  # also restores the attendances' busy copies
            booking.start, booking.end = start, end
            booking.new_time_requested_at = None
            booking.moves += 1
            booking.save(update_fields=["start", "end", "new_time_requested_at", "moves"])
            BookingSeat.objects.filter(booking=booking).update(start=start, end=end)
    except IntegrityError as exc:
        if not is_overlap(exc):
            raise
        raise taken_conflict() from exc
    emails.queue_booker_moved(booking, manage_token, old_start, old_end)
    emails.queue_owner_moved(booking, old_start, old_end)
    owner = booking.owner
    with translation.override(owner.language):
        notify(
            owner,
            _("%(name)s moved “%(title)s” to %(when)s.")
            % {
                "name": booking.name,
                "title": booking.event.title,
                "when": emails.format_when(booking.start, booking.end, owner.timezone),
            },
            emails.owner_booking_url(booking).removeprefix(settings.BASE_URL),
        )
    webhook_events.report(
        booking, "booking.rescheduled", previous={"start": old_start, "end": old_end}
    )
    return booking


@transaction.atomic
def request_new_time(owner: User, booking: Booking, *, message: str = "") -> Booking:
    """The owner asks the booker to choose another time: the booker gets a new private
    link to do so (it replaces the old one, which is only stored as a digest); the
    meeting keeps its time until they choose, and the owner's change deadline does not
    apply to that choice."""
    message = clean_message(message)
    booking = (
        Booking.objects.select_for_update()
        .select_related("owner", "event", "link")
        .get(pk=booking.pk)
    )
    if booking.owner_id != owner.pk:
        raise Http404
    if not booking.is_confirmed:
        raise Conflict(_("This meeting has ended; there is nothing to move."), code="booking_ended")
    if booking.start <= timezone.now():
        raise Conflict(_("This meeting has already begun."), code="too_late")
    token = new_token()
    booking.manage_digest = digest(token)
    booking.new_time_requested_at = timezone.now()
    booking.save(update_fields=["manage_digest", "new_time_requested_at"])
    emails.queue_new_time_request(booking, token, message)
    return booking
