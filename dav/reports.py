"""CalDAV and WebDAV REPORTs on the calendar: calendar-query, calendar-multiget,
sync-collection and free-busy-query (RFC 4791 §7.8-7.10, RFC 6578)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element

from django.http import HttpResponse

from accounts.models import User
from events.selectors import busy_intervals
from mail.ical_freebusy import busy_calendar

from . import calendar_objects, properties, sync
from .calendar_objects import CalendarObject
from .davxml import CALDAV, DAV, element, tag
from .multistatus import error, gone, multistatus, response

CALENDAR_DATA = tag(CALDAV, "calendar-data")
#: A time range wider than this is answered for this much (a client asking for "all of
#: time" gets its answer from a sync instead).
MAX_RANGE = dt.timedelta(days=5 * 366)
#: A multiget asks for what a client is missing; thousands at once is not a client.
MAX_HREFS = 2000


class ReportError(ValueError):
    """A REPORT we cannot answer as asked: the status and the precondition element."""

    def __init__(self, status: int, condition: Element, text: str) -> None:
        super().__init__(text)
        self.status, self.condition, self.text = status, condition, text


def _asked(root: Element) -> list[str] | None:
    prop = root.find(tag(DAV, "prop"))
    if prop is None:
        return None
    return [child.tag for child in prop]


def _ical_time(value: str | None, name: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return dt.datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        raise ReportError(
            400,
            element(CALDAV, "valid-filter"),
            f"time-range {name} must be a UTC date-time like 20270101T000000Z",
        ) from None


def _time_range(node: Element) -> tuple[dt.datetime, dt.datetime]:
    start = _ical_time(node.get("start"), "start")
    end = _ical_time(node.get("end"), "end")
    if start is None and end is None:
        raise ReportError(400, element(CALDAV, "valid-filter"), "time-range needs start or end")
    start = start or (end - MAX_RANGE)
    end = end or (start + MAX_RANGE)
    if end <= start:
        raise ReportError(400, element(CALDAV, "valid-filter"), "time-range end is before start")
    return start, min(end, start + MAX_RANGE)


def _responses(user: User, objects: list[CalendarObject], names: list[str] | None) -> list[Element]:
    wants_data = names is not None and CALENDAR_DATA in names
    texts = calendar_objects.render(user, [o.uid for o in objects]) if wants_data else {}
    out = []
    for obj in objects:
        if wants_data and obj.uid not in texts:
            continue
        data = (lambda uid=obj.uid: texts[uid]) if wants_data else None
        out.append(response(properties.calendar_object(user, obj, data), names))
    return out


def _query_objects(user: User, root: Element) -> list[CalendarObject]:
    """The objects a calendar-query's filter selects (RFC 4791 §9.7).

    Understood: the VCALENDAR filter with a VEVENT filter, optionally with a time-range
    (occurrences expanded in the engine over that range only) and UID text-match filters;
    a filter on any other component selects nothing (this calendar holds events only).
    Anything else is refused with CALDAV:supported-filter rather than answered wrongly.
    """
    outer = root.find(tag(CALDAV, "filter"))
    calendar = outer.find(tag(CALDAV, "comp-filter")) if outer is not None else None
    if calendar is None or calendar.get("name", "").upper() != "VCALENDAR":
        raise ReportError(400, element(CALDAV, "valid-filter"), "the filter must name VCALENDAR")
    inner = calendar.findall(tag(CALDAV, "comp-filter"))
    if not inner:
        return calendar_objects.all_objects(user)
    if len(inner) > 1 or inner[0].get("name", "").upper() != "VEVENT":
        return []
    event_filter = inner[0]
    if event_filter.find(tag(CALDAV, "is-not-defined")) is not None:
        return []
    uids: list[str] | None = None
    for child in event_filter:
        if child.tag == tag(CALDAV, "time-range"):
            start, end = _time_range(child)
            found = calendar_objects.uids_in_range(user, start, end)
            uids = found if uids is None else [u for u in uids if u in found]
        elif child.tag == tag(CALDAV, "prop-filter") and child.get("name", "").upper() == "UID":
            uids = _uid_filter(user, child, uids)
        else:
            raise ReportError(
                403, element(CALDAV, "supported-filter", None, child), "unsupported filter"
            )
    if uids is None:
        return calendar_objects.all_objects(user)
    return calendar_objects.objects_for_uids(user, uids)


def _uid_filter(user: User, node: Element, uids: list[str] | None) -> list[str]:
    match = node.find(tag(CALDAV, "text-match"))
    if match is None:
        raise ReportError(403, element(CALDAV, "supported-filter", None, node), "UID filter")
    wanted = match.text or ""
    exact = match.get("match-type", "contains") == "equals"
    negate = match.get("negate-condition", "no") == "yes"
    fold = match.get("collation", "i;ascii-casemap") != "i;octet"
    pool = uids if uids is not None else [o.uid for o in calendar_objects.all_objects(user)]

    def hit(uid: str) -> bool:
        a, b = (uid.lower(), wanted.lower()) if fold else (uid, wanted)
        return (a == b if exact else b in a) != negate

    return [u for u in pool if hit(u)]


def calendar_query(user: User, root: Element) -> HttpResponse:
    try:
        objects = _query_objects(user, root)
    except ReportError as exc:
        return error(exc.status, exc.condition, text=exc.text)
    return multistatus(_responses(user, objects, _asked(root)))


def calendar_multiget(user: User, root: Element) -> HttpResponse:
    base = properties.calendar_href(user)
    hrefs = [(node.text or "").strip() for node in root.findall(tag(DAV, "href"))]
    if len(hrefs) > MAX_HREFS:
        return error(403, element(DAV, "number-of-matches-within-limits"), text="too many hrefs")
    names = {}
    for written in hrefs:
        path = unquote(urlsplit(written).path)
        names[written] = path[len(base) :] if path.startswith(base) else ""
    found = calendar_objects.objects_named(user, [n for n in names.values() if n])
    objects = list({found[n].name: found[n] for n in names.values() if n in found}.values())
    missing = [gone(written) for written, name in names.items() if name not in found]
    return multistatus(_responses(user, objects, _asked(root)) + missing)


def sync_collection(user: User, root: Element) -> HttpResponse:
    level = (root.findtext(tag(DAV, "sync-level")) or "1").strip()
    if level != "1":
        return error(403, element(DAV, "supported-sync-level"), text="only sync-level 1")
    token = (root.findtext(tag(DAV, "sync-token")) or "").strip()
    objects = calendar_objects.all_objects(user)
    if token:
        try:
            changed, removed = sync.changes_since(user, token, objects)
        except sync.InvalidSyncToken:
            return error(403, element(DAV, "valid-sync-token"), text="unknown or expired token")
    else:
        changed, removed = objects, []
    base = properties.calendar_href(user)
    responses = _responses(user, changed, _asked(root)) + [gone(base + n) for n in removed]
    return multistatus(responses, element(DAV, "sync-token", sync.current_token(user, objects)))


def free_busy_query(user: User, root: Element) -> HttpResponse:
    node = root.find(tag(CALDAV, "time-range"))
    if node is None:
        return error(
            400, element(CALDAV, "valid-filter"), text="free-busy-query needs a time-range"
        )
    try:
        start, end = _time_range(node)
    except ReportError as exc:
        return error(exc.status, exc.condition, text=exc.text)
    busy = busy_intervals([user], start, end)[user.pk]
    data = busy_calendar(user.email, start, end, [(i.start, i.end) for i in busy])
    return HttpResponse(data, content_type="text/calendar; charset=utf-8")


REPORTS = {
    tag(CALDAV, "calendar-query"): calendar_query,
    tag(CALDAV, "calendar-multiget"): calendar_multiget,
    tag(DAV, "sync-collection"): sync_collection,
    tag(CALDAV, "free-busy-query"): free_busy_query,
}
