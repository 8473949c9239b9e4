"""Seeded calendars for the benchmarks: single events, weekly series, and history around them.

Pure generation (``Spec`` lists from a ``random.Random``) is kept apart from writing, so
every benchmark draws the same data for the same seed, and the Radicale comparison can
serve exactly what our database holds.

Rows are written with ``bulk_create`` (fast), which skips ``Event.save()``: so
``series_end`` is set here (``compute_series_end()``), each event gets its organizer's
Attendee row (accepted), as ``events.services.event_create`` writes it, and each series
its stored occurrences (``events.occurrence_store``), as its save would.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Europe/Berlin")
# (minutes, weight) of random single events, as in bench/engine.py: mostly short
# meetings, some long blocks.
LENGTHS = [(15, 30), (30, 35), (45, 10), (60, 18), (90, 4), (120, 2.5), (480, 0.3)]
# Series are meetings: 15 minutes to two hours.
SERIES_LENGTHS = [(15, 25), (30, 35), (45, 10), (60, 25), (90, 3), (120, 2)]
DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True)
class Spec:
    """One event to write: UTC bounds and, for a series, its RRULE (first occurrence = start)."""

    start: datetime
    end: datetime
    rule: str | None = None


Avoid = Callable[[datetime, datetime], bool]


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=TZ)


def quiet_hour(hour: int = 13) -> Avoid:
    """A rule that keeps ``hour``:00-``hour+1``:00 (Berlin) free every day.

    The planner people all keep it free, so that a 100-person search has an answer to
    find (and the answer can be checked: every common slot lies in a quiet hour).
    """

    def overlaps(start: datetime, end: datetime) -> bool:
        first = start.astimezone(TZ).date()
        last = end.astimezone(TZ).date()
        day = first
        while day <= last:
            lo = datetime.combine(day, time(hour), tzinfo=TZ)
            hi = datetime.combine(day, time(hour + 1), tzinfo=TZ)
            if start < hi and end > lo:
                return True
            day += timedelta(days=1)
        return False

    return overlaps


def _pick(rng: random.Random, table: list[tuple[int, float]]) -> int:
    values, weights = zip(*table, strict=True)
    return rng.choices(values, weights)[0]


def singles(
    rng: random.Random, count: int, lo: datetime, hi: datetime, avoid: Avoid | None = None
) -> list[Spec]:
    """``count`` single events starting on a 5-minute mark in ``[lo, hi)``, overlapping freely."""
    marks = int((hi - lo).total_seconds() // 300)
    out: list[Spec] = []
    while len(out) < count:
        begin = (lo + timedelta(minutes=5 * rng.randrange(marks))).astimezone(UTC)
        end = begin + timedelta(minutes=_pick(rng, LENGTHS))
        if avoid is not None and avoid(begin, end):
            continue
        out.append(Spec(begin, end))
    return out


def _first_on_or_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _series_time(rng: random.Random, day: date, minutes: int) -> tuple[datetime, datetime]:
    """A local start between 07:00 and 19:55 (never in a DST gap) on ``day``, as UTC."""
    at = time(7 + rng.randrange(13), 5 * rng.randrange(12))
    start = datetime.combine(day, at, tzinfo=TZ).astimezone(UTC)
    return start, start + timedelta(minutes=minutes)


def weekly_series(
    rng: random.Random, count: int, first: date, days: int, avoid: Avoid | None = None
) -> list[Spec]:
    """``count`` weekly series that each have occurrences in ``[first, first + days)``.

    Half start before the window (up to half a year), half inside it. Of the rules,
    60 % are plain ``FREQ=WEEKLY;BYDAY=XX`` without end, 20 % ``INTERVAL=2`` (those
    from before on an even week, so one occurs in the window's first week), 20 % carry
    a COUNT that reaches into the window.
    """
    out: list[Spec] = []
    while len(out) < count:
        kind = rng.random()
        if rng.random() < 0.5:
            weeks_before = rng.randrange(1, 27)
            if 0.6 <= kind < 0.8 and weeks_before % 2:
                weeks_before += 1  # INTERVAL=2: keep an occurrence in the first week too
            weekday = rng.randrange(7)
            day = _first_on_or_after(first - timedelta(weeks=weeks_before), weekday)
        else:
            weeks_before = 0
            day = first + timedelta(days=rng.randrange(days))
            weekday = day.weekday()
        code = DAY_CODES[weekday]
        start, end = _series_time(rng, day, _pick(rng, SERIES_LENGTHS))
        if avoid is not None and avoid(start, end):
            continue
        if kind < 0.6:
            rule = f"FREQ=WEEKLY;BYDAY={code}"
        elif kind < 0.8:
            rule = f"FREQ=WEEKLY;INTERVAL=2;BYDAY={code}"
        else:
            weeks = (first - day).days // 7 + 1 if weeks_before else 0
            rule = f"FREQ=WEEKLY;COUNT={weeks + rng.randrange(2, 9)};BYDAY={code}"
        out.append(Spec(start, end, rule))
    return out


def outside(
    rng: random.Random, count: int, first: date, days: int, avoid: Avoid | None = None
) -> list[Spec]:
    """``count`` events that never touch ``[first, first + days)``: history and far future.

    85 % single events (half in the two years before, half in the year after), 15 %
    series: four in five finished before the window (COUNT or UNTIL), one in five
    starting after it (weekly, without end).
    """
    lo = local_midnight(first)
    hi = local_midnight(first + timedelta(days=days))
    n_single = round(count * 0.85)
    half = n_single // 2
    # A single event lasts at most 8 hours here: keep a day of margin on both sides.
    out = singles(rng, half, lo - timedelta(days=730), lo - timedelta(days=1), avoid)
    out += singles(rng, n_single - half, hi + timedelta(days=1), hi + timedelta(days=365), avoid)
    while len(out) < count:
        weekday = rng.randrange(7)
        code = DAY_CODES[weekday]
        minutes = _pick(rng, SERIES_LENGTHS)
        if rng.random() < 0.8:  # finished before the window
            weeks_before = rng.randrange(12, 105)
            day = _first_on_or_after(first - timedelta(weeks=weeks_before), weekday)
            start, end = _series_time(rng, day, minutes)
            room = max(1, (first - day).days // 7 - 1)  # occurrences that end before first
            if rng.random() < 0.5:
                rule = f"FREQ=WEEKLY;COUNT={rng.randrange(1, room + 1)};BYDAY={code}"
            else:
                stop = start + timedelta(weeks=rng.randrange(0, room))
                until = (stop + timedelta(hours=1)).strftime("%Y%m%dT%H%M%SZ")
                rule = f"FREQ=WEEKLY;UNTIL={until};BYDAY={code}"
        else:  # starts after the window
            day = _first_on_or_after(first + timedelta(days=days + 1 + rng.randrange(300)), weekday)
            start, end = _series_time(rng, day, minutes)
            rule = f"FREQ=WEEKLY;BYDAY={code}"
        if avoid is not None and avoid(start, end):
            continue
        out.append(Spec(start, end, rule))
    return out


def person_calendar(
    rng: random.Random,
    first: date,
    days: int,
    *,
    events: int,
    series: int,
    avoid: Avoid | None = None,
) -> list[Spec]:
    """``events`` events touching the window, ``series`` of them weekly series."""
    lo = local_midnight(first)
    hi = local_midnight(first + timedelta(days=days))
    specs = singles(rng, events - series, lo, hi, avoid)
    specs += weekly_series(rng, series, first, days, avoid)
    rng.shuffle(specs)  # database order is not time order
    return specs


def write_events(account, user, specs: Iterable[Spec], *, title: str = "Busy") -> int:
    """Insert the events of ``user`` with its organizer Attendee row; returns how many."""
    from events import occurrence_store
    from events.models import Attendee, Event
    from scheduling.recurrence import parse_rule

    rows = []
    for spec in specs:
        event = Event(
            account=account,
            organizer=user,
            title=title,
            start=spec.start,
            end=spec.end,
            timezone=TZ.key,
            recurrence=str(parse_rule(spec.rule)) if spec.rule else None,
        )
        if event.recurrence:
            event.as_series().check()  # the start must be the first occurrence, as on save
        event.series_end = event.compute_series_end()
        rows.append(event)
    created = Event.objects.bulk_create(rows, batch_size=500)
    Attendee.objects.bulk_create(
        [Attendee(event=e, user=user, status=Attendee.Status.ACCEPTED) for e in created],
        batch_size=1000,
    )
    # bulk_create sends no signal: store the series' occurrences as save() would.
    for event in created:
        if event.recurrence:
            occurrence_store.refresh(event)
    return len(created)
