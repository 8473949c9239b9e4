"""CalDAV and WebDAV REPORTs on the calendar: calendar-query, calendar-multiget,
sync-collection and free-busy-query (RFC 4791 §7.8-7.10, RFC 6578)."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element

from django.http import HttpResponse
from django.utils.translation import gettext as _
from icalendar import Calendar

from accounts.models import User
from events.selectors import busy_intervals
from mail.ical_freebusy import busy_calendar

from . import calendar_objects, properties, sync
from .calendar_objects import CalendarObject
from .davxml import CALDAV, DAV, element, tag
from .multistatus import error, gone, multistatus, response
from .query_filter import FilterError, compile_filter, time_range

CALENDAR_DATA = tag(CALDAV, "calendar-data")
#: A multiget asks for what a client is missing; thousands at once is not a client.
MAX_HREFS = 2000


def _asked(root: Element) -> list[str] | None:
    prop = root.find(tag(DAV, "prop"))
    if prop is None:
        return None
    return [child.tag for child in prop]


def _responses(
    user: User,
    objects: list[CalendarObject],
    names: list[str] | None,
    texts: dict[str, bytes] | None = None,
) -> list[Element]:
    wants_data = names is not None and CALENDAR_DATA in names
    if wants_data and texts is None:
        texts = calendar_objects.render(user, objects)
    out = []
    base = properties.calendar_href(user)
    for obj in objects:
        if wants_data and obj.uid not in texts:
            continue
        data = (lambda uid=obj.uid: texts[uid]) if wants_data else None
        out.append(response(properties.calendar_object(user, obj, data, base=base), names))
    return out


def _query(user: User, root: Element) -> tuple[list[CalendarObject], dict[str, bytes] | None]:
    """The objects the filter selects, and their text if it had to be read to decide."""
    spec = compile_filter(root)
    if spec.nothing:
        return [], None
    uids: set[str] | None = None
    for start, end in spec.ranges:
        found = calendar_objects.uids_in_range(user, start, end)
        uids = found if uids is None else uids & found
    if uids is None:
        objects = calendar_objects.all_objects(user)
    else:
        objects = calendar_objects.objects_for_uids(user, sorted(uids))
    if not spec.needs_data:
        return objects, None
    texts = calendar_objects.render(user, objects)
    kept = []
    for obj in objects:
        text = texts.get(obj.uid)
        if text is not None and spec.matches(Calendar.from_ical(text).walk("VEVENT")):
            kept.append(obj)
    return kept, texts


def calendar_query(user: User, root: Element) -> HttpResponse:
    try:
        objects, texts = _query(user, root)
    except FilterError as exc:
        return error(exc.status, exc.condition, text=exc.text)
    return multistatus(_responses(user, objects, _asked(root), texts))


def calendar_multiget(user: User, root: Element) -> HttpResponse:
    base = properties.calendar_href(user)
    hrefs = [(node.text or "").strip() for node in root.findall(tag(DAV, "href"))]
    if len(hrefs) > MAX_HREFS:
        return error(
            403,
            element(DAV, "number-of-matches-within-limits"),
            text=_("At most %(n)d hrefs at once.") % {"n": MAX_HREFS},
        )
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
        return error(
            403, element(DAV, "supported-sync-level"), text=_("Only sync-level 1 is supported.")
        )
    token = (root.findtext(tag(DAV, "sync-token")) or "").strip()
    objects = calendar_objects.all_objects(user)
    if token:
        try:
            changed, removed = sync.changes_since(user, token, objects)
        except sync.InvalidSyncToken:
            return error(
                403,
                element(DAV, "valid-sync-token"),
                text=_("This sync-token is unknown or expired; sync afresh."),
            )
    else:
        changed, removed = objects, []
    base = properties.calendar_href(user)
    limit = _limit(root)
    if limit is not None and len(changed) + len(removed) > limit:
        # Cut short (RFC 6578 §3.6): this much now, a 507 for the collection, and a token
        # from which the next sync sends the rest.
        changed, removed = changed[:limit], removed[: max(0, limit - len(changed))]
        next_token = sync.partial_token(user, token, changed, removed)
        more = [gone(base, "HTTP/1.1 507 Insufficient Storage")]
    else:
        next_token, more = sync.current_token(user, objects), []
    responses = _responses(user, changed, _asked(root)) + [gone(base + n) for n in removed]
    return multistatus(responses + more, element(DAV, "sync-token", next_token))


def _limit(root: Element) -> int | None:
    text = root.findtext(f"{tag(DAV, 'limit')}/{tag(DAV, 'nresults')}")
    if text is None:
        return None
    try:
        return max(1, int(text.strip()))
    except ValueError:
        return None


def free_busy_query(user: User, root: Element) -> HttpResponse:
    node = root.find(tag(CALDAV, "time-range"))
    if node is None:
        return error(
            400, element(CALDAV, "valid-filter"), text=_("A free-busy-query needs a time-range.")
        )
    try:
        start, end = time_range(node)
    except FilterError as exc:
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
