from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling.intervals import Interval
from scheduling.slots import common_free_time, find_common_slots, free_slots, free_time

BERLIN = ZoneInfo("Europe/Berlin")
MIN = timedelta(minutes=1)


def utc(hour: int, minute: int = 0, day: int = 1) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=UTC)


def iv(a: tuple[int, int], b: tuple[int, int], day: int = 1) -> Interval:
    return Interval(utc(*a, day=day), utc(*b, day=day))


def starts(slots: list[Interval]) -> list[str]:
    return [s.start.strftime("%H:%M") for s in slots]


# --- free_time / common_free_time ---------------------------------------------------


def test_free_time_is_windows_minus_busy():
    windows = [iv((9, 0), (12, 0)), iv((13, 0), (17, 0)), iv((11, 0), (12, 30))]
    busy = [iv((10, 0), (11, 0)), iv((12, 0), (14, 0)), iv((16, 30), (20, 0))]
    assert free_time(windows, busy) == [
        iv((9, 0), (10, 0)),
        iv((11, 0), (12, 0)),
        iv((14, 0), (16, 30)),
    ]


def test_free_time_without_busy_is_merged_windows():
    assert free_time([iv((9, 0), (10, 0)), iv((10, 0), (11, 0))], []) == [iv((9, 0), (11, 0))]


def test_common_free_time():
    alice = ([iv((8, 0), (16, 0))], [iv((9, 0), (10, 0))])
    bob = ([iv((9, 30), (18, 0))], [iv((12, 0), (13, 0))])
    carol = ([iv((7, 0), (15, 0))], [])
    assert common_free_time([alice, bob, carol]) == [iv((10, 0), (12, 0)), iv((13, 0), (15, 0))]


def test_common_free_time_of_nobody_is_empty():
    assert common_free_time([]) == []


# --- free_slots ---------------------------------------------------------------------


def test_slots_on_grid_inside_free_time():
    slots = free_slots([iv((9, 10), (11, 0))], 30 * MIN, 30 * MIN, UTC)
    assert starts(slots) == ["09:30", "10:00", "10:30"]
    assert all(s.duration == 30 * MIN for s in slots)


def test_slots_may_overlap_each_other():
    slots = free_slots([iv((9, 0), (11, 0))], 60 * MIN, 30 * MIN, UTC)
    assert starts(slots) == ["09:00", "09:30", "10:00"]


def test_slot_ending_exactly_at_free_end_is_allowed():
    slots = free_slots([iv((9, 0), (10, 0))], 60 * MIN, 15 * MIN, UTC)
    assert slots == [iv((9, 0), (10, 0))]


def test_no_slot_when_free_time_is_too_short():
    assert free_slots([iv((9, 0), (9, 59))], 60 * MIN, 15 * MIN, UTC) == []


def test_grid_is_local_midnight_aligned():
    # Berlin is UTC+2 in June: local 11:00 = 09:00 UTC. With a 90-minute step, local grid
    # points are 09:00, 10:30, 12:00 ... = 07:00, 08:30, 10:00 UTC.
    slots = free_slots([iv((8, 0), (12, 0))], 30 * MIN, 90 * MIN, BERLIN)
    assert starts(slots) == ["08:30", "10:00", "11:30"]


def test_step_that_does_not_divide_a_day_restarts_at_midnight():
    free = [Interval(utc(22, 0), utc(2, 0, day=2))]
    slots = free_slots(free, 10 * MIN, 25 * MIN, UTC)
    # 23:20 + 25 min = 23:45, then the grid restarts at 00:00.
    assert starts(slots) == ["22:05", "22:30", "22:55", "23:20", "23:45", "00:00", "00:25",
                             "00:50", "01:15", "01:40"]  # fmt: skip


def test_slots_from_unsorted_overlapping_free():
    free = [iv((10, 0), (11, 0)), iv((9, 0), (10, 0)), iv((9, 30), (10, 30))]
    assert starts(free_slots(free, 60 * MIN, 60 * MIN, UTC)) == ["09:00", "10:00"]


