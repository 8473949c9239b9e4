"""The subscription feed's iCalendar file: an employee's calendar for other clients.

What it holds: the events the person organizes or takes part in, from ``HISTORY`` before
today to ``HORIZON`` after it, so the file does not grow forever; a series is its master
(RRULE, EXDATEs) plus its changed dates (RECURRENCE-ID; a date cancelled alone is a
changed date with STATUS:CANCELLED), never expanded, so an open series stays open.
Attendees carry their answers. The busy-only variant keeps the times of busy events and
nothing else: no titles, places, descriptions or people.

A plain calendar, not an iTIP message: no METHOD (a PUBLISH may name no attendees). The
file is the same bytes while nothing in it changed (DTSTAMP is the newest change, not
the time of the request), so its digest is an ETag that a client's conditional GET can
match.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.utils import timezone, translation
from icalendar import vText

from events.models import Event
from events.selectors import events_in_range, visible_events
from mail.ical import build_calendar, empty_calendar

from .models import CalendarFeed
from .vevents import calendar_event

HISTORY = dt.timedelta(days=90)
HORIZON = dt.timedelta(days=2 * 365)


@dataclass(frozen=True)
class FeedFile:
    data: bytes
    etag: str
    last_modified: dt.datetime | None


def _rows(feed: CalendarFeed, now: dt.datetime) -> list[Event]:
    """Events touching the window, with every changed date of the series among them."""
    user = feed.user
    rows = events_in_range(user, now - HISTORY, now + HORIZON, include_cancelled=True)
    # A cancelled single event or series is left out; a date cancelled alone stays (it
    # takes that date out of the series in the client).
    rows = [e for e in rows if e.status != Event.Status.CANCELLED or e.series_id]
    masters = [e.pk for e in rows if e.recurrence and not e.series_id]
    seen = {e.pk for e in rows}
    rows += list(
        visible_events(user)
        .filter(series_id__in=masters)
        .exclude(pk__in=seen)
        .select_related("organizer")
        .prefetch_related("attendees__user", "attendees__guest")
    )
    # A changed date whose series is not in the file would stand alone: leave it out.
    kept = {e.pk for e in rows}
    return [e for e in rows if not e.series_id or e.series_id in kept]


def _named(data: bytes, name: str) -> bytes:
    """The calendar's name for subscribing apps (X-WR-CALNAME: Apple Calendar, Outlook and
    Google show it instead of the address), escaped and folded as any TEXT value."""
    line = b"X-WR-CALNAME:" + vText(name).to_ical()
    head, marker, rest = data.partition(b"CALSCALE:GREGORIAN\r\n")
    return head + marker + _fold(line) + rest


def _fold(line: bytes) -> bytes:
    """RFC 5545 §3.1: lines of at most 75 octets, never splitting a UTF-8 character."""
    out, chunk_limit = [], 75
    while len(line) > chunk_limit:
        cut = chunk_limit
        while cut and (line[cut] & 0xC0) == 0x80:  # a continuation byte: step back
            cut -= 1
        out.append(line[:cut])
        line, chunk_limit = b" " + line[cut:], 75
    out.append(line)
    return b"\r\n".join(out) + b"\r\n"


def feed_file(feed: CalendarFeed, *, now: dt.datetime | None = None) -> FeedFile:
    now = now or timezone.now()
    rows = _rows(feed, now)
    if feed.busy_only:
        rows = [e for e in rows if e.transparency == Event.Transparency.BUSY]
    rows.sort(key=lambda e: (e.start, e.pk))
    newest = max([feed.updated_at, *(e.updated_at for e in rows)])
    with translation.override(feed.user.language):
        vevents = [calendar_event(e, busy_only=feed.busy_only, owner=feed.user) for e in rows]
    data = build_calendar(None, vevents, dtstamp=newest) if vevents else empty_calendar()
    data = _named(data, f"{feed.user.full_name or feed.user.email} · Rendezvous")
    return FeedFile(data, f'"{hashlib.sha256(data).hexdigest()[:32]}"', newest)
