"""Lay people's working time and busy blocks out on the viewer's day grid.

Pure functions, no queries: ``planner.selectors.schedules`` reads everything once, and
this module cuts it into days of the *viewer's* time zone and places each piece by the
viewer's wall-clock minute (the hour labels), the same way the week view does
(``events.week``): an interval crossing the viewer's midnight is cut in two, and on DST
change days the skipped hour stays empty and the repeated one shares its row. Working
hours arrive as UTC intervals already built on each person's own wall clock, so Bob's
09:00-17:00 in New York shows as 15:00-23:00 to a viewer in Berlin.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from accounts.models import User
from events.occurrences import BusyBlock
from events.week import local_midnight
from scheduling.intervals import Interval, merge

from .selectors import PersonSchedule

MINUTES_PER_DAY = 24 * 60
#: A busy piece is never drawn narrower than this, so a 5-minute call stays visible.
MIN_VISIBLE_MINUTES = 10


@dataclass
class Piece:
    """The part of one interval that falls on one of the viewer's days."""

    start: dt.datetime  # viewer's zone, aware
    end: dt.datetime  # viewer's zone, aware
    start_minute: int
    end_minute: int
    continues_before: bool
    continues_after: bool
    reaches_midnight: bool = False
    title: str | None = None
    event_id: int | None = None
    url: str | None = None
    lane: int = 0
    lanes: int = 1

    @property
    def visible_end_minute(self) -> int:
        return min(MINUTES_PER_DAY, max(self.end_minute, self.start_minute + MIN_VISIBLE_MINUTES))

    @property
    def start_label(self) -> str:
        return self.start.strftime("%H:%M")

    @property
    def end_label(self) -> str:
        """ "24:00" for a piece that lasts to the end of the day, else the local end time."""
        return "24:00" if self.reaches_midnight else self.end.strftime("%H:%M")


@dataclass
class Row:
    user: User
    zone_name: str
    is_viewer: bool
    working: list[Piece] = field(default_factory=list)
    busy: list[Piece] = field(default_factory=list)


@dataclass
class DayGrid:
    date: dt.date
    is_today: bool
    rows: list[Row] = field(default_factory=list)
    #: The times a search found on this day, one piece per slot (lanes where they overlap).
    found: list[Piece] = field(default_factory=list)
    #: Their union: the stretches outlined across everyone's rows.
    found_spans: list[Piece] = field(default_factory=list)

    @property
    def found_lanes(self) -> int:
        return max((p.lanes for p in self.found), default=1)


