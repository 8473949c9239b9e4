"""Reading one source: fetch its calendar, reduce it to busy spans.

An iCalendar address is fetched with a conditional GET (ETag / Last-Modified); a CalDAV
calendar is asked for a ``free-busy-query`` and, where the server does not answer one,
for a time-range ``calendar-query`` whose objects are read like a feed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from xml.etree import ElementTree as ET

import defusedxml.ElementTree as SafeET
from django.utils.translation import gettext as _
from icalendar import Calendar

from scheduling.intervals import merge_pairs_clipped

from .ical_busy import FeedError, busy_spans
from .safe_http import Fetched, FetchError, fetch

Span = tuple[dt.datetime, dt.datetime]


@dataclass
class Reading:
    spans: list[Span] | None  # None: not modified since the last read (304)
    etag: str = ""
    last_modified: str = ""


def _status_error(answer: Fetched) -> FetchError:
    status = answer.status
    if status in (401, 403):
        return FetchError(
            _("The server answered %(status)d: check the user name and password, or the address.")
            % {"status": status}
        )
    if status == 404:
        return FetchError(_("The server answered 404: the address is wrong or was withdrawn."))
    if status >= 500:
        return FetchError(
            _("The server answered %(status)d: a problem on its side.") % {"status": status}
        )
    return FetchError(_("The server answered %(status)d.") % {"status": status})


def read_ical(
    url: str, start: dt.datetime, end: dt.datetime, *, zone: str, etag: str = "",
    last_modified: str = "",
) -> Reading:  # fmt: skip
    headers = {"Accept": "text/calendar, */*;q=0.5"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    answer = fetch(url, headers=headers)
    if answer.status == 304:
        return Reading(None, etag, last_modified)
    if answer.status != 200:
        raise _status_error(answer)
    return Reading(
        busy_spans(answer.body, start, end, default_zone=zone),
        answer.headers.get("etag", ""),
        answer.headers.get("last-modified", ""),
    )


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


FREE_BUSY = """<?xml version="1.0" encoding="utf-8"?>
<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">
<C:time-range start="{start}" end="{end}"/></C:free-busy-query>"""

QUERY = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><C:calendar-data/></D:prop>
<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
<C:time-range start="{start}" end="{end}"/></C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""


def _free_busy_periods(body: bytes, start: dt.datetime, end: dt.datetime) -> list[Span]:
    periods: list[Span] = []
    for component in Calendar.from_ical(body).walk("VFREEBUSY"):
        values = component.get("FREEBUSY", [])
        for prop in values if isinstance(values, list) else [values]:
            if not str(prop.params.get("FBTYPE", "BUSY")).upper().startswith("BUSY"):
                continue
            for s, e_or_length in prop.dt if isinstance(prop.dt, list) else [prop.dt]:
                e = e_or_length if isinstance(e_or_length, dt.datetime) else s + e_or_length
                periods.append((s.astimezone(dt.UTC), e.astimezone(dt.UTC)))
    return merge_pairs_clipped(periods, start, end)


def read_caldav(
    url: str, username: str, password: str, start: dt.datetime, end: dt.datetime, *, zone: str
) -> Reading:
    headers = {"Depth": "1", "Content-Type": "application/xml; charset=utf-8"}
    auth = (username, password) if username else None
    times = {"start": _utc(start), "end": _utc(end)}
    answer = fetch(url, method="REPORT", headers=headers, auth=auth,
                   body=FREE_BUSY.format(**times).encode())  # fmt: skip
    # 501 Not Implemented (or a 4xx about the request itself): no free-busy-query here.
    if answer.status in (401, 403, 404) or (answer.status >= 500 and answer.status != 501):
        raise _status_error(answer)
    if answer.status == 200 and b"VFREEBUSY" in answer.body:
        try:
            return Reading(_free_busy_periods(answer.body, start, end))
        except Exception as exc:  # the library raises several types for broken input
            raise FeedError(
                _("The free/busy answer could not be read: %(reason)s") % {"reason": exc}
            ) from None
    # No free-busy-query here: read the events of the window instead.
    answer = fetch(url, method="REPORT", headers=headers, auth=auth,
                   body=QUERY.format(**times).encode())  # fmt: skip
    if answer.status != 207:
        raise _status_error(answer)
    try:
        root = SafeET.fromstring(answer.body, forbid_dtd=True)
    except (ET.ParseError, ValueError) as exc:
        raise FeedError(
            _("The server's answer could not be read: %(reason)s") % {"reason": exc}
        ) from None
    texts = [node.text or "" for node in root.iter("{urn:ietf:params:xml:ns:caldav}calendar-data")]
    objects = [re.sub(r"\r?\n", "\r\n", t).encode() for t in texts if t.strip()]
    spans: list[Span] = []
    for data in objects:
        spans.extend(busy_spans(data, start, end, default_zone=zone))
    return Reading(merge_pairs_clipped(spans, start, end))
