"""One stored event as an iCalendar VEVENT for other calendar apps (feed and CalDAV).

Attendees carry their answers; the organizer is not repeated among them. The busy-only
form keeps the times and nothing else: no titles, places, descriptions or people.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from accounts.models import User
from events.invitations import ICAL_STATUS, PARTSTAT
from events.models import Attendee, Event
from events.series import stored_exdates
from mail.ical import CalendarEvent, CalendarPerson


def _person(attendee: Attendee) -> CalendarPerson:
    if attendee.user_id:
        email, name = attendee.user.email, attendee.user.full_name
    else:
        email, name = attendee.guest.email, attendee.guest.name
    return CalendarPerson(email=email, name=name, partstat=PARTSTAT[attendee.status], rsvp=False)


def calendar_event(
    event: Event, *, busy_only: bool = False, owner: User | None = None
) -> CalendarEvent:
    """``event`` (with organizer and attendees loaded) as a VEVENT; ``owner`` names the
    busy-only form's organizer and its language gives "Busy"."""
    rule = event.recurrence or None
    common = {
        "uid": event.uid,
        "sequence": event.sequence,
        "start": event.start,
        "end": event.end,
        "timezone": event.timezone,
        "all_day": event.all_day,
        "status": ICAL_STATUS[event.status],
        "rrule": rule,
        "exdates": stored_exdates(event) if rule else [],
        "recurrence_id": event.recurrence_id,
        "last_modified": event.updated_at,
    }
    if busy_only:
        assert owner is not None
        me = CalendarPerson(email=owner.email, name=owner.full_name)
        return CalendarEvent(title=_("Busy"), organizer=me, transparency="OPAQUE", **common)
    organizer = CalendarPerson(email=event.organizer.email, name=event.organizer.full_name)
    attendees = [
        _person(a) for a in event.attendees.all() if a.user_id != event.organizer_id or a.guest_id
    ]
    return CalendarEvent(
        title=event.title,
        organizer=organizer,
        attendees=attendees,
        description=event.description,
        location=event.location,
        url=event.video_url or None,
        transparency="OPAQUE" if event.transparency == Event.Transparency.BUSY else "TRANSPARENT",
        created=event.created_at,
        **common,
    )