def day_bounds(first: dt.date, days: int, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """From the viewer's midnight starting ``first`` to the one after the last day, in UTC."""
    return local_midnight(first, zone), local_midnight(first + dt.timedelta(days=days), zone)


def _wall_minute(moment: dt.datetime) -> int:
    return moment.hour * 60 + moment.minute


def _cut(
    start: dt.datetime,
    end: dt.datetime,
    day_start: dt.datetime,
    day_end: dt.datetime,
    zone: dt.tzinfo,
) -> Piece | None:
    if not (start < day_end and end > day_start):
        return None
    local_start = max(start, day_start).astimezone(zone)
    local_end = min(end, day_end).astimezone(zone)
    start_minute = 0 if start <= day_start else _wall_minute(local_start)
    end_minute = MINUTES_PER_DAY if end >= day_end else _wall_minute(local_end)
    return Piece(
        start=local_start,
        end=local_end,
        start_minute=start_minute,
        end_minute=max(end_minute, start_minute),
        continues_before=start < day_start,
        continues_after=end > day_end,
        reaches_midnight=end >= day_end,
    )


def _assign_lanes(pieces: list[Piece]) -> None:
    """Overlapping busy pieces sit one above the other; each cluster shares its lane count."""
    pieces.sort(key=lambda p: (p.start_minute, -p.end_minute))
    cluster: list[Piece] = []
    lane_ends: list[int] = []
    cluster_end = -1

    def close() -> None:
        for piece in cluster:
            piece.lanes = max(1, len(lane_ends))

    for piece in pieces:
        if cluster and piece.start_minute >= cluster_end:
            close()
            cluster, lane_ends = [], []
        for index, lane_end in enumerate(lane_ends):
            if lane_end <= piece.start_minute:
                piece.lane = index
                lane_ends[index] = piece.visible_end_minute
                break
        else:
            piece.lane = len(lane_ends)
            lane_ends.append(piece.visible_end_minute)
        cluster.append(piece)
        cluster_end = max(cluster_end, piece.visible_end_minute)
    close()


def _plain_pieces(
    working: Iterable[Interval], day_start: dt.datetime, day_end: dt.datetime, zone: dt.tzinfo
) -> list[Piece]:
    pieces = (_cut(iv.start, iv.end, day_start, day_end, zone) for iv in working)
    return [p for p in pieces if p is not None]


def _busy_pieces(
    blocks: Iterable[BusyBlock], day_start: dt.datetime, day_end: dt.datetime, zone: dt.tzinfo
) -> list[Piece]:
    pieces = []
    for block in blocks:
        piece = _cut(block.start, block.end, day_start, day_end, zone)
        if piece is not None:
            piece.title = block.title
            piece.event_id = block.event_id
            pieces.append(piece)
    _assign_lanes(pieces)
    return pieces


def place_found(
    grids: Sequence[DayGrid], slots: Sequence[tuple[Interval, str]], zone: dt.tzinfo
) -> None:
    """Put the found ``(slot, link)`` pairs on the days shown, cut at the viewer's midnight.

    Slots on a 15- or 30-minute step overlap (14:00-15:00, 14:30-15:30, ...), so each
    gets a lane, as overlapping busy blocks do; the merged spans mark the same time
    across everyone's rows, so that the busy blocks around a found time are in view.
    """
    for grid in grids:
        day_start, day_end = day_bounds(grid.date, 1, zone)
        found = []
        for slot, url in slots:
            piece = _cut(slot.start, slot.end, day_start, day_end, zone)
            if piece is not None:
                piece.url = url
                found.append(piece)
        _assign_lanes(found)
        grid.found = found
        grid.found_spans = _plain_pieces(merge(slot for slot, _ in slots), day_start, day_end, zone)


def visible_hours(grids: Sequence[DayGrid], margin: int = 1) -> tuple[int, int]:
    """The hours the grid shows: from the first working, busy or found minute of the view to the
    last, widened by ``margin`` hours and the same for every day of the view, so that
    blocks are as wide as they can be and days line up. 08-18 when nothing is there.
    """
    starts, ends = [], []
    for grid in grids:
        for row in grid.rows:
            for piece in row.working:
                starts.append(piece.start_minute)
                ends.append(piece.end_minute)
            for piece in row.busy:
                starts.append(piece.start_minute)
                ends.append(piece.visible_end_minute)
        for piece in grid.found:
            starts.append(piece.start_minute)
            ends.append(piece.end_minute)
    if not starts:
        return 8, 18
    first = max(0, min(starts) // 60 - margin)
    last = min(24, -(-max(ends) // 60) + margin)
    return first, max(last, first + 1)


def layout_days(
    schedules: Sequence[PersonSchedule],
    first: dt.date,
    days: int,
    zone: dt.tzinfo,
    *,
    today: dt.date,
    viewer_id: int,
) -> list[DayGrid]:
    """One :class:`DayGrid` per viewer's day from ``first``, one row per person in order."""
    grids = []
    for offset in range(days):
        date = first + dt.timedelta(days=offset)
        day_start, day_end = day_bounds(date, 1, zone)
        grid = DayGrid(date=date, is_today=date == today)
        for schedule in schedules:
            user = schedule.user
            grid.rows.append(
                Row(
                    user=user,
                    zone_name=user.timezone,
                    is_viewer=user.pk == viewer_id,
                    working=_plain_pieces(schedule.working, day_start, day_end, zone),
                    busy=_busy_pieces(schedule.busy, day_start, day_end, zone),
                )
            )
        grids.append(grid)
    return grids
