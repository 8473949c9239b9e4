from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling.intervals import Interval, clip, intersect, intersect_all, merge, subtract, total

BERLIN = ZoneInfo("Europe/Berlin")


def at(hour: int, minute: int = 0, day: int = 1) -> datetime:
    return datetime(2026, 6, day, hour, minute, tzinfo=UTC)


def iv(a: int, b: int) -> Interval:
    """Interval from hour a to hour b on 2026-06-01 (b may be 24+)."""
    base = datetime(2026, 6, 1, tzinfo=UTC)
    return Interval(base + timedelta(hours=a), base + timedelta(hours=b))


# --- Interval ---------------------------------------------------------------------


def test_interval_converts_to_utc_and_keeps_the_instant():
    local = Interval(
        datetime(2026, 6, 1, 9, tzinfo=BERLIN), datetime(2026, 6, 1, 10, tzinfo=BERLIN)
    )
    assert local.start.tzinfo is UTC
    assert local == iv(7, 8)
    assert local.duration == timedelta(hours=1)


def test_interval_duration_is_real_time_across_dst():
    # Same tzinfo object: plain datetime subtraction would say 24 h; the real span is 23 h.
    spring = Interval(
        datetime(2026, 3, 28, 12, tzinfo=BERLIN), datetime(2026, 3, 29, 12, tzinfo=BERLIN)
    )
    assert spring.duration == timedelta(hours=23)


def test_interval_rejects_naive_start():
    with pytest.raises(ValueError, match=r"^Interval start must be timezone-aware, got naive"):
        Interval(datetime(2026, 6, 1, 9), at(10))


def test_interval_rejects_naive_end():
    with pytest.raises(ValueError, match=r"^Interval end must be timezone-aware, got naive"):
        Interval(at(9), datetime(2026, 6, 1, 10))


def test_interval_rejects_empty():
    with pytest.raises(ValueError) as info:
        Interval(at(9), at(9))
    assert str(info.value) == (
        "Interval end 2026-06-01T09:00:00+00:00 is not after start 2026-06-01T09:00:00+00:00"
    )


def test_interval_rejects_reversed():
    with pytest.raises(ValueError, match="is not after start"):
        Interval(at(10), at(9))


def test_interval_rejects_non_datetime():
    with pytest.raises(TypeError, match=r"^Interval start must be a datetime, got date$"):
        Interval(date(2026, 6, 1), at(9))


def test_interval_is_frozen_and_ordered():
    a = iv(9, 10)
    with pytest.raises(AttributeError):
        a.start = at(8)  # type: ignore[misc]
    assert sorted([iv(9, 11), iv(8, 12), iv(9, 10)]) == [iv(8, 12), iv(9, 10), iv(9, 11)]
    assert len({iv(9, 10), iv(9, 10)}) == 1


# --- merge ------------------------------------------------------------------------


def test_merge_empty():
    assert merge([]) == []


def test_merge_sorts_and_joins_overlapping_and_touching():
    assert merge([iv(13, 14), iv(9, 10), iv(10, 11), iv(9, 10), iv(15, 16), iv(13, 15)]) == [
        iv(9, 11),
        iv(13, 16),
    ]


def test_merge_contained_interval_disappears():
    assert merge([iv(8, 18), iv(9, 10), iv(17, 18)]) == [iv(8, 18)]


def test_merge_keeps_gaps():
    assert merge([iv(9, 10), iv(11, 12)]) == [iv(9, 10), iv(11, 12)]


def test_merge_accepts_a_generator():
    assert merge(x for x in [iv(1, 2), iv(2, 3)]) == [iv(1, 3)]


# --- subtract ---------------------------------------------------------------------


def test_subtract_nothing():
    assert subtract([iv(9, 10), iv(9, 12)], []) == [iv(9, 12)]


def test_subtract_from_nothing():
    assert subtract([], [iv(9, 10)]) == []


def test_subtract_punches_holes():
    assert subtract([iv(9, 18)], [iv(12, 13), iv(10, 11)]) == [iv(9, 10), iv(11, 12), iv(13, 18)]


def test_subtract_edges_and_overhangs():
    assert subtract([iv(9, 12), iv(14, 18)], [iv(8, 10), iv(11, 15), iv(17, 20)]) == [
        iv(10, 11),
        iv(15, 17),
    ]


def test_subtract_whole():
    assert subtract([iv(9, 10), iv(11, 12)], [iv(8, 13)]) == []


def test_subtract_touching_removal_leaves_base():
    assert subtract([iv(9, 10)], [iv(8, 9), iv(10, 11)]) == [iv(9, 10)]


def test_subtract_one_removal_spanning_several_bases():
    assert subtract([iv(1, 3), iv(4, 6), iv(7, 9)], [iv(2, 8)]) == [iv(1, 2), iv(8, 9)]


# --- intersect --------------------------------------------------------------------


def test_intersect_basic():
    assert intersect([iv(9, 12), iv(14, 18)], [iv(11, 15), iv(17, 20)]) == [
        iv(11, 12),
        iv(14, 15),
        iv(17, 18),
    ]


def test_intersect_touching_is_empty():
    assert intersect([iv(9, 10)], [iv(10, 11)]) == []


def test_intersect_with_empty():
    assert intersect([iv(9, 10)], []) == []
    assert intersect([], [iv(9, 10)]) == []


def test_intersect_merges_inputs_first():
    assert intersect([iv(9, 10), iv(10, 12)], [iv(8, 13)]) == [iv(9, 12)]


def test_intersect_all():
    groups = [[iv(8, 18)], [iv(9, 12), iv(13, 17)], [iv(10, 14)]]
    assert intersect_all(groups) == [iv(10, 12), iv(13, 14)]


def test_intersect_all_single_group_is_merged():
    assert intersect_all([[iv(10, 11), iv(9, 10)]]) == [iv(9, 11)]


def test_intersect_all_no_groups_is_empty():
    assert intersect_all([]) == []


def test_intersect_all_stops_at_empty():
    def groups():
        yield [iv(9, 10)]
        yield [iv(11, 12)]
        raise AssertionError("should not be consumed after an empty intersection")

    assert intersect_all(groups()) == []


# --- clip / total ------------------------------------------------------------------


def test_clip():
    window = iv(10, 16)
    assert clip([iv(8, 11), iv(12, 13), iv(15, 20), iv(17, 18), iv(12, 12 + 1)], window) == [
        iv(10, 11),
        iv(12, 13),
        iv(15, 16),
    ]


def test_clip_outside_window():
    assert clip([iv(1, 2)], iv(3, 4)) == []


def test_total_counts_overlap_once():
    assert total([iv(9, 11), iv(10, 12), iv(14, 15)]) == timedelta(hours=4)
    assert total([]) == timedelta(0)