def test_buffers_keep_distance_from_both_edges():
    free = [iv((9, 0), (12, 0))]
    slots = free_slots(free, 60 * MIN, 30 * MIN, UTC, buffer_before=15 * MIN, buffer_after=10 * MIN)
    # needs [start - 15 min, start + 70 min) inside 09:00-12:00
    assert starts(slots) == ["09:30", "10:00", "10:30"]


def test_buffers_exactly_filling_free_time():
    free = [iv((9, 0), (10, 30))]
    slots = free_slots(free, 60 * MIN, 30 * MIN, UTC, buffer_before=30 * MIN)
    assert starts(slots) == ["09:30"]


def test_not_before():
    free = [iv((9, 0), (12, 0)), iv((14, 0), (15, 0))]
    slots = free_slots(free, 60 * MIN, 30 * MIN, UTC, not_before=utc(10, 1))
    assert starts(slots) == ["10:30", "11:00", "14:00"]


def test_not_before_in_another_zone():
    free = [iv((9, 0), (12, 0))]
    slots = free_slots(
        free, 60 * MIN, 60 * MIN, UTC, not_before=datetime(2026, 6, 1, 12, tzinfo=BERLIN)
    )
    assert starts(slots) == ["10:00", "11:00"]


def test_limit():
    free = [iv((9, 0), (12, 0)), iv((14, 0), (15, 0))]
    assert starts(free_slots(free, 30 * MIN, 30 * MIN, UTC, limit=2)) == ["09:00", "09:30"]
    assert free_slots(free, 30 * MIN, 30 * MIN, UTC, limit=0) == []
    assert len(free_slots(free, 30 * MIN, 30 * MIN, UTC, limit=100)) == 8


def test_empty_free_time():
    assert free_slots([], 30 * MIN, 30 * MIN, UTC) == []


def test_multi_day_free_interval():
    free = [Interval(utc(0, 0), utc(0, 0, day=4))]
    slots = free_slots(free, 60 * MIN, timedelta(days=1), BERLIN)
    # local midnights in CEST = 22:00 UTC the day before
    assert [s.start for s in slots] == [utc(22, 0, day=d) for d in (1, 2, 3)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"duration": timedelta(0)}, "duration must be positive, got 0:00:00"),
        ({"duration": -MIN}, "duration must be positive, got -1 day, 23:59:00"),
        ({"step": timedelta(0)}, "step must be more than 0 and at most 1 day, got 0:00:00"),
        ({"step": timedelta(days=2)}, "step must be more than 0 and at most 1 day, got 2 days, 0:00:00"),
        ({"buffer_before": -MIN}, "buffers must not be negative"),
        ({"buffer_after": -MIN}, "buffers must not be negative"),
        ({"limit": -1}, "limit must not be negative, got -1"),
        ({"not_before": datetime(2026, 6, 1)}, "not_before must be timezone-aware, got naive datetime 2026-06-01T00:00:00"),
    ],
)  # fmt: skip
def test_free_slots_errors(kwargs, message):
    args = {"free": [iv((9, 0), (10, 0))], "duration": MIN, "step": MIN, "tz": UTC} | kwargs
    with pytest.raises(ValueError) as info:
        free_slots(**args)
    assert str(info.value) == message


# --- find_common_slots ---------------------------------------------------------------


def test_find_common_slots():
    alice = ([iv((7, 0), (16, 0))], [iv((8, 0), (9, 0))])  # Berlin 09:00-18:00
    bob = ([iv((13, 0), (21, 0))], [iv((14, 0), (14, 30))])  # New York 09:00-17:00
    slots = find_common_slots([alice, bob], 30 * MIN, 30 * MIN, BERLIN)
    assert starts(slots) == ["13:00", "13:30", "14:30", "15:00", "15:30"]


def test_find_common_slots_default_limit_is_ten():
    person = ([Interval(utc(0, 0), utc(0, 0, day=2))], [])
    assert len(find_common_slots([person], 30 * MIN, 30 * MIN, UTC)) == 10
    assert len(find_common_slots([person], 30 * MIN, 30 * MIN, UTC, limit=None)) == 48


def test_find_common_slots_not_before():
    person = ([iv((9, 0), (12, 0))], [])
    slots = find_common_slots([person], 60 * MIN, 60 * MIN, UTC, not_before=utc(10, 30))
    assert starts(slots) == ["11:00"]
