"""Lay a week of events out on a wall-clock grid in the viewer's time zone.

Pure functions, no queries: the view fetches the events once and this module decides
which day column each piece lands in, at which minute, and in which lane.

Rules (all in the viewer's zone):

* A day is the span from one local midnight to the next, so it has 23 or 25 hours on
  DST change days. An event crossing midnight is cut into one piece per day.
* Pieces are placed by local wall-clock minute (what the hour labels show). On the
  spring-forward day the skipped hour is simply empty; on the fall-back day the repeated
  hour shares one row, so a piece inside it may look shorter than it lasts; its label
  always shows the real start and end.
* All-day events are dates, not instants: they appear on the dates they cover in their
  own zone, whatever the viewer's zone is (the convention of every calendar client).
* Recurring events arrive as occurrences (``events.occurrences.expand``): each one is
  laid out like a single event and links to its own page (``?occurrence=``).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.utils.translation import gettext

from scheduling.recurrence import parse_rule

from .models import Attendee, Event
from .occurrences import Occurrence
from .rule_text import describe_rule

MINUTES_PER_DAY = 24 * 60
#: A piece is never drawn shorter than this, so overlap is judged on what is drawn.
MIN_VISIBLE_MINUTES = 20
#: Pieces shorter than this get a one-line layout.
SHORT_MINUTES = 45


def occurrence_param(recurrence_id: dt.datetime) -> str:
    """An occurrence's original start as the pages' ``?occurrence=`` value (UTC, "Z":
    nothing in it needs percent-encoding)."""
    return recurrence_id.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Placed:
    """What every block of the grid shares: the occurrence, and how to link and mark it."""

    event: Event  # the single event, the series, or the changed occurrence's own row
    start: dt.datetime  # this occurrence, UTC
    end: dt.datetime
    occurrence: str = ""  # the ?occurrence= value; empty for a single event
    repeats: str = ""  # "Repeats: every week on Monday"; empty for a single event

    @property
    def recurring(self) -> bool:
        return bool(self.occurrence)


@dataclass
class Segment:
    """The part of one timed occurrence that falls on one local day."""

    item: Placed
    start: dt.datetime  # local, aware
    end: dt.datetime  # local, aware
    start_minute: int
    end_minute: int
    continues_before: bool
    continues_after: bool
    declined: bool = False
    lane: int = 0
    lanes: int = 1

    @property
    def event(self) -> Event:
        return self.item.event

    @property
    def visible_end_minute(self) -> int:
        return min(MINUTES_PER_DAY, max(self.end_minute, self.start_minute + MIN_VISIBLE_MINUTES))

    @property
    def is_short(self) -> bool:
        """Too short for two lines: time and title are drawn on one."""
        return self.visible_end_minute - self.start_minute < SHORT_MINUTES


@dataclass
class Day:
    date: dt.date
    is_today: bool
    all_day: list[Placed] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)

    @property
    def is_weekend(self) -> bool:
        return self.date.weekday() >= 5


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def local_midnight(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    """The first instant of a local date, in UTC.

    Where midnight itself does not exist (zones that spring forward at 00:00), fold=0
    reads it with the offset before the gap, which lands on the first existing instant.
    """
    return dt.datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(dt.UTC)


def week_bounds(monday: dt.date, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    return local_midnight(monday, zone), local_midnight(monday + dt.timedelta(days=7), zone)


def all_day_dates(item: Event | Placed) -> tuple[dt.date, dt.date]:
    """First and last date (inclusive) an all-day event covers, in its own zone."""
    event = item.event if isinstance(item, Placed) else item
    try:
        zone: dt.tzinfo = zoneinfo.ZoneInfo(event.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = dt.UTC
    first = item.start.astimezone(zone).date()
    last = (item.end.astimezone(zone) - dt.timedelta(microseconds=1)).date()
    return first, max(first, last)


def _repeats_text(event: Event, cache: dict[int, str]) -> str:
    """The tooltip of a recurring block; a changed occurrence's series is not loaded."""
    if not event.recurrence:
        return gettext("Recurring event (this occurrence was changed)")
    if event.pk not in cache:
        try:
            rule = describe_rule(parse_rule(event.recurrence))
        except ValueError:
            cache[event.pk] = gettext("Recurring event")
        else:
            cache[event.pk] = gettext("Recurring: %(rule)s") % {"rule": rule}
    return cache[event.pk]


