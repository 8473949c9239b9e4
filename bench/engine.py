"""Benchmark of the pure time engine (``scheduling``): free/busy, free slots, planner.

Run from the repository root::

    .venv/bin/python -m bench.engine                 # defaults below
    .venv/bin/python -m bench.engine --repeat 200 --events 5000

One person in Europe/Berlin with the default working hours (Mon-Fri 09:00-18:00) and
``--events`` seeded random events over ``--days`` days starting Monday 2026-03-02 (so
the range crosses the 2026-03-29 DST change). Events start on a 5-minute mark anywhere
in the day, last 15 minutes to a whole day (mostly under an hour), and overlap freely.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from scheduling import (
    DEFAULT_WORKING_HOURS,
    Interval,
    clip,
    find_common_slots,
    free_slots,
    free_time,
    parse_weekly_hours,
    working_windows,
)

TZ = ZoneInfo("Europe/Berlin")
FIRST_DAY = datetime(2026, 3, 2, tzinfo=TZ)  # a Monday
# (minutes, weight): mostly short meetings, some long blocks, rare whole days. At 2,000
# events in 60 days this still covers about 60% of all hours, so the calendar is busy.
LENGTHS = [(15, 30), (30, 35), (45, 10), (60, 18), (90, 4), (120, 2.5), (480, 0.3),
           (1440, 0.2)]  # fmt: skip


def make_events(rng: random.Random, count: int, days: int) -> list[Interval]:
    start = FIRST_DAY.astimezone(UTC)
    marks = days * 24 * 12  # 5-minute marks in the range
    lengths, weights = zip(*LENGTHS, strict=True)
    events = []
    for _ in range(count):
        begin = start + timedelta(minutes=5 * rng.randrange(marks))
        minutes = rng.choices(lengths, weights)[0]
        events.append(Interval(begin, begin + timedelta(minutes=minutes)))
    rng.shuffle(events)  # callers get events in database order, not sorted
    return events


def measure(fn: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    """Median and p95 wall time in milliseconds, and the last result."""
    result = fn()  # warm-up
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    p95 = samples[max(0, math.ceil(0.95 * len(samples)) - 1)]
    return statistics.median(samples), p95, result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000, help="events per person")
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--people", type=int, default=5, help="people in the planner case")
    parser.add_argument("--seed", type=int, default=20260302)
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    hours = parse_weekly_hours(DEFAULT_WORKING_HOURS)
    window = Interval(FIRST_DAY, FIRST_DAY + timedelta(days=args.days))
    events = make_events(rng, args.events, args.days)
    team = [make_events(rng, args.events, args.days) for _ in range(args.people)]
    minutes = timedelta(minutes=1)

    def freebusy() -> list[Interval]:
        return clip(events, window)

    def slots(length: int, step: int) -> Callable[[], list[Interval]]:
        def run() -> list[Interval]:
            windows = working_windows(hours, TZ, window.start, window.end)
            return free_slots(free_time(windows, events), length * minutes, step * minutes, TZ)

        return run

    def grid_only() -> list[Interval]:
        windows = working_windows(hours, TZ, window.start, window.end)
        return free_slots(windows, 30 * minutes, 15 * minutes, TZ)

    def planner() -> list[Interval]:
        windows = working_windows(hours, TZ, window.start, window.end)
        people = [(windows, busy) for busy in team]
        return find_common_slots(people, 30 * minutes, 15 * minutes, TZ, limit=None)

    windows = working_windows(hours, TZ, window.start, window.end)
    free = free_time(windows, events)
    print(
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
        f"repeat={args.repeat}, seed={args.seed}"
    )
    print(
        f"{args.events} events over {args.days} days in {TZ.key}: "
        f"{len(windows)} working windows, {len(free)} free intervals"
    )
    print()
    print(f"{'case':<44} {'median ms':>10} {'p95 ms':>10}  result")
    cases = [
        ("(a) free/busy: merge busy, clip to window", freebusy, "busy intervals"),
        ("(b) free slots 60 min on a 30-min grid", slots(60, 30), "slots"),
        ("(b) free slots 30 min on a 15-min grid", slots(30, 15), "slots"),
        ("(b) same, no events (grid walk only)", grid_only, "slots"),
        (f"(c) planner: {args.people} people, 30 min / 15 min", planner, "common slots"),
    ]
    for name, fn, unit in cases:
        median, p95, result = measure(fn, args.repeat)
        print(f"{name:<44} {median:>10.2f} {p95:>10.2f}  {len(result)} {unit}")


if __name__ == "__main__":
    main()
