"""iCalendar objects for iTIP (RFC 5546) messages: plain data in, RFC 5545 bytes out.

No ORM and no HTTP here: the invitation feature and the booking feature both turn their
models into :class:`CalendarEvent` values and call :func:`build_calendar`. Every text value
goes through the ``icalendar`` library's escaping, after we have removed what no calendar
text may contain (NUL and other control characters); e-mail addresses are checked strictly
because they end up in ``ORGANIZER``/``ATTENDEE`` values and, through the iMIP layer, in
mail headers.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from dateutil.rrule import rrule as _RRule
from dateutil.rrule import rrulestr
from icalendar import Calendar, Event, vCalAddress, vRecur, vUri

from accounts.addresses import InvalidAddress, normalize_address

from .vtimezone import vtimezone

PRODID = "-//Rendezvous//Rendezvous//EN"
METHODS = frozenset({"PUBLISH", "REQUEST", "CANCEL", "REPLY", "DECLINECOUNTER"})
STATUSES = frozenset({"CONFIRMED", "TENTATIVE", "CANCELLED"})
TRANSPARENCIES = frozenset({"OPAQUE", "TRANSPARENT"})
PARTSTATS = frozenset({"NEEDS-ACTION", "ACCEPTED", "DECLINED", "TENTATIVE", "DELEGATED"})
ROLES = frozenset({"CHAIR", "REQ-PARTICIPANT", "OPT-PARTICIPANT", "NON-PARTICIPANT"})
UTC_ZONES = frozenset({"UTC", "Etc/UTC"})

MAX_UID_LENGTH = 255
MAX_URL_LENGTH = 2000
# The years whose offset changes a VTIMEZONE is read from (yearly rules carry on beyond).
RECURRENCE_HORIZON_YEARS = 10
MAX_TIMEZONE_YEARS = 30

# Characters that may appear in the local part of an address we write into a mailto: URI
# and a header. Deliberately narrower than RFC 5322: no quoted strings, no "?", "#", "%"
# (they mean something inside a mailto: URI), no whitespace, no control characters.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"\r\n|[\r\u2028\u2029]")
_URL = re.compile(r"https?://[^\s\"<>\\^`{|}\x00-\x1f\x7f]+\Z", re.IGNORECASE)


class InvalidCalendarData(ValueError):
    """A value cannot go into a calendar or a mail; ``field`` names it, ``reason`` says why.

    A ValueError so that callers that only know "bad input" still catch it; the services
    turn ``field``/``reason`` into the ``{field: message}`` error the API answers with.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass
class CalendarPerson:
    """An organizer or attendee as written into ORGANIZER / ATTENDEE.

    ``partstat``, ``rsvp`` and ``role`` only matter for attendees.
    """

    email: str
    name: str = ""
    partstat: str = "NEEDS-ACTION"
    rsvp: bool = True
    role: str = "REQ-PARTICIPANT"


@dataclass(kw_only=True)
class CalendarEvent:
    """One VEVENT: an event, or one changed instance of a series (``recurrence_id`` set).

    ``start``/``end`` are aware datetimes (any offset; written in ``timezone``). For
    all-day events the local dates of ``start`` and ``end`` in ``timezone`` are written as
    ``VALUE=DATE`` with ``end`` exclusive, as the event models store them (midnight to
    midnight after the last day).
    """

    uid: str
    sequence: int
    title: str
    start: dt.datetime
    end: dt.datetime
    timezone: str
    organizer: CalendarPerson
    attendees: list[CalendarPerson] = field(default_factory=list)
    description: str = ""
    location: str = ""
    url: str | None = None
    all_day: bool = False
    status: str = "CONFIRMED"
    transparency: str = "OPAQUE"
    rrule: str | None = None
    exdates: list[dt.datetime] = field(default_factory=list)
    recurrence_id: dt.datetime | None = None
    created: dt.datetime | None = None
    last_modified: dt.datetime | None = None


# ---------------------------------------------------------------- validation helpers


