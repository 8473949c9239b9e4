"""An outside calendar's iCalendar text, reduced to busy time in a window.

What counts: VEVENTs that are neither cancelled nor transparent (RFC 5545's default is
opaque, so an all-day event without TRANSP is busy), series expanded in their own zone
(DST kept in wall time), EXDATEs and RDATEs applied, a changed date (RECURRENCE-ID)
replacing the occurrence it names. Feeds that write UTC times and name their zone in
``X-WR-TIMEZONE`` (Google's) are turned into ordinary zoned ones first by the
``x-wr-timezone`` library; Outlook's Windows zone names come with their VTIMEZONE, which
``icalendar`` reads, or are mapped by its table. A floating time is in the employee's
own zone. Nothing else is kept: no titles, places or people.

Bounded: at most ``MAX_EVENTS`` VEVENTs and ``MAX_STEPS`` occurrences walked in all, and
rules repeating every second or minute are refused; such a feed is an error ("a feed
with a million events ... is refused with a clear error and changes nothing").
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Iterator

import x_wr_timezone
from dateutil.rrule import rrulestr
from django.utils.translation import gettext as _
from icalendar import Calendar
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from scheduling.intervals import merge_pairs_clipped

MAX_EVENTS = 20_000
MAX_STEPS = 200_000
REFUSED_FREQUENCIES = ("SECONDLY", "MINUTELY")


class FeedError(ValueError):
    """The calendar cannot be read; the message says why, for its owner."""


def _zone(value: dt.datetime, default: zoneinfo.ZoneInfo) -> dt.tzinfo:
    if value.tzinfo is None:
        return default
    name = str(value.tzinfo)
    if name in WINDOWS_TO_OLSON:
        return zoneinfo.ZoneInfo(WINDOWS_TO_OLSON[name])
    return value.tzinfo


def _instant(value, zone: dt.tzinfo) -> dt.datetime:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=zone)
        return value.astimezone(dt.UTC)
    return dt.datetime.combine(value, dt.time(0), zone).astimezone(dt.UTC)


def _dates(component, name: str, zone: dt.tzinfo) -> set[dt.datetime]:
    values = component.get(name) or []
    out = set()
    for value in values if isinstance(values, list) else [values]:
        for item in value.dts:
            out.add(_instant(item.dt, zone))
    return out


class _Walk:
    """Counts every occurrence stepped over, across the whole feed."""

    def __init__(self) -> None:
        self.steps = 0

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise FeedError(
                _("The calendar repeats more than %(n)d times; Rendezvous reads at most that.")
                % {"n": MAX_STEPS}
            )


def _occurrences(component, default: zoneinfo.ZoneInfo, walk: _Walk, end: dt.datetime
                 ) -> Iterator[tuple[dt.datetime, dt.datetime]]:  # fmt: skip
    """(start, end) in UTC of each occurrence starting before ``end``."""
    raw_start = component.decoded("DTSTART")
    all_day = not isinstance(raw_start, dt.datetime)
    zone = default if all_day else _zone(raw_start, default)
    local_start = (
        dt.datetime.combine(raw_start, dt.time(0))
        if all_day
        else raw_start.astimezone(zone).replace(tzinfo=None)
        if raw_start.tzinfo is not None
        else raw_start
    )
    if "DTEND" in component:
        raw_end = component.decoded("DTEND")
        local_end = (
            dt.datetime.combine(raw_end, dt.time(0))
            if not isinstance(raw_end, dt.datetime)
            else raw_end.astimezone(zone).replace(tzinfo=None)
            if raw_end.tzinfo is not None
            else raw_end
        )
        length = local_end - local_start
    elif "DURATION" in component:
        length = component.decoded("DURATION")
    else:
        length = dt.timedelta(days=1) if all_day else dt.timedelta(0)
    rule = component.get("RRULE")
    if rule is None:
        walk.step()
        start = local_start.replace(tzinfo=zone)
        yield start.astimezone(dt.UTC), (start + length).astimezone(dt.UTC)
        return
    if isinstance(rule, list):
        raise FeedError(_("An event has more than one RRULE."))
    if str(rule.get("FREQ", [""])[0]).upper() in REFUSED_FREQUENCIES:
        raise FeedError(_("A series repeats every second or minute; Rendezvous does not read it."))
    rule = dict(rule)
    if "UNTIL" in rule:  # dateutil wants UNTIL in the same form as the (naive) start
        until = rule["UNTIL"][0]
        if isinstance(until, dt.datetime) and until.tzinfo is not None:
            rule["UNTIL"] = [until.astimezone(zone).replace(tzinfo=None)]
    text = ";".join(
        f"{key}={','.join(_rule_value(v) for v in values)}" for key, values in rule.items()
    )
    try:
        series = rrulestr(text, dtstart=local_start)
    except (ValueError, TypeError) as exc:
        raise FeedError(
            _("A series has a rule that cannot be read: %(reason)s") % {"reason": exc}
        ) from None
    excluded = _dates(component, "EXDATE", zone)
    extra = sorted(_dates(component, "RDATE", zone))
    for local in series:
        walk.step()
        start = local.replace(tzinfo=zone)
        if start.astimezone(dt.UTC) >= end:
            break
        if start.astimezone(dt.UTC) in excluded:
            continue
        yield start.astimezone(dt.UTC), (start + length).astimezone(dt.UTC)
    for instant in extra:
        walk.step()
        yield instant, instant + length


def _rule_value(value) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y%m%dT%H%M%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y%m%d")
    if hasattr(value, "to_ical"):
        out = value.to_ical()
        return out.decode() if isinstance(out, bytes) else str(out)
    return str(value)


def _busy(component) -> bool:
    return (
        str(component.get("STATUS", "")).upper() != "CANCELLED"
        and str(component.get("TRANSP", "OPAQUE")).upper() != "TRANSPARENT"
    )


def busy_spans(
    data: bytes, start: dt.datetime, end: dt.datetime, *, default_zone: str
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The merged busy time of the calendar ``data`` in ``[start, end)``."""
    try:
        calendar = Calendar.from_ical(data)
        calendar = x_wr_timezone.to_standard(calendar)
    except Exception as exc:  # the libraries raise several types for broken input
        raise FeedError(_("This is not an iCalendar file: %(reason)s") % {"reason": exc}) from None
    events = calendar.walk("VEVENT")
    if len(events) > MAX_EVENTS:
        raise FeedError(
            _("The calendar has more than %(n)d events; Rendezvous reads at most that.")
            % {"n": MAX_EVENTS}
        )
    default = zoneinfo.ZoneInfo(default_zone)
    replaced: dict[str, set[dt.datetime]] = defaultdict(set)
    for component in events:
        if "RECURRENCE-ID" in component:
            rid = component.decoded("RECURRENCE-ID")
            zone = _zone(rid, default) if isinstance(rid, dt.datetime) else default
            replaced[str(component.get("UID", ""))].add(_instant(rid, zone))
    walk, spans = _Walk(), []
    try:
        for component in events:
            if "DTSTART" not in component:
                continue
            uid = str(component.get("UID", ""))
            is_change = "RECURRENCE-ID" in component
            if not _busy(component):
                continue
            for s, e in _occurrences(component, default, walk, end):
                if not is_change and "RRULE" in component and s in replaced.get(uid, ()):
                    continue
                if e > start and s < end:
                    spans.append((s, e))
    except FeedError:
        raise
    except Exception as exc:  # a value the libraries could not decode
        raise FeedError(_("A value could not be read: %(reason)s") % {"reason": exc}) from None
    return merge_pairs_clipped(spans, start, end)
