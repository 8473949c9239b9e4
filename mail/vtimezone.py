"""VTIMEZONE components as calendar clients expect them: yearly rules, not lists of dates.

Outlook reads one STANDARD and one DAYLIGHT block with yearly RRULEs; Mozilla's
``ical.js`` (Thunderbird) misplaced the summer occurrences of a series when the same
rules came as lists of RDATEs (what the ``icalendar`` library writes). So the rules are
derived here from the time-zone database itself: every change of offset in the years
an event needs (found by scanning ``zoneinfo``), grouped into yearly rules where a
change falls on the same weekday of the same month at the same wall time year after year
("the last Sunday of March at 02:00"), kept as one dated observance where it does not.
A rule that stopped within those years ends with UNTIL; the rule still in force at the
end has none, so clients carry it forward.

RFC 5545 §3.6.5: DTSTART is the wall time of the change in the offset *before* it
(TZOFFSETFROM), so that DTSTART − TZOFFSETFROM is the instant of the change.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import zoneinfo
from dataclasses import dataclass, field

_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_STEP = dt.timedelta(days=1)


@dataclass(frozen=True)
class Change:
    """One change of UTC offset: when (UTC), from which offset to which, and its name."""

    at: dt.datetime
    before: dt.timedelta
    after: dt.timedelta
    name: str
    daylight: bool

    @property
    def wall(self) -> dt.datetime:
        """The wall time of the change in the offset before it (naive)."""
        return (self.at + self.before).replace(tzinfo=None)

    @property
    def weekdays_of_month(self) -> frozenset[int]:
        """Which BYDAY ordinals describe its day: the n-th of the month, and -1 if last."""
        wall = self.wall
        nth = (wall.day - 1) // 7 + 1
        last = wall.day + 7 > calendar.monthrange(wall.year, wall.month)[1]
        return frozenset({nth, -1} if last else {nth})

    @property
    def rule_key(self) -> tuple:
        wall = self.wall
        return (
            self.daylight,
            self.before,
            self.after,
            self.name,
            wall.month,
            wall.weekday(),
            wall.time(),
        )


@dataclass
class _Observance:
    changes: list[Change] = field(default_factory=list)
    ordinals: frozenset[int] = frozenset()

    def takes(self, change: Change) -> bool:
        last = self.changes[-1]
        return (
            change.rule_key == last.rule_key
            and change.wall.year == last.wall.year + 1
            and bool(self.ordinals & change.weekdays_of_month)
        )


def offset_changes(zone: zoneinfo.ZoneInfo, start: dt.datetime, end: dt.datetime) -> list[Change]:
    """Every change of ``zone``'s UTC offset in ``[start, end)`` (aware), to the second.

    Offsets change at most a few times a year and never twice within a day, so a daily
    scan finds each change and a bisection pins it down.
    """
    changes = []
    here = start.astimezone(dt.UTC)
    offset = _utcoffset_at(zone, here)
    while here < end:
        step = min(here + _STEP, end)
        next_offset = _utcoffset_at(zone, step)
        if next_offset != offset:
            lo, hi = here, step
            while hi - lo > dt.timedelta(seconds=1):
                mid = (lo + (hi - lo) / 2).replace(microsecond=0)
                if _utcoffset_at(zone, mid) == offset:
                    lo = mid
                else:
                    hi = mid
            local = hi.astimezone(zone)
            changes.append(
                Change(
                    at=hi,
                    before=offset,
                    after=next_offset,
                    name=local.tzname() or "",
                    # Summer time as clients mean it: the clocks go forward. (The
                    # database's own flag calls Dublin's winter time daylight time.)
                    daylight=next_offset > offset,
                )
            )
            offset = next_offset
        here = step
    return changes


def _utcoffset_at(zone: zoneinfo.ZoneInfo, instant: dt.datetime) -> dt.timedelta:
    return instant.astimezone(zone).utcoffset() or dt.timedelta(0)


def _offset(value: dt.timedelta) -> str:
    seconds = int(value.total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{seconds:02d}" if seconds else "")


def _stamp(value: dt.datetime) -> str:
    return value.strftime("%Y%m%dT%H%M%S")


def _observance_lines(observance: _Observance, still_in_force: bool) -> list[str]:
    first = observance.changes[0]
    lines = [
        "BEGIN:DAYLIGHT" if first.daylight else "BEGIN:STANDARD",
        f"DTSTART:{_stamp(first.wall)}",
        f"TZOFFSETFROM:{_offset(first.before)}",
        f"TZOFFSETTO:{_offset(first.after)}",
    ]
    if first.name:
        lines.append(f"TZNAME:{first.name}")
    if len(observance.changes) > 1:
        ordinal = -1 if -1 in observance.ordinals else min(observance.ordinals)
        rule = f"FREQ=YEARLY;BYMONTH={first.wall.month};BYDAY={ordinal}{_WEEKDAYS[first.wall.weekday()]}"
        if not still_in_force:
            # Any UNTIL between the last onset and the next year's gives the same onsets.
            # A day after the last one in UTC keeps it even for readers that compare
            # UNTIL with the local DTSTART (dateutil's does), whatever the offset.
            until = observance.changes[-1].at + dt.timedelta(days=1)
            rule += f";UNTIL={_stamp(until)}Z"
        lines.append(f"RRULE:{rule}")
    lines.append("END:DAYLIGHT" if first.daylight else "END:STANDARD")
    return lines


@functools.lru_cache(maxsize=256)
def vtimezone(tzid: str, first_year: int, last_year: int) -> bytes:
    """The VTIMEZONE of ``tzid`` for events from 1 January ``first_year`` to the end of
    ``last_year`` (CRLF lines, ready to go into a VCALENDAR)."""
    zone = zoneinfo.ZoneInfo(tzid)
    # One year either side: the rule in force on 1 January begins the year before, and
    # a rule seen in the year after the last is still in force.
    start = dt.datetime(first_year - 1, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(last_year + 2, 1, 1, tzinfo=dt.UTC)
    changes = offset_changes(zone, start, end)
    lines = ["BEGIN:VTIMEZONE", f"TZID:{tzid}"]
    if not changes:
        offset = _utcoffset_at(zone, start)
        name = start.astimezone(zone).tzname() or ""
        lines += [
            "BEGIN:STANDARD",
            # Not 1970: the offset may have been another then (Kathmandu's was +0530).
            f"DTSTART:{_stamp((start + offset).replace(tzinfo=None))}",
            f"TZOFFSETFROM:{_offset(offset)}",
            f"TZOFFSETTO:{_offset(offset)}",
            *([f"TZNAME:{name}"] if name else []),
            "END:STANDARD",
        ]
    else:
        observances: list[_Observance] = []
        open_by_key: dict[tuple, _Observance] = {}
        for change in changes:
            current = open_by_key.get(change.rule_key)
            if current is not None and current.takes(change):
                current.changes.append(change)
                current.ordinals &= change.weekdays_of_month
                continue
            current = _Observance([change], change.weekdays_of_month)
            open_by_key[change.rule_key] = current
            observances.append(current)
        first = changes[0]
        if first.at > dt.datetime(first_year, 1, 1, tzinfo=dt.UTC):
            # The event's first year begins before any change found: say what held then.
            lines += _observance_lines(
                _Observance([Change(start, first.before, first.before, "", False)]),
                still_in_force=False,
            )
        for observance in observances:
            # Still in force: it changed the offset within the last year scanned.
            in_force = observance.changes[-1].at > end - dt.timedelta(days=366)
            lines += _observance_lines(observance, still_in_force=in_force)
    lines.append("END:VTIMEZONE")
    return ("\r\n".join(lines) + "\r\n").encode("ascii")