def place(occurrences: list[Occurrence]) -> list[Placed]:
    """The grid's view of each occurrence: its link parameter and its recurring mark."""
    cache: dict[int, str] = {}
    placed = []
    for occurrence in occurrences:
        rid = occurrence.recurrence_id
        placed.append(
            Placed(
                event=occurrence.event,
                start=occurrence.start,
                end=occurrence.end,
                occurrence=occurrence_param(rid) if rid is not None else "",
                repeats=_repeats_text(occurrence.event, cache) if rid is not None else "",
            )
        )
    return placed


def _wall_minute(moment: dt.datetime) -> int:
    return moment.hour * 60 + moment.minute


def _assign_lanes(segments: list[Segment]) -> None:
    """Side by side where pieces overlap; each cluster of overlaps shares its lane count."""
    segments.sort(key=lambda s: (s.start_minute, -s.end_minute, s.item.start, s.event.pk or 0))
    cluster: list[Segment] = []
    lane_ends: list[int] = []
    cluster_end = -1

    def close() -> None:
        for seg in cluster:
            seg.lanes = max(1, len(lane_ends))

    for seg in segments:
        if cluster and seg.start_minute >= cluster_end:
            close()
            cluster, lane_ends = [], []
        for index, lane_end in enumerate(lane_ends):
            if lane_end <= seg.start_minute:
                seg.lane = index
                lane_ends[index] = seg.visible_end_minute
                break
        else:
            seg.lane = len(lane_ends)
            lane_ends.append(seg.visible_end_minute)
        cluster.append(seg)
        cluster_end = max(cluster_end, seg.visible_end_minute)
    close()


def _my_status(event: Event, viewer_id: int | None) -> str | None:
    for attendee in event.attendees.all():  # prefetched by events_in_range
        if attendee.user_id == viewer_id:
            return attendee.status
    return None


def layout_week(
    occurrences: list[Occurrence],
    monday: dt.date,
    zone: dt.tzinfo,
    *,
    today: dt.date,
    viewer_id: int | None = None,
) -> list[Day]:
    """Seven :class:`Day` objects, Monday first, each with its all-day events and pieces."""
    days = [
        Day(date=monday + dt.timedelta(days=i), is_today=monday + dt.timedelta(days=i) == today)
        for i in range(7)
    ]
    bounds = [local_midnight(day.date, zone) for day in days]
    bounds.append(local_midnight(monday + dt.timedelta(days=7), zone))
    for item in place(occurrences):
        event = item.event
        if event.all_day:
            first, last = all_day_dates(item)
            for day in days:
                if first <= day.date <= last:
                    day.all_day.append(item)
            continue
        declined = _my_status(event, viewer_id) == Attendee.Status.DECLINED
        for index, day in enumerate(days):
            day_start, day_end = bounds[index], bounds[index + 1]
            if not (item.start < day_end and item.end > day_start):
                continue
            start = max(item.start, day_start).astimezone(zone)
            end = min(item.end, day_end).astimezone(zone)
            start_minute = 0 if item.start <= day_start else _wall_minute(start)
            end_minute = MINUTES_PER_DAY if item.end >= day_end else _wall_minute(end)
            day.segments.append(
                Segment(
                    item=item,
                    start=start,
                    end=end,
                    start_minute=start_minute,
                    end_minute=max(end_minute, start_minute),
                    continues_before=item.start < day_start,
                    continues_after=item.end > day_end,
                    declined=declined,
                )
            )
    for day in days:
        day.all_day.sort(key=lambda p: (p.start, p.event.title.lower(), p.event.pk or 0))
        _assign_lanes(day.segments)
    return days
