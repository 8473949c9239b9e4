"""A calendar object a CalDAV client PUTs, read into the fields our services take.

Read strictly: one UID, VEVENTs only (the master and its changed dates), times in a zone
we can name (IANA, or a Windows name mapped by icalendar's table; a floating time is the
employee's own zone), at most ``MAX_OVERRIDES`` changed dates. Anything else is an
``ImportError_`` naming the property and the reason, shown to the client in the 403.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from icalendar import Calendar
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from mail.ical import strip_mailto

MAX_OVERRIDES = 500
MAX_ATTENDEES = 200


class ObjectError(ValueError):
    """The object cannot be stored; ``condition`` is the CalDAV precondition it fails."""

    def __init__(self, message: str, condition: str = "valid-calendar-object-resource") -> None:
        super().__init__(message)
        self.condition = condition


@dataclass
class Person:
    email: str
    name: str = ""
    partstat: str = "NEEDS-ACTION"


@dataclass
class IncomingEvent:
    """The fields of one VEVENT, in our services' terms."""

    title: str
    start: dt.datetime
    end: dt.datetime
    timezone: str
    all_day: bool
    description: str = ""
    location: str = ""
    transparent: bool = False
    cancelled: bool = False
    recurrence: str | None = None
    exdates: list[dt.datetime] = field(default_factory=list)
    recurrence_id: dt.datetime | None = None
    organizer: str | None = None
    attendees: list[Person] = field(default_factory=list)


@dataclass
class IncomingObject:
    uid: str
    master: IncomingEvent | None
    overrides: list[IncomingEvent]


def _zone_name(value: dt.datetime, fallback: str) -> str:
    if value.tzinfo is None:
        return fallback
    key = getattr(value.tzinfo, "key", None)
    if key:
        return key
    if value.utcoffset() == dt.timedelta(0) and str(value.tzinfo) in ("UTC", "utc", "Z"):
        return "UTC"
    name = str(value.tzinfo).strip()
    name = WINDOWS_TO_OLSON.get(name, name)
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        if value.utcoffset() == dt.timedelta(0):
            return "UTC"
        raise ObjectError(
            _("DTSTART: the time zone “%(zone)s” is unknown; use an IANA name such as Europe/Rome.")
            % {"zone": name}
        ) from None
    return name


def _aware(value: Any, zone: str, prop: str) -> tuple[dt.datetime, bool]:
    """(an aware instant, whether it was a DATE)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=zoneinfo.ZoneInfo(zone)), False
        return value, False
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(0), zoneinfo.ZoneInfo(zone)), True
    raise ObjectError(
        _("%(property)s: a date or a date and time is required.") % {"property": prop}
    )


def _text(component, name: str) -> str:
    value = component.get(name)
    return str(value) if value is not None else ""


def _people(component) -> list[Person]:
    values = component.get("ATTENDEE") or []
    values = values if isinstance(values, list) else [values]
    if len(values) > MAX_ATTENDEES:
        raise ObjectError(_("ATTENDEE: at most %(n)d attendees.") % {"n": MAX_ATTENDEES})
    people = []
    for value in values:
        email = strip_mailto(value)
        if "@" not in email:
            continue  # a principal URL or a room with no address: nobody we can invite
        params = getattr(value, "params", {})
        people.append(
            Person(
                email=email,
                name=str(params.get("CN", "")).strip(),
                partstat=str(params.get("PARTSTAT", "NEEDS-ACTION")).upper(),
            )
        )
    return people


def _event(component, fallback_zone: str) -> IncomingEvent:
    if "DTSTART" not in component:
        raise ObjectError(_("DTSTART: required."))
    raw_start = component.decoded("DTSTART")
    zone = (
        _zone_name(raw_start, fallback_zone)
        if isinstance(raw_start, dt.datetime)
        else (fallback_zone)
    )
    start, all_day = _aware(raw_start, zone, "DTSTART")
    if "DTEND" in component:
        end, _date = _aware(component.decoded("DTEND"), zone, "DTEND")
    elif "DURATION" in component:
        end = start + component.decoded("DURATION")
    else:
        end = start + (dt.timedelta(days=1) if all_day else dt.timedelta(0))
    rule = component.get("RRULE")
    if isinstance(rule, list):
        raise ObjectError(_("RRULE: one rule per event."))
    exdates: list[dt.datetime] = []
    values = component.get("EXDATE") or []
    for value in values if isinstance(values, list) else [values]:
        for item in value.dts:
            exdates.append(_aware(item.dt, zone, "EXDATE")[0])
    recurrence_id = None
    if "RECURRENCE-ID" in component:
        recurrence_id = _aware(component.decoded("RECURRENCE-ID"), zone, "RECURRENCE-ID")[0]
    organizer = component.get("ORGANIZER")
    return IncomingEvent(
        title=_text(component, "SUMMARY").strip(),
        start=start,
        end=end,
        timezone=zone,
        all_day=all_day,
        description=_text(component, "DESCRIPTION"),
        location=_text(component, "LOCATION"),
        transparent=_text(component, "TRANSP").upper() == "TRANSPARENT",
        cancelled=_text(component, "STATUS").upper() == "CANCELLED",
        recurrence=rule.to_ical().decode() if rule is not None else None,
        exdates=exdates,
        recurrence_id=recurrence_id,
        organizer=strip_mailto(organizer) if organizer is not None else None,
        attendees=_people(component),
    )


def read_object(body: bytes, *, fallback_zone: str) -> IncomingObject:
    try:
        calendar = Calendar.from_ical(body)
    except Exception as exc:  # the library raises several types for broken input
        raise ObjectError(
            _("This is not an iCalendar object: %(reason)s") % {"reason": exc},
            "valid-calendar-data",
        ) from None
    if not isinstance(calendar, Calendar):
        raise ObjectError(_("The body must be one VCALENDAR."), "valid-calendar-data")
    if calendar.get("METHOD"):
        raise ObjectError(_("METHOD: not allowed in a stored calendar object."))
    kinds = {c.name for c in calendar.subcomponents} - {"VTIMEZONE"}
    if kinds - {"VEVENT"}:
        raise ObjectError(
            _("Only events can be stored here, not %(kinds)s.")
            % {"kinds": ", ".join(sorted(kinds - {"VEVENT"}))},
            "supported-calendar-component",
        )
    components = calendar.walk("VEVENT")
    if not components:
        raise ObjectError(_("There is no VEVENT in the object."))
    uids = {str(c.get("UID", "")).strip() for c in components}
    if len(uids) != 1 or "" in uids:
        raise ObjectError(_("UID: every VEVENT of one object must carry the same UID."))
    if len(components) > MAX_OVERRIDES + 1:
        raise ObjectError(_("At most %(n)d changed dates in one series.") % {"n": MAX_OVERRIDES})
    try:
        events = [_event(c, fallback_zone) for c in components]
    except ObjectError:
        raise
    except Exception as exc:  # a value the library could not decode
        raise ObjectError(
            _("A value could not be read: %(reason)s") % {"reason": exc}, "valid-calendar-data"
        ) from None
    masters = [e for e in events if e.recurrence_id is None]
    if len(masters) > 1:
        raise ObjectError(_("Two VEVENTs without RECURRENCE-ID for one UID."))
    return IncomingObject(
        uid=uids.pop(),
        master=masters[0] if masters else None,
        overrides=[e for e in events if e.recurrence_id is not None],
    )
