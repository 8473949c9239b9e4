"""The iTIP methods beyond REPLY that reach a reply address: COUNTER and REFRESH.

A COUNTER proposes another time (Outlook's and Google's "Propose new time"), a REFRESH
asks for the event again (RFC 5546 §3.2.6-7). Read here as plain values; what becomes of
them is decided by the handlers ``events`` registers (``mail.inbound_handlers``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from icalendar import Calendar

from . import inbound_text
from .inbound_values import instant, person_address, read_sequence


@dataclass(frozen=True)
class ParsedCounter:
    """A proposal of another time (METHOD:COUNTER, RFC 5546 §3.2.7).

    ``start``/``end`` are aware (UTC), or naive for a floating time (the event's zone
    places it); ``attendees`` are every ATTENDEE address in the VEVENT (the proposer is
    the guest whose reply address received it, who must be among them).
    """

    uid: str
    attendees: tuple[str, ...]
    start: dt.datetime
    end: dt.datetime
    comment: str = ""
    recurrence_id: dt.datetime | None = None
    sequence: int = 0


def counters(calendar: Calendar, problems: list[str]) -> list[ParsedCounter]:
    """The proposals in a COUNTER: each VEVENT with a readable new start and end."""
    found = []
    for event in calendar.walk("VEVENT"):
        uid = str(event.get("UID", "")).strip()
        start = instant(event.get("DTSTART"), floating=True)
        end = instant(event.get("DTEND"), floating=True)
        duration = getattr(event.get("DURATION"), "dt", None)
        if end is None and start is not None and isinstance(duration, dt.timedelta):
            end = start + duration
        date_only = any(
            type(getattr(event.get(name), "dt", None)) is dt.date for name in ("DTSTART", "DTEND")
        )
        if not uid or start is None or end is None or date_only:
            problems.append(f"COUNTER for {uid or '(no UID)'} without a usable new time")
            continue
        if (start.tzinfo is None) != (end.tzinfo is None):
            problems.append(f"COUNTER for {uid}: a floating and a fixed time mixed")
            continue
        attendees = event.get("ATTENDEE")
        attendees = attendees if isinstance(attendees, list) else [attendees]
        addresses = tuple(a for a in (person_address(p) for p in attendees) if a)
        found.append(
            ParsedCounter(
                uid=uid,
                attendees=addresses,
                start=start,
                end=end,
                comment=inbound_text.comment_of(event),
                recurrence_id=instant(event.get("RECURRENCE-ID"), floating=True),
                sequence=read_sequence(event.get("SEQUENCE"), problems),
            )
        )
    return found


def refreshes(calendar: Calendar) -> list[tuple[str, str]]:
    """(UID, attendee) asked for by a REFRESH (RFC 5546 §3.2.6: one ATTENDEE, the asker)."""
    found = []
    for event in calendar.walk("VEVENT"):
        uid = str(event.get("UID", "")).strip()
        attendees = event.get("ATTENDEE")
        attendees = attendees if isinstance(attendees, list) else [attendees]
        for attendee in attendees[:1]:
            address = person_address(attendee)
            if uid and address:
                found.append((uid, address))
    return found