def validate_email_address(value: object, field: str = "email") -> str:
    """``accounts.addresses.normalize_address`` naming ``field`` (``InvalidCalendarData``):
    a plain ``local@domain`` safe for mailto: and headers, the domain in IDNA form."""
    try:
        return normalize_address(value)
    except InvalidAddress as exc:
        raise InvalidCalendarData(field, str(exc)) from None


def clean_text(value: object, field: str, *, single_line: bool = False) -> str:
    """Text as it may appear in an iCalendar value: NUL and control characters removed.

    Line breaks (CR LF, CR, U+2028, U+2029) become LF, iCalendar's only escaped break; C0
    and C1 controls other than TAB and LF go, so no reader that splits lines on NEL or
    U+2028 can see a new content line. With ``single_line`` (names, written as parameter
    values) breaks and tabs become spaces and a backslash a slash (see below). Escaping of ``; , \\`` and newlines is left to the icalendar library.
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidCalendarData(field, "must be text")
    text = _LINE_BREAKS.sub("\n", value)
    text = _CONTROL.sub("", text)
    # icalendar's writer reads a literal "\N" in unescaped text as RFC 5545's upper-case
    # newline escape; say so here, so that what we pass is what gets written.
    text = text.replace("\\N", "\n")
    if single_line:
        text = re.sub(r"[\n\t]", " ", text)
        # Parameter values (CN=...) have no escapes in RFC 5545, but icalendar's parser
        # reads a backslash before ; : , as one while its writer leaves it alone: a name
        # ending in "\" would swallow the next parameter or the mailto: value. A
        # backslash in a person's name is never meant, so it becomes a slash.
        text = text.replace("\\", "/")
    return text


def _choice(value: object, allowed: frozenset[str], field: str) -> str:
    if not isinstance(value, str) or value.upper() not in allowed:
        raise InvalidCalendarData(field, f"must be one of {', '.join(sorted(allowed))}")
    return value.upper()


def _aware(value: object, field: str) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise InvalidCalendarData(field, "must be a date and time")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidCalendarData(field, "must carry a time zone (naive times are ambiguous)")
    return value


def _utc(value: object, field: str) -> dt.datetime:
    return _aware(value, field).astimezone(dt.UTC).replace(microsecond=0)


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | UTC_ZONES


def _zone(name: object, field: str) -> zoneinfo.ZoneInfo:
    if not isinstance(name, str) or name not in _known_zones():
        raise InvalidCalendarData(field, f"unknown time zone {name!r}")
    return zoneinfo.ZoneInfo(name)


def _check_uid(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidCalendarData(field, "a UID is required")
    if len(value) > MAX_UID_LENGTH:
        raise InvalidCalendarData(field, f"longer than {MAX_UID_LENGTH} characters")
    if _CONTROL.search(value) or "\n" in value or "\t" in value:
        raise InvalidCalendarData(field, "must not contain control characters")
    if value != value.strip():
        raise InvalidCalendarData(field, "must not start or end with spaces")
    if "\\" in value:  # the library would read "\N" as a newline: the UID must not change
        raise InvalidCalendarData(field, "must not contain a backslash")
    return value


def _check_url(value: object, field: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_URL_LENGTH or not _URL.match(value):
        raise InvalidCalendarData(field, "must be an http(s) URL without spaces or quotes")
    return value


def _check_rrule(
    value: object, start: dt.datetime, field: str
) -> tuple[vRecur, dt.date | dt.datetime | None]:
    """The RRULE as icalendar's vRecur, and its UNTIL (None when COUNT-bound or open).

    dateutil parses it too (it refuses unknown parts and an UNTIL of the wrong kind), but
    nothing here expands the series: a rule like FREQ=SECONDLY;BYMONTHDAY=30;BYMONTH=2
    never yields and must not be iterated.
    """
    if not isinstance(value, str):
        raise InvalidCalendarData(field, "must be RRULE text")
    text = value.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    if not text or _CONTROL.search(text) or any(c in text for c in "\n\t :"):
        raise InvalidCalendarData(field, "must be one RRULE value such as FREQ=WEEKLY;BYDAY=MO")
    try:
        recur = vRecur.from_ical(text)
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise InvalidCalendarData(field, f"not a valid RRULE: {exc}") from exc
    if "FREQ" not in recur:
        raise InvalidCalendarData(field, "FREQ is required")
    for part in ("INTERVAL", "COUNT"):
        if any(not isinstance(n, int) or n < 1 for n in recur.get(part, [])):
            raise InvalidCalendarData(field, f"{part} must be a whole number ≥ 1")
    if "UNTIL" in recur and "COUNT" in recur:
        raise InvalidCalendarData(field, "UNTIL and COUNT cannot both be given")
    try:
        parsed = rrulestr(f"RRULE:{text}", dtstart=start)
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise InvalidCalendarData(field, f"not a valid RRULE: {exc}") from exc
    if not isinstance(parsed, _RRule):
        raise InvalidCalendarData(field, "must be a single RRULE")
    until = recur.get("UNTIL")
    return recur, (until[0] if until else None)


def _checked_rrule(
    value: object, start: dt.datetime, field: str
) -> tuple[str, dt.date | dt.datetime | None]:
    """``_check_rrule`` once per rule and start: the rule text as written, and its UNTIL."""
    if not isinstance(value, str):
        raise InvalidCalendarData(field, "must be RRULE text")
    try:
        return _rrule_text(value, start)
    except InvalidCalendarData as exc:
        raise InvalidCalendarData(field, exc.reason) from None


@functools.lru_cache(maxsize=512)
def _rrule_text(value: str, start: dt.datetime) -> tuple[str, dt.date | dt.datetime | None]:
    recur, until = _check_rrule(value, start, "rrule")
    return recur.to_ical().decode("ascii"), until


def _person(person: object, field: str) -> CalendarPerson:
    if not isinstance(person, CalendarPerson):
        raise InvalidCalendarData(field, "must be a CalendarPerson")
    try:
        return _clean_person(person.email, person.name, person.partstat, person.rsvp, person.role)
    except InvalidCalendarData as exc:
        raise InvalidCalendarData(f"{field}.{exc.field}", exc.reason) from None
    except TypeError:  # unhashable values: not what a person is made of
        raise InvalidCalendarData(field, "must hold text and true/false values") from None


@functools.lru_cache(maxsize=4096)
def _clean_person(
    email: object, name: object, partstat: object, rsvp: object, role: object
) -> CalendarPerson:
    """A person checked once: an event's guest list is the same in every invitation."""
    if not isinstance(rsvp, bool):
        raise InvalidCalendarData("rsvp", "must be true or false")
    return CalendarPerson(
        email=validate_email_address(email, "email"),
        # A parameter value cannot hold a double quote (RFC 5545); RFC 6868's ^' is shown
        # as is by Outlook and Gmail, so a quote in a name becomes an apostrophe here.
        name=clean_text(name, "name", single_line=True).strip().replace('"', "'"),
        partstat=_choice(partstat, PARTSTATS, "partstat"),
        rsvp=rsvp,
        role=_choice(role, ROLES, "role"),
    )


