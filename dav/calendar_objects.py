"""The objects of an employee's CalDAV calendar: one per UID, each with a version.

An object is what RFC 4791 §4.1 calls a calendar object resource: the event, or a
series' master with its changed dates (same UID, RECURRENCE-ID). It holds what the
person organizes or takes part in, as the feed does, without the feed's window: a
CalDAV client asks for a time range itself, and a sync starts with everything.

Versions (the ETags) are computed from the rows, not from rendered bytes, so listing a
calendar of thousands of events costs two queries and no rendering: a digest of each
row's id, status and last change, and of each attendee's answer and its time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import quote, unquote

from django.db.models import Prefetch, Q, QuerySet
from django.utils import translation

from accounts.models import User
from events.models import Attendee, Event
from events.occurrences import replaced_occurrences, window_q
from events.selectors import visible_events
from mail.ical import build_calendar

from .models import ObjectName, RenderedObject
from .vevents import calendar_event

SUFFIX = ".ics"


@dataclass(frozen=True)
class CalendarObject:
    name: str  # the last segment of its href
    uid: str
    version: str  # the ETag's value, without quotes
    last_modified: dt.datetime
    master_id: int  # the event (or series) row the object is kept under

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


def name_for(uid: str) -> str:
    return quote(uid, safe="@-_.~+") + SUFFIX


def uid_for(name: str) -> str | None:
    """The UID an object's name stands for; None for a name that is not one of ours."""
    if not name.endswith(SUFFIX) or "/" in name:
        return None
    uid = unquote(name[: -len(SUFFIX)])
    return uid or None


def _in_calendar(rows: list[Event] | list[dict]) -> list:
    """Leave out what no calendar shows: a cancelled event or series (a date cancelled
    alone stays, it takes the date out of the series) and a changed date whose series
    is not here."""

    def get(row, key):
        return row[key] if isinstance(row, dict) else getattr(row, key)

    kept = [r for r in rows if get(r, "status") != Event.Status.CANCELLED or get(r, "series_id")]
    masters = {get(r, "id") for r in kept if not get(r, "series_id")}
    return [r for r in kept if not get(r, "series_id") or get(r, "series_id") in masters]


def _digest(rows: list[dict], answers: dict[int, list[tuple]]) -> str:
    h = hashlib.sha256()
    for row in sorted(rows, key=lambda r: r["id"]):
        h.update(f"{row['id']}|{row['status']}|{row['updated_at'].isoformat()};".encode())
        for answer in sorted(answers.get(row["id"], [])):
            h.update(repr(answer).encode())
    return h.hexdigest()[:32]


def _objects(rows: QuerySet) -> list[CalendarObject]:
    plain = _in_calendar(
        list(rows.values("id", "uid", "series_id", "status", "updated_at", "dav_name__name"))
    )
    answers: dict[int, list[tuple]] = defaultdict(list)
    # A subquery, not a list of thousands of ids to send and compile.
    attendee_rows = Attendee.objects.filter(event__in=rows.values("pk")).values_list(
        "event_id", "id", "status", "answered_at", "guest__updated_at"
    )
    for event_id, *rest in attendee_rows:
        answers[event_id].append(tuple(str(v) for v in rest))
    by_uid: dict[str, list[dict]] = defaultdict(list)
    for row in plain:
        by_uid[row["uid"]].append(row)
    names = {r["uid"]: r["dav_name__name"] for r in plain if r["dav_name__name"]}
    return [
        CalendarObject(
            names.get(uid) or name_for(uid),
            uid,
            _digest(group, answers),
            max(r["updated_at"] for r in group),
            next(r["id"] for r in group if not r["series_id"]),
        )
        for uid, group in sorted(by_uid.items())
    ]


def all_objects(user: User) -> list[CalendarObject]:
    """Every object of the person's calendar, by name."""
    return _objects(visible_events(user))


#: Past this many UIDs a lookup reads the whole calendar and picks: cheaper than a
#: statement with thousands of parameters.
MANY_UIDS = 200


