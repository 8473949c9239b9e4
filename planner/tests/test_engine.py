"""scheduling.planner (pure) and planner.layout: no database involved."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events.occurrences import BusyBlock
from planner.layout import layout_days, place_found, visible_hours
from planner.selectors import PersonSchedule
from scheduling.hours import parse_weekly_hours
from scheduling.intervals import Interval, merge
from scheduling.planner import (
    WorkingWeek,
    common_slots,
    common_working_time,
    planner_step,
    working_batches,
)

UTC = dt.UTC
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
KOLKATA = zoneinfo.ZoneInfo("Asia/Kolkata")


def at(day: int, hour: int, minute: int = 0, month: int = 5) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("minutes", "step"),
    [(30, 30), (60, 30), (90, 30), (1440, 30), (45, 15), (20, 15), (5, 15), (75, 15)],
)
def test_step(minutes, step):
    assert planner_step(dt.timedelta(minutes=minutes)) == dt.timedelta(minutes=step)


def test_step_needs_a_length():
    with pytest.raises(ValueError, match="duration must be positive"):
        planner_step(dt.timedelta(0))


def test_common_working_time():
    nine_to_five = parse_weekly_hours({"mon": [["09:00", "17:00"]]})
    ten_to_six = parse_weekly_hours({"mon": [["10:00", "18:00"]]})
    people = [
        WorkingWeek(nine_to_five, BERLIN),  # 07:00-15:00 UTC in May
        WorkingWeek(ten_to_six, zoneinfo.ZoneInfo("Europe/London")),  # 09:00-17:00 UTC
    ]
    assert common_working_time(people, at(4, 0), at(5, 0)) == [Interval(at(4, 9), at(4, 15))]
    assert common_working_time([], at(4, 0), at(5, 0)) == []


def test_batches_keep_windows_whole():
    windows = [
        Interval(at(4, 9), at(4, 17)),
        Interval(at(10, 9), at(10, 17)),  # 6 days later: same batch
        Interval(at(11, 9), at(11, 17)),  # 7 days later: a new batch
        Interval(at(12, 0), at(25, 0)),  # longer than a week: never cut
        Interval(at(25, 9), at(25, 10)),
    ]
    assert list(working_batches(windows)) == [windows[:2], windows[2:4], windows[4:]]
    assert list(working_batches([])) == []


def test_common_slots_subtract_everybodys_busy_time():
    working = [Interval(at(4, 9), at(4, 12))]
    busy = [[Interval(at(4, 9), at(4, 9, 30))], [Interval(at(4, 10, 15), at(4, 10, 45))], []]
    slots = common_slots(working, busy, dt.timedelta(minutes=30), UTC)
    assert slots == [
        Interval(at(4, 9, 30), at(4, 10)),
        Interval(at(4, 11), at(4, 11, 30)),
        Interval(at(4, 11, 30), at(4, 12)),
    ]
    assert common_slots(working, busy, dt.timedelta(minutes=30), UTC, limit=1) == slots[:1]
    late = common_slots(working, busy, dt.timedelta(minutes=30), UTC, not_before=at(4, 9, 31))
    assert late == slots[1:]


def test_common_slots_grid_is_the_given_zone():
    """Kolkata is UTC+05:30: its half-hour grid is the UTC half-hour grid; with a
    45-minute length the quarter-hour grid shows too."""
    working = [Interval(at(4, 9, 10), at(4, 11))]
    assert [s.start for s in common_slots(working, [], dt.timedelta(minutes=60), KOLKATA)] == [
        at(4, 9, 30),
        at(4, 10),
    ]
    assert [s.start for s in common_slots(working, [], dt.timedelta(minutes=45), KOLKATA)] == [
        at(4, 9, 15),
        at(4, 9, 30),
        at(4, 9, 45),
        at(4, 10, 0),
        at(4, 10, 15),
    ]


_minutes = st.integers(min_value=0, max_value=60 * 24 * 40)


def _intervals(max_len: int):
    return st.lists(
        st.tuples(_minutes, st.integers(min_value=5, max_value=max_len)).map(
            lambda p: Interval(
                at(1, 0) + dt.timedelta(minutes=p[0]), at(1, 0) + dt.timedelta(minutes=p[0] + p[1])
            )
        ),
        max_size=25,
    )


@settings(max_examples=150, deadline=None)
@given(
    working=_intervals(600),
    busy=st.lists(_intervals(180), max_size=3),
    minutes=st.sampled_from([15, 30, 45, 60, 100]),
    limit=st.integers(min_value=1, max_value=40),
)
def test_batches_give_the_same_slots_as_one_search(working, busy, minutes, limit):
    """What the selector does (read busy time per batch, stop at ``limit``) equals one
    search over everything."""
    working = merge(working)
    duration = dt.timedelta(minutes=minutes)
    whole = common_slots(working, busy, duration, BERLIN, limit=limit)
    pieces: list[Interval] = []
    for batch in working_batches(working):
        lo, hi = batch[0].start, batch[-1].end
        clipped = [
            [
                Interval(max(iv.start, lo), min(iv.end, hi))
                for iv in person
                if iv.start < hi and iv.end > lo
            ]
            for person in busy
        ]
        pieces += common_slots(batch, clipped, duration, BERLIN, limit=limit - len(pieces))
        if len(pieces) >= limit:
            break
    assert pieces == whole


# --- layout ----------------------------------------------------------------------------


class _User:
    def __init__(self, pk: int, zone: str) -> None:
        self.pk, self.timezone, self.full_name, self.email = pk, zone, f"U{pk}", f"u{pk}@x"


def test_layout_cuts_at_my_midnight_and_stacks_overlaps():
    me = _User(1, "Europe/Berlin")
    schedule = PersonSchedule(
        user=me,
        working=[Interval(at(4, 7), at(4, 15))],  # 09:00-17:00 Berlin
        busy=[
            BusyBlock(at(4, 8), at(4, 9), "A", 10),
            BusyBlock(at(4, 8, 30), at(4, 9, 30), None, None),
            BusyBlock(at(4, 21), at(5, 1), None, None),  # 23:00-03:00 Berlin
        ],
    )
    days = layout_days(
        [schedule], dt.date(2026, 5, 4), 2, BERLIN, today=dt.date(2026, 5, 4), viewer_id=1
    )
    monday, tuesday = days
    assert monday.is_today and not tuesday.is_today
    row = monday.rows[0]
    assert row.is_viewer
    assert [(p.start_minute, p.end_minute) for p in row.working] == [(540, 1020)]
    a, b, night = row.busy
    assert (a.title, a.event_id, a.lane, a.lanes) == ("A", 10, 0, 2)
    assert (b.title, b.lane, b.lanes) == (None, 1, 2)
    assert (night.start_minute, night.end_minute, night.lanes) == (1380, 1440, 1)
    assert night.continues_after and not night.continues_before and night.end_label == "24:00"
    (morning,) = tuesday.rows[0].busy
    assert (morning.start_minute, morning.end_minute) == (0, 180)
    assert morning.continues_before and morning.start_label == "00:00"
    assert tuesday.rows[0].working == []


def test_layout_on_the_spring_forward_day():
    """Berlin 2026-03-29 has 23 hours: 09:00-17:00 still sits at 09:00-17:00 on the grid."""
    someone = _User(2, "Europe/Berlin")
    working = [Interval(at(29, 7, month=3), at(29, 15, month=3))]  # CEST already
    days = layout_days(
        [PersonSchedule(someone, working, [])],
        dt.date(2026, 3, 29),
        1,
        BERLIN,
        today=dt.date(2026, 1, 1),
        viewer_id=1,
    )
    (piece,) = days[0].rows[0].working
    assert (piece.start_minute, piece.end_minute) == (540, 1020)
    assert (piece.start_label, piece.end_label) == ("09:00", "17:00")
    assert not days[0].rows[0].is_viewer


def test_visible_hours_cover_every_piece_of_the_view():
    someone = _User(2, "Europe/Berlin")
    working = [Interval(at(4, 7), at(4, 15))]  # 09:00-17:00 Berlin
    late = [BusyBlock(at(5, 19, 10), at(5, 19, 15))]  # Tuesday 21:10-21:15 (drawn 10 min)
    days = layout_days(
        [PersonSchedule(someone, working, late)],
        dt.date(2026, 5, 4),
        2,
        BERLIN,
        today=dt.date(2026, 1, 1),
        viewer_id=1,
    )
    assert visible_hours(days) == (8, 23)  # 09:00 and 21:20, an hour either side
    assert visible_hours(days, margin=0) == (9, 22)
    assert visible_hours([]) == (8, 18)
    everything = [BusyBlock(at(3, 22), at(5, 22))]  # all of Monday, Berlin
    days = layout_days(
        [PersonSchedule(someone, [], everything)],
        dt.date(2026, 5, 4),
        1,
        BERLIN,
        today=dt.date(2026, 1, 1),
        viewer_id=1,
    )
    assert visible_hours(days) == (0, 24)


def test_found_times_go_on_their_days_in_lanes_with_their_spans():
    """Overlapping slots stack in lanes; their union is one span; a slot across my midnight
    is cut in two; a day without slots gets none; the found times widen the hours shown."""
    someone = _User(2, "Europe/Berlin")
    working = [Interval(at(4, 7), at(4, 15))]  # Monday 09:00-17:00 Berlin
    days = layout_days(
        [PersonSchedule(someone, working, [])],
        dt.date(2026, 5, 4),
        3,
        BERLIN,
        today=dt.date(2026, 1, 1),
        viewer_id=1,
    )
    slots = [
        (Interval(at(4, 12), at(4, 13)), "/a"),  # Mon 14:00-15:00 Berlin
        (Interval(at(4, 12, 30), at(4, 13, 30)), "/b"),  # 14:30-15:30
        (Interval(at(4, 13), at(4, 14)), "/c"),  # 15:00-16:00
        (Interval(at(5, 21), at(5, 23)), "/night"),  # Tue 23:00 - Wed 01:00 Berlin
    ]
    place_found(days, slots, BERLIN)
    monday, tuesday, wednesday = days
    assert [(p.start_label, p.end_label, p.url, p.lane) for p in monday.found] == [
        ("14:00", "15:00", "/a", 0),
        ("14:30", "15:30", "/b", 1),
        ("15:00", "16:00", "/c", 0),
    ]
    assert monday.found_lanes == 2
    assert [(p.start_minute, p.end_minute) for p in monday.found_spans] == [(840, 960)]
    (late,) = tuesday.found
    assert (late.start_label, late.end_label, late.url) == ("23:00", "24:00", "/night")
    assert late.continues_after and not late.continues_before
    (early,) = wednesday.found
    assert (early.start_minute, early.end_minute, early.url) == (0, 60, "/night")
    assert early.continues_before
    assert tuesday.found_lanes == 1
    assert visible_hours(days) == (0, 24)
    place_found(days, [], BERLIN)  # a search that found nothing leaves no trace
    assert all(d.found == [] and d.found_spans == [] for d in days)