# ---------------------------------------------------------------- building


def _address(email: str, name: str, params: dict[str, str]) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = name
    for key, value in params.items():
        address.params[key] = value
    return address


def _local_date(value: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.date:
    return value.astimezone(zone).date()


def _in_zone(value: dt.datetime, zone: zoneinfo.ZoneInfo, tzid: str) -> dt.datetime:
    if tzid in UTC_ZONES:
        return value.astimezone(dt.UTC).replace(microsecond=0)
    return value.astimezone(zone).replace(microsecond=0)


def _years_needed(
    instants: Iterable[dt.datetime],
    zone: zoneinfo.ZoneInfo,
    until: dt.date | dt.datetime | None,
    open_ended: bool,
) -> tuple[int, int]:
    """Years a VTIMEZONE must cover: the event's, up to UNTIL or a horizon for a series."""
    years = [value.astimezone(zone).year for value in instants]
    first, last = min(years), max(years)
    if isinstance(until, dt.datetime) and until.tzinfo is not None:
        last = max(last, until.astimezone(zone).year)
    elif until is not None:
        last = max(last, until.year)
    elif open_ended:  # COUNT-bound or endless: not worth expanding the series to know
        last = max(last, first + RECURRENCE_HORIZON_YEARS)
    return first, min(last, first + MAX_TIMEZONE_YEARS)


def _vevent(
    method: str | None, event: CalendarEvent, stamp: dt.datetime, prefix: str
) -> tuple[bytes, tuple[str, int, int] | None]:
    """One VEVENT and, when it uses a TZID, which zone and years its VTIMEZONE must cover."""

    def name(field: str) -> str:
        return f"{prefix}{field}"

    if not isinstance(event, CalendarEvent):
        raise InvalidCalendarData(prefix.rstrip(".") or "events", "must be a CalendarEvent")
    uid = _check_uid(event.uid, name("uid"))
    if (
        not isinstance(event.sequence, int)
        or isinstance(event.sequence, bool)
        or event.sequence < 0
    ):
        raise InvalidCalendarData(name("sequence"), "must be a whole number ≥ 0")
    title = clean_text(event.title, name("title"))
    if not title.strip():
        raise InvalidCalendarData(name("title"), "a title is required")
    description = clean_text(event.description, name("description"))
    location = clean_text(event.location, name("location"))
    url = _check_url(event.url, name("url")) if event.url else None
    tzid = event.timezone
    zone = _zone(tzid, name("timezone"))
    start = _aware(event.start, name("start"))
    end = _aware(event.end, name("end"))
    if not isinstance(event.all_day, bool):
        raise InvalidCalendarData(name("all_day"), "must be true or false")
    status = "CANCELLED" if method == "CANCEL" else _choice(event.status, STATUSES, name("status"))
    transparency = _choice(event.transparency, TRANSPARENCIES, name("transparency"))
    organizer = _person(event.organizer, name("organizer"))
    if not isinstance(event.attendees, Sequence):
        raise InvalidCalendarData(name("attendees"), "must be a list")
    attendees = [_person(p, name(f"attendees[{i}]")) for i, p in enumerate(event.attendees)]
    if method == "REPLY" and len(attendees) != 1:
        raise InvalidCalendarData(
            name("attendees"), "a REPLY carries exactly the replying attendee"
        )
    exdates = [_aware(d, name(f"exdates[{i}]")) for i, d in enumerate(event.exdates or [])]
    recurrence_id = (
        _aware(event.recurrence_id, name("recurrence_id"))
        if event.recurrence_id is not None
        else None
    )

    if event.all_day:
        first_day = _local_date(start, zone)
        end_day = _local_date(end, zone)
        if end_day <= first_day:
            end_day = first_day + dt.timedelta(days=1)
        dtstart: dt.date = first_day
        dtend: dt.date = end_day
    else:
        if end <= start:
            raise InvalidCalendarData(name("end"), "must be after the start")
        dtstart, dtend = _in_zone(start, zone, tzid), _in_zone(end, zone, tzid)

    rrule = until = None
    if event.rrule is not None:
        # RFC 5545 §3.3.10: UNTIL is a DATE for all-day series, UTC for zoned ones;
        # dateutil enforces exactly that when given a naive or an aware start.
        series_start = start.astimezone(zone)
        if event.all_day:
            series_start = dt.datetime.combine(series_start.date(), dt.time(0))
        rrule, until = _checked_rrule(event.rrule, series_start, name("rrule"))
    if event.all_day:
        excluded = tuple(_local_date(d, zone) for d in exdates)
    else:
        excluded = tuple(_in_zone(d, zone, tzid) for d in exdates)
    recurrence: dt.date | dt.datetime | None = None
    if recurrence_id is not None:
        if event.all_day:
            recurrence = _local_date(recurrence_id, zone)
        else:
            recurrence = _in_zone(recurrence_id, zone, tzid)
    created = _utc(event.created, name("created")) if event.created is not None else None
    modified = (
        _utc(event.last_modified, name("last_modified"))
        if event.last_modified is not None
        else None
    )
    lines = [
        b"BEGIN:VEVENT\r\n",
        _event_lines(
            (uid, event.sequence, stamp, created, modified, tzid, dtstart, dtend, rrule),
            (excluded, recurrence, title, description, location, url, status, transparency),
        ),
        _person_line("organizer", organizer.email, organizer.name, ()),
    ]
    if method != "PUBLISH":  # RFC 5546 §3.2.1: a PUBLISH names no attendees
        for person in attendees:
            params = (("CUTYPE", "INDIVIDUAL"), ("ROLE", person.role))
            params += (("PARTSTAT", person.partstat),)
            if method == "REQUEST":
                params += (("RSVP", "TRUE" if person.rsvp else "FALSE"),)
            lines.append(_person_line("attendee", person.email, person.name, params))
    lines.append(b"END:VEVENT\r\n")

    timezone_need = None
    if not event.all_day and tzid not in UTC_ZONES:
        instants = [start, end, *exdates]
        if recurrence_id is not None:
            instants.append(recurrence_id)
        first, last = _years_needed(instants, zone, until, open_ended=event.rrule is not None)
        timezone_need = (tzid, first, last)
    return b"".join(lines), timezone_need


def _component_lines(component: Event) -> bytes:
    """A component's property lines, without its BEGIN and END lines."""
    data = component.to_ical()
    return data[data.index(b"\r\n") + 2 : data.rindex(b"END:")]


@functools.lru_cache(maxsize=512)
def _event_lines(when: tuple, what: tuple) -> bytes:
    """A VEVENT's own properties (all but its people), written once per event and stamp:
    the invitations of one event differ only in who they are addressed to."""
    # The zone's name is in the key only: equal instants in another zone are other lines.
    uid, sequence, stamp, created, modified, _tzid, dtstart, dtend, rrule = when
    excluded, recurrence, title, description, location, url, status, transparency = what
    vevent = Event()
    vevent.add("uid", uid)
    vevent.add("dtstamp", stamp)
    vevent.add("sequence", sequence)
    if created is not None:
        vevent.add("created", created)
    if modified is not None:
        vevent.add("last-modified", modified)
    vevent.add("dtstart", dtstart)
    vevent.add("dtend", dtend)
    if rrule is not None:
        vevent.add("rrule", vRecur.from_ical(rrule))
    if excluded:
        vevent.add("exdate", list(excluded))
    if recurrence is not None:
        vevent.add("recurrence-id", recurrence)
    vevent.add("summary", title)
    if description:
        vevent.add("description", description)
    if location:
        vevent.add("location", location)
    if url:
        vevent.add("url", vUri(url))
    vevent.add("status", status)
    vevent.add("transp", transparency)
    return _component_lines(vevent)


@functools.lru_cache(maxsize=8192)
def _person_line(kind: str, email: str, name: str, params: tuple[tuple[str, str], ...]) -> bytes:
    """One ORGANIZER or ATTENDEE line (folded), written once per person and parameters."""
    holder = Event()
    holder.add(kind, _address(email, name, dict(params)))
    return _component_lines(holder)


def build_calendar(
    method: str | None, events: Sequence[CalendarEvent], *, dtstamp: dt.datetime | None = None
) -> bytes:
    """Serialise ``events`` as one iTIP VCALENDAR with ``METHOD:method``, or (``method``
    None) as a plain calendar with no METHOD: a subscription feed or a CalDAV resource
    (RFC 4791 §4.1), where attendees and their answers are shown as they are.

    Why each rule: RFC 5546 needs METHOD, DTSTAMP (UTC, when this message was made) and
    SEQUENCE in every message; RFC 5545 §3.2.19 needs a VTIMEZONE for every TZID used,
    generated here from the IANA zone for the years the events touch. UTC events use the
    ``Z`` form and need none. CANCEL always writes STATUS:CANCELLED, because each CANCEL we
    send takes the event out of its recipients' calendars (whole event cancelled or those
    attendees removed). REPLY carries exactly the replying attendee; PUBLISH none.

    Raises ``InvalidCalendarData`` (a ValueError naming the field) for any bad value.
    """
    method = None if method is None else _choice(method, METHODS, "method")
    if isinstance(events, CalendarEvent) or not isinstance(events, Sequence) or not events:
        raise InvalidCalendarData("events", "at least one event is required")
    stamp = _utc(dtstamp if dtstamp is not None else dt.datetime.now(dt.UTC), "dtstamp")

    spans: dict[str, tuple[int, int]] = {}
    vevents = []
    for index, event in enumerate(events):
        prefix = f"events[{index}]." if len(events) > 1 else ""
        vevent, need = _vevent(method, event, stamp, prefix)
        vevents.append(vevent)
        if need is not None:
            tzid, first, last = need
            old = spans.get(tzid)
            spans[tzid] = (first, last) if old is None else (min(old[0], first), max(old[1], last))
    # The VTIMEZONEs go in as the bytes made once per zone and years (RFC 5545 lets
    # components come in any order; ours come before the events, as clients write them):
    # serialising them again for each of a thousand invitations was a third of the work.
    zones = [vtimezone(tzid, *spans[tzid]) for tzid in sorted(spans)]
    data = b"".join([_calendar_head(method), *zones, *vevents, b"END:VCALENDAR\r\n"])
    _check_structure(data, expected_events=len(vevents))
    return data


def empty_calendar() -> bytes:
    """A plain VCALENDAR with no event (a subscription feed of an empty calendar)."""
    return _calendar_head(None) + b"END:VCALENDAR\r\n"


@functools.cache
def _calendar_head(method: str | None) -> bytes:
    """BEGIN:VCALENDAR and the calendar's own properties, as the library writes them."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method is not None:
        calendar.add("method", method)
    data = calendar.to_ical()
    return data[: data.rindex(b"END:VCALENDAR")]


_ALLOWED_COMPONENTS = {b"VCALENDAR", b"VTIMEZONE", b"STANDARD", b"DAYLIGHT", b"VEVENT"}


def _check_structure(data: bytes, *, expected_events: int) -> None:
    """Look over what we wrote: any component a value smuggled in is a bug.

    Escaping is the library's job; this is the belt to its braces. A component can only
    start at the beginning of a content line (folded lines go on with a space), so the
    ``BEGIN:`` lines are the components: reading them costs a split, where parsing the
    calendar again cost an eighth of building an invitation.
    """
    kinds = [line[6:] for line in data.split(b"\r\n") if line.startswith(b"BEGIN:")]
    if kinds.count(b"VEVENT") != expected_events or not set(kinds) <= _ALLOWED_COMPONENTS:
        raise RuntimeError(f"calendar structure changed while writing: {kinds}")


def calendar_method(data: bytes) -> str | None:
    """The METHOD of a VCALENDAR from ``build_calendar`` (its own content line), or None.

    For our own output only: a cheap look instead of a parse.
    """
    if not data.startswith(b"BEGIN:VCALENDAR\r\n") or not data.endswith(b"END:VCALENDAR\r\n"):
        return None
    for line in data.split(b"\r\n"):
        if line.startswith(b"METHOD:"):
            return line[7:].decode("ascii", "replace").upper()
        if line.startswith(b"BEGIN:") and line != b"BEGIN:VCALENDAR":
            return None  # METHOD stands among the calendar's own properties
    return None


# ---------------------------------------------------------------- parsing


def parse_calendar(data: bytes | str) -> Calendar:
    """Parse one VCALENDAR strictly: a ValueError if any line could not be read.

    For our own output (tests, the self-check above). Mail from outside goes through
    ``mail.inbound_parse``, which is lenient and never raises.
    """
    try:
        calendar = Calendar.from_ical(data)
    except Exception as exc:  # the library raises several types for broken input
        raise ValueError(f"not an iCalendar object: {exc}") from exc
    if not isinstance(calendar, Calendar):
        raise ValueError("not a VCALENDAR")
    for component in calendar.walk():
        if component.errors:
            raise ValueError(f"{component.name}: {component.errors}")
    return calendar


def strip_mailto(value: object) -> str:
    """``mailto:Ann@X.org`` / ``MAILTO:ann@x.org`` / ``ann@x.org`` → ``ann@x.org``."""
    text = str(value).strip()
    if text[:7].lower() == "mailto:":
        text = text[7:]
    return text.strip().lower()
