"""A calendar app's PUT and DELETE, carried out by the same services as the pages.

So a client gets the same rules and side effects as a person in the browser: a new
event with an external ATTENDEE sends our iMIP invitation (the server schedules, RFC 6638
§3.2: the client need not and should not mail anyone), a moved one sends the update, a
deleted one the cancellation; the free plan's quota, the sender mailbox, "a booked
meeting is not edited" hold. Everything happens in one transaction: a refused object
leaves nothing half-written.

What an attendee (a colleague invited by someone else) can do from a client is answer:
their PARTSTAT is applied, any other change is not theirs to make and is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import User
from events.answers import attendee_respond
from events.cancelling import event_cancel
from events.exceptions import Conflict
from events.models import Attendee, Event
from events.occurrences import occurrence_of
from events.selectors import is_booked, visible_events
from events.services import event_create, event_update

from . import calendar_objects
from .models import ObjectName
from .object_import import IncomingEvent, IncomingObject, ObjectError, read_object

ANSWERS = {
    "ACCEPTED": Attendee.Status.ACCEPTED,
    "DECLINED": Attendee.Status.DECLINED,
    "TENTATIVE": Attendee.Status.TENTATIVE,
}


class WriteRefused(Exception):
    """The write breaks a rule; ``status`` and ``condition`` for the client, ``message``
    for the person (in their language)."""

    def __init__(self, status: int, message: str, condition: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.condition = status, message, condition


@dataclass(frozen=True)
class Written:
    created: bool


def _refuse_services(exc: Exception) -> WriteRefused:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            text = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        else:
            text = " ".join(exc.messages)
        return WriteRefused(403, text, "valid-calendar-object-resource")
    if isinstance(exc, Conflict):
        return WriteRefused(409, exc.message)
    return WriteRefused(403, str(exc) or _("You may not do this."))


def _check_preconditions(current, if_match: str | None, if_none_match: str | None) -> None:
    if if_none_match is not None:
        tags = [t.strip() for t in if_none_match.split(",")]
        if current is not None and ("*" in tags or current.etag in tags):
            raise WriteRefused(412, _("The object exists already."))
    if if_match is not None:
        tags = [t.strip() for t in if_match.split(",")]
        if current is None or ("*" not in tags and current.etag not in tags):
            raise WriteRefused(412, _("The object changed since you read it."))


def _people(user: User, incoming: IncomingEvent) -> dict[str, Any]:
    """Colleagues by their address, everyone else as a guest; the organizer left out."""
    emails = {p.email for p in incoming.attendees} - {user.email.lower()}
    colleagues = dict(
        User.objects.filter(account_id=user.account_id, email__in=emails).values_list("email", "pk")
    )
    guests = []
    for person in incoming.attendees:
        if person.email in colleagues or person.email == user.email.lower():
            continue
        first, _space, last = person.name.rpartition(" ")
        if not first:
            first, last = last, ""
        guests.append({"email": person.email, "first_name": first[:100], "last_name": last[:100]})
    return {"attendee_ids": sorted(colleagues.values()), "guests": guests}


def _fields(incoming: IncomingEvent) -> dict[str, Any]:
    return {
        "title": incoming.title or _("(no title)"),
        "start": incoming.start,
        "end": incoming.end,
        "timezone": incoming.timezone,
        "all_day": incoming.all_day,
        "description": incoming.description,
        "location": incoming.location,
        "transparency": Event.Transparency.FREE
        if incoming.transparent
        else Event.Transparency.BUSY,
    }


def _check_organizer(user: User, incoming: IncomingEvent) -> None:
    if incoming.organizer and incoming.organizer != user.email.lower():
        raise WriteRefused(
            403,
            _("Only events you organize can be added here; this one is organized by %(who)s.")
            % {"who": incoming.organizer},
            "valid-calendar-object-resource",
        )


def _apply_overrides(series: Event, user: User, overrides: list[IncomingEvent]) -> None:
    """Each changed date the client sent, applied where it differs from ours."""
    for incoming in overrides:
        current = occurrence_of(series, incoming.recurrence_id)
        if incoming.cancelled:
            if current is not None:
                event_cancel(series, user, scope="this", occurrence=incoming.recurrence_id)
            continue
        if current is None:
            raise WriteRefused(
                403,
                _("RECURRENCE-ID %(when)s is not a date of this series.")
                % {"when": incoming.recurrence_id.isoformat()},
                "valid-calendar-object-resource",
            )
        event = current.event
        wanted = {
            "title": incoming.title or event.title,
            "start": incoming.start,
            "end": incoming.end,
            "location": incoming.location,
            "description": incoming.description,
        }
        now = {
            "title": event.title,
            "start": current.start,
            "end": current.end,
            "location": event.location,
            "description": event.description,
        }
        if wanted != now:
            event_update(series, user, scope="this", occurrence=incoming.recurrence_id, **wanted)


def _retire_cancelled(user: User, uid: str) -> int | None:
    """A client deleted an event of this person and now stores one with its UID again
    (an undo, a re-import): the cancelled one gives up the UID, kept in its history under
    a marked one. Returns its SEQUENCE, or None when there was no such event."""
    old = (
        Event.objects.filter(
            uid=uid, series__isnull=True, organizer=user, status=Event.Status.CANCELLED
        )
        .values_list("pk", "sequence")
        .first()
    )
    if old is None:
        return None
    pk, sequence = old
    retired = f"{uid[:200]}#cancelled-{pk}"
    Event.objects.filter(Q(pk=pk) | Q(series_id=pk)).update(uid=retired)
    ObjectName.objects.filter(event_id=pk).delete()
    return sequence


def _create(user: User, name: str, incoming: IncomingObject) -> None:
    master = incoming.master
    if master is None:
        raise WriteRefused(
            403,
            _("A changed date cannot be stored without its series."),
            "valid-calendar-object-resource",
        )
    _check_organizer(user, master)
    sequence = _retire_cancelled(user, incoming.uid)
    if Event.objects.filter(uid=incoming.uid, series__isnull=True).exists():
        raise WriteRefused(403, _("Another event has this UID already."), "no-uid-conflict")
    event = event_create(
        user,
        **_fields(master),
        **_people(user, master),
        recurrence=master.recurrence,
        exdates=master.exdates,
        uid=incoming.uid,
    )
    if sequence is not None:
        # Guests' calendars took the earlier event out with a CANCEL of that SEQUENCE;
        # a REQUEST with a higher one puts it back (RFC 5546 §2.1.4).
        Event.objects.filter(pk=event.pk).update(sequence=sequence + 1)
    if name != calendar_objects.name_for(incoming.uid):
        ObjectName.objects.create(event=event, name=name)
    _apply_overrides(event, user, incoming.overrides)


def _update(user: User, event: Event, incoming: IncomingObject) -> None:
    if event.organizer_id != user.pk:
        _answer(user, event, incoming)
        return
    if is_booked(event):
        raise WriteRefused(
            403,
            _("A booked meeting cannot be changed; you can decline it in Rendezvous."),
            "valid-calendar-object-resource",
        )
    master = incoming.master
    if master is None:
        raise WriteRefused(
            403,
            _("The series itself is missing from the object."),
            "valid-calendar-object-resource",
        )
    _check_organizer(user, master)
    changes: dict[str, Any] = {**_fields(master), **_people(user, master)}
    changes["recurrence"] = master.recurrence
    changes["exdates"] = master.exdates if master.recurrence else []
    series = event_update(event, user, **changes)
    if series.recurrence:
        _apply_overrides(series, user, incoming.overrides)


def _answer(user: User, event: Event, incoming: IncomingObject) -> None:
    """An attendee's client saved the event: their own PARTSTAT is what counts."""
    me = user.email.lower()
    for component in [incoming.master, *incoming.overrides]:
        if component is None:
            continue
        mine = next((p for p in component.attendees if p.email == me), None)
        status = ANSWERS.get(mine.partstat) if mine else None
        if status is None:
            continue
        current = Attendee.objects.filter(event=event, user=user).values_list("status", flat=True)
        if component.recurrence_id is None:
            if current.first() != status:
                attendee_respond(event, user, status)
        else:
            attendee_respond(event, user, status, occurrence=component.recurrence_id)