def objects_for_uids(user: User, uids: list[str]) -> list[CalendarObject]:
    if not uids:
        return []
    if len(uids) > MANY_UIDS:
        wanted = set(uids)
        return [o for o in all_objects(user) if o.uid in wanted]
    return _objects(visible_events(user).filter(_uid_q(uids)))


def objects_named(user: User, names: list[str]) -> dict[str, CalendarObject]:
    """The objects at these names in the person's calendar (client-chosen names or ours);
    names that hold nothing are left out. Three queries, however many names."""
    chosen = dict(
        ObjectName.objects.filter(name__in=names, event__in=visible_events(user)).values_list(
            "name", "event__uid"
        )
    )
    uids = {chosen.get(name) or uid_for(name) for name in names} - {None}
    found = {o.name: o for o in objects_for_uids(user, sorted(uids))}
    return {name: found[name] for name in names if name in found}


def object_named(user: User, name: str) -> CalendarObject | None:
    return objects_named(user, [name]).get(name)


def uids_in_range(user: User, start: dt.datetime, end: dt.datetime) -> set[str]:
    """UIDs with an occurrence overlapping ``[start, end)`` (RFC 4791 §9.9). Series are
    walked by the engine only until their first occurrence in the window, so a client
    asking about all of time costs what the calendar's rows cost, not every occurrence."""
    rows = list(
        visible_events(user)
        .filter(window_q(start, end))
        .exclude(status=Event.Status.CANCELLED)
        .only("uid", "start", "end", "timezone", "all_day", "recurrence", "exdates", "series_id")
    )
    replaced = replaced_occurrences((e.pk for e in rows if e.recurrence), start, end)
    found: set[str] = set()
    for event in rows:
        if event.uid in found:
            continue
        if event.recurrence:
            gone = replaced.get(event.pk, set())
            starts = event.as_series().iter_occurrences(start, end)
            if any(s not in gone for s in starts):
                found.add(event.uid)
        elif event.start < end and event.end > start:
            found.add(event.uid)
    return found


def _uid_q(uids: list[str]) -> Q:
    # Masters are found by the unique UID index, their changed dates through them.
    return Q(uid__in=uids, series__isnull=True) | Q(series__uid__in=uids)


def render(user: User, objects: list[CalendarObject]) -> dict[str, bytes]:
    """The iCalendar text of these objects, by UID: stored renderings whose version still
    holds, the rest rendered now (and stored for next time)."""
    if not objects:
        return {}
    wanted = {o.master_id: o for o in objects}
    out = {
        wanted[event_id].uid: bytes(data)
        for event_id, version, data in RenderedObject.objects.filter(
            event_id__in=list(wanted)
        ).values_list("event_id", "version", "data")
        if wanted[event_id].version == version
    }
    missing = [o for o in objects if o.uid not in out]
    if missing:
        fresh = _render(user, [o.uid for o in missing])
        RenderedObject.objects.bulk_create(
            [RenderedObject(event_id=o.master_id, version=o.version, data=fresh[o.uid])
             for o in missing if o.uid in fresh],
            update_conflicts=True,
            unique_fields=["event"],
            update_fields=["version", "data"],
        )  # fmt: skip
        out.update(fresh)
    return out


def _render(user: User, uids: list[str]) -> dict[str, bytes]:
    """The iCalendar text of each of these objects that the calendar holds, by UID."""
    if not uids:
        return {}
    rows = _in_calendar(
        list(
            visible_events(user)
            .filter(_uid_q(uids))
            .select_related("organizer")
            .prefetch_related(
                Prefetch("attendees", queryset=Attendee.objects.select_related("user", "guest"))
            )
        )
    )
    groups: dict[str, list[Event]] = defaultdict(list)
    for row in rows:
        groups[row.uid].append(row)
    out = {}
    with translation.override(user.language):
        for uid, group in groups.items():
            group.sort(key=lambda e: (e.series_id is not None, e.recurrence_id or e.start))
            newest = max(e.updated_at for e in group)
            out[uid] = build_calendar(None, [calendar_event(e) for e in group], dtstamp=newest)
    return out
