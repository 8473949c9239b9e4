"""A VFREEBUSY answer (RFC 4791 §7.10: the CalDAV free-busy-query report).

Busy periods only, in UTC: what a client needs to find a time, nothing about what the
time is taken by.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from icalendar import Calendar, FreeBusy, vPeriod

from .ical import PRODID


def busy_calendar(
    email: str,
    start: dt.datetime,
    end: dt.datetime,
    busy: Iterable[tuple[dt.datetime, dt.datetime]],
    *,
    dtstamp: dt.datetime | None = None,
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    component = FreeBusy()
    component.add("dtstamp", (dtstamp or dt.datetime.now(dt.UTC)).astimezone(dt.UTC))
    component.add("dtstart", start.astimezone(dt.UTC))
    component.add("dtend", end.astimezone(dt.UTC))
    component.add("organizer", f"mailto:{email}")
    for a, b in busy:
        period = vPeriod((a.astimezone(dt.UTC), b.astimezone(dt.UTC)))
        component.add("freebusy", period, parameters={"FBTYPE": "BUSY"})
    calendar.add_component(component)
    return calendar.to_ical()