def put_object(
    user: User,
    name: str,
    body: bytes,
    *,
    if_match: str | None = None,
    if_none_match: str | None = None,
) -> Written:
    """Create or replace the object at ``name``; raises ``WriteRefused``."""
    with translation.override(user.language):
        try:
            incoming = read_object(body, fallback_zone=user.timezone)
        except ObjectError as exc:
            raise WriteRefused(403, str(exc), exc.condition) from None
        try:
            with transaction.atomic():
                current = calendar_objects.object_named(user, name)
                _check_preconditions(current, if_match, if_none_match)
                if current is None:
                    other = calendar_objects.objects_for_uids(user, [incoming.uid])
                    if other:
                        raise WriteRefused(
                            403,
                            _("This event is stored under another name already."),
                            "no-uid-conflict",
                        )
                    _create(user, name, incoming)
                    return Written(created=True)
                if current.uid != incoming.uid:
                    raise WriteRefused(
                        403, _("The UID of an event cannot change."), "no-uid-conflict"
                    )
                master = visible_events(user).get(uid=current.uid, series__isnull=True)
                _update(user, master, incoming)
                return Written(created=False)
        except (ValidationError, Conflict, PermissionDenied) as exc:
            raise _refuse_services(exc) from None


def delete_object(user: User, name: str, *, if_match: str | None = None) -> None:
    """The organizer's delete cancels the event (guests are told); an attendee's delete
    declines it. A booked meeting is declined in the booking pages, not here."""
    with translation.override(user.language):
        try:
            with transaction.atomic():
                current = calendar_objects.object_named(user, name)
                if current is None:
                    raise WriteRefused(404, _("No such event."))
                _check_preconditions(current, if_match, None)
                event = visible_events(user).get(uid=current.uid, series__isnull=True)
                if event.organizer_id != user.pk:
                    attendee_respond(event, user, Attendee.Status.DECLINED)
                    return
                if is_booked(event):
                    raise WriteRefused(
                        403,
                        _("A booked meeting cannot be deleted here; decline it in Rendezvous."),
                    )
                event_cancel(event, user)
        except (ValidationError, Conflict, PermissionDenied) as exc:
            raise _refuse_services(exc) from None
