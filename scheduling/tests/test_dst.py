"""Named DST cases. Each transition used here is first located with zoneinfo itself, so
the tests fail loudly (rather than test the wrong day) if tzdata ever moves a date."""

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from scheduling.hours import DEFAULT_WORKING_HOURS, parse_weekly_hours, working_windows
from scheduling.intervals import Interval
from scheduling.slots import free_slots

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
KATHMANDU = ZoneInfo("Asia/Kathmandu")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
SANTIAGO = ZoneInfo("America/Santiago")
MIN = timedelta(minutes=1)
EVERY_DAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def transitions(tz: ZoneInfo, year: int) -> list[tuple[datetime, timedelta, timedelta]]:
    """(UTC instant, offset before, offset after) of every offset change in ``year``."""
    found = []
    t = utc(year, 1, 1)
    before = t.astimezone(tz).utcoffset()
    while t.year == year:
        nxt = t + timedelta(hours=1)
        after = nxt.astimezone(tz).utcoffset()
        if after != before:
            lo, hi = t, nxt
            while hi - lo > MIN:
                mid = lo + (hi - lo) / 2
                if mid.astimezone(tz).utcoffset() == before:
                    lo = mid
                else:
                    hi = mid
            found.append((hi, before, after))
            before = after
        t = nxt
    return found


def local_day_of_change(tz: ZoneInfo, instant: datetime) -> date:
    return instant.astimezone(tz).date()


def every_day(*ranges: tuple[str, str]) -> dict:
    return parse_weekly_hours({day: [list(r) for r in ranges] for day in EVERY_DAY})


def local_view(slots: list[Interval], tz: ZoneInfo) -> list[str]:
    """Slot starts as local wall time with the offset, e.g. '02:30+02'."""
    return [s.start.astimezone(tz).strftime("%H:%M%z")[:-2] for s in slots]


def assert_evenly_spaced(slots: list[Interval], step: timedelta) -> None:
    gaps = {b.start - a.start for a, b in pairwise(slots)}
    assert gaps == {step}


def local_day(tz: ZoneInfo, day: date, start: str = "00:00", end: str | None = None) -> Interval:
    """A local span of ``day`` as an interval (end defaults to the next local midnight)."""
    h, m = map(int, start.split(":"))
    begin = datetime(day.year, day.month, day.day, h, m, tzinfo=tz)
    if end is None:
        nxt = day + timedelta(days=1)
        finish = datetime(nxt.year, nxt.month, nxt.day, tzinfo=tz)
    else:
        h, m = map(int, end.split(":"))
        finish = datetime(day.year, day.month, day.day, h, m, tzinfo=tz)
    return Interval(begin, finish)


# --- the transitions are where the tests assume --------------------------------------


@pytest.mark.parametrize(
    ("tz", "expected"),
    [
        (BERLIN, [(date(2026, 3, 29), 60), (date(2026, 10, 25), -60)]),
        (NEW_YORK, [(date(2026, 3, 8), 60), (date(2026, 11, 1), -60)]),
        (LORD_HOWE, [(date(2026, 4, 5), -30), (date(2026, 10, 4), 30)]),
        (SANTIAGO, [(date(2026, 4, 4), -60), (date(2026, 9, 6), 60)]),
        (KATHMANDU, []),
    ],
    ids=str,
)
def test_transition_dates_2026(tz, expected):
    found = [
        (local_day_of_change(tz, at), (after - before) // MIN)
        for at, before, after in transitions(tz, 2026)
    ]
    assert found == expected


# --- working hours stay on the local wall clock ---------------------------------------


@pytest.mark.parametrize(
    ("tz", "day_before", "change_day", "utc_before", "utc_after"),
    [
        (BERLIN, date(2026, 3, 28), date(2026, 3, 29), (8, 16), (7, 15)),
        (BERLIN, date(2026, 10, 24), date(2026, 10, 25), (7, 15), (8, 16)),
        (NEW_YORK, date(2026, 3, 7), date(2026, 3, 8), (14, 22), (13, 21)),
        (NEW_YORK, date(2026, 10, 31), date(2026, 11, 1), (13, 21), (14, 22)),
    ],
)
def test_nine_to_five_stays_nine_to_five_local(tz, day_before, change_day, utc_before, utc_after):
    hours = every_day(("09:00", "17:00"))
    span_start = datetime.combine(day_before, datetime.min.time(), UTC) - timedelta(days=1)
    windows = working_windows(hours, tz, span_start, span_start + timedelta(days=5))
    by_day = {w.start.astimezone(tz).date(): w for w in windows}
    for day, (a, b) in ((day_before, utc_before), (change_day, utc_after)):
        w = by_day[day]
        assert (w.start.hour, w.end.hour) == (a, b)
        assert w.start.astimezone(tz).strftime("%H:%M") == "09:00"
        assert w.end.astimezone(tz).strftime("%H:%M") == "17:00"
        assert w.duration == timedelta(hours=8)


@pytest.mark.parametrize("tz", [BERLIN, NEW_YORK, KATHMANDU, LORD_HOWE, SANTIAGO], ids=str)
def test_default_hours_all_year_are_nine_to_six_local(tz):
    hours = parse_weekly_hours(DEFAULT_WORKING_HOURS)
    year = (datetime(2026, 1, 1, tzinfo=tz), datetime(2027, 1, 1, tzinfo=tz))
    windows = working_windows(hours, tz, *year)
    assert len(windows) == 261  # weekdays in 2026, none of them lost or doubled
    for w in windows:
        start, end = w.start.astimezone(tz), w.end.astimezone(tz)
        assert start.date() == end.date()
        assert start.weekday() < 5
        assert (start.strftime("%H:%M"), end.strftime("%H:%M")) == ("09:00", "18:00")


def test_berlin_spring_window_across_the_gap_is_shorter():
    # 2026-03-29 is a Sunday; 02:00-03:00 local does not exist.
    windows = working_windows(
        every_day(("01:00", "04:00")), BERLIN, utc(2026, 3, 28, 12), utc(2026, 3, 29, 12)
    )
    assert windows == [Interval(utc(2026, 3, 29, 0), utc(2026, 3, 29, 2))]
    assert windows[0].duration == timedelta(hours=2)


def test_berlin_fall_window_across_the_repeated_hour_is_longer():
    windows = working_windows(
        every_day(("01:00", "04:00")), BERLIN, utc(2026, 10, 24, 12), utc(2026, 10, 25, 12)
    )
    assert windows == [Interval(utc(2026, 10, 24, 23), utc(2026, 10, 25, 3))]
    assert windows[0].duration == timedelta(hours=4)


@pytest.mark.parametrize(
    ("local_range", "expected_utc"),
    [
        # non-existent times move forward by the gap (fold=0, as RFC 5545 reads DTSTART)
        (("02:15", "02:45"), ((1, 15), (1, 45))),  # 03:15-03:45 CEST
        (("02:00", "03:30"), ((1, 0), (1, 30))),  # start 02:00 -> 03:00 CEST
        (("01:00", "02:30"), ((0, 0), (1, 30))),  # end 02:30 -> 03:30 CEST
        (("02:30", "03:00"), None),  # 03:30 -> 03:00: reversed, dropped
        (("02:30", "03:30"), None),  # 03:30 -> 03:30: empty, dropped
    ],
)
def test_berlin_ranges_touching_the_gap(local_range, expected_utc):
    windows = working_windows(
        every_day(local_range), BERLIN, utc(2026, 3, 28, 12), utc(2026, 3, 29, 12)
    )
    if expected_utc is None:
        assert windows == []
    else:
        (h1, m1), (h2, m2) = expected_utc
        assert windows == [Interval(utc(2026, 3, 29, h1, m1), utc(2026, 3, 29, h2, m2))]


@pytest.mark.parametrize(
    ("local_range", "expected_utc"),
    [
        # a repeated time means its first occurrence (CEST, UTC+2) for starts and ends
        (("02:00", "02:30"), ((0, 0), (0, 30))),
        (("02:30", "03:00"), ((0, 30), (2, 0))),  # first 02:30 to 03:00 CET: 90 minutes
        (("00:00", "02:30"), ((-2, 0), (0, 30))),
    ],
)
def test_berlin_ranges_touching_the_repeated_hour(local_range, expected_utc):
    windows = working_windows(
        every_day(local_range), BERLIN, utc(2026, 10, 24, 12), utc(2026, 10, 25, 12)
    )
    (h1, m1), (h2, m2) = expected_utc
    base = utc(2026, 10, 25)
    assert windows == [
        Interval(base + timedelta(hours=h1, minutes=m1), base + timedelta(hours=h2, minutes=m2))
    ]


def test_new_york_spring_window_across_the_gap():
    windows = working_windows(
        every_day(("01:00", "04:00")), NEW_YORK, utc(2026, 3, 8), utc(2026, 3, 9)
    )
    assert windows == [Interval(utc(2026, 3, 8, 6), utc(2026, 3, 8, 8))]


def test_santiago_midnight_that_does_not_exist():
    # Chile springs forward at 24:00: 2026-09-06 00:00 local does not exist, so a range
    # starting at 00:00 that Sunday starts at 01:00 -03.
    windows = working_windows(
        every_day(("00:00", "02:00")), SANTIAGO, utc(2026, 9, 6), utc(2026, 9, 6, 12)
    )
    assert windows == [Interval(utc(2026, 9, 6, 4), utc(2026, 9, 6, 5))]
    assert windows[0].start.astimezone(SANTIAGO).strftime("%H:%M%z") == "01:00-0300"


# --- the slot grid across DST ------------------------------------------------------------


def test_berlin_spring_grid_skips_the_missing_hour():
    slots = free_slots(
        [local_day(BERLIN, date(2026, 3, 29), "00:00", "05:00")], 30 * MIN, 30 * MIN, BERLIN
    )
    assert local_view(slots, BERLIN) == ["00:00+01", "00:30+01", "01:00+01", "01:30+01",
                                         "03:00+02", "03:30+02", "04:00+02", "04:30+02"]  # fmt: skip
    assert_evenly_spaced(slots, 30 * MIN)


def test_berlin_fall_grid_offers_the_repeated_hour_twice():
    slots = free_slots(
        [local_day(BERLIN, date(2026, 10, 25), "00:00", "04:00")], 30 * MIN, 30 * MIN, BERLIN
    )
    assert local_view(slots, BERLIN) == ["00:00+02", "00:30+02", "01:00+02", "01:30+02",
                                         "02:00+02", "02:30+02", "02:00+01", "02:30+01",
                                         "03:00+01", "03:30+01"]  # fmt: skip
    assert_evenly_spaced(slots, 30 * MIN)


def test_new_york_spring_grid_has_no_slot_at_a_missing_time():
    slots = free_slots([local_day(NEW_YORK, date(2026, 3, 8))], 30 * MIN, 30 * MIN, NEW_YORK)
    walls = [s.start.astimezone(NEW_YORK).strftime("%H:%M") for s in slots]
    assert len(slots) == 46  # a 23-hour day
    assert "02:00" not in walls and "02:30" not in walls
    assert walls[:6] == ["00:00", "00:30", "01:00", "01:30", "03:00", "03:30"]
    assert_evenly_spaced(slots, 30 * MIN)


def test_new_york_fall_grid_handles_the_repeated_hour():
    slots = free_slots([local_day(NEW_YORK, date(2026, 11, 1))], 30 * MIN, 30 * MIN, NEW_YORK)
    assert len(slots) == 50  # a 25-hour day
    assert local_view(slots, NEW_YORK)[:8] == ["00:00-04", "00:30-04", "01:00-04", "01:30-04",
                                               "01:00-05", "01:30-05", "02:00-05", "02:30-05"]  # fmt: skip
    assert_evenly_spaced(slots, 30 * MIN)


def test_new_york_hour_long_slot_across_the_gap_is_real_time():
    slots = free_slots(
        [local_day(NEW_YORK, date(2026, 3, 8), "01:30", "04:00")], 60 * MIN, 30 * MIN, NEW_YORK
    )
    first = slots[0]
    assert first.start.astimezone(NEW_YORK).strftime("%H:%M") == "01:30"
    assert first.end.astimezone(NEW_YORK).strftime("%H:%M") == "03:30"  # 60 real minutes
    assert first.duration == 60 * MIN


def test_new_york_working_day_slots_on_both_change_days():
    hours = every_day(("09:00", "17:00"))
    for day in (date(2026, 3, 8), date(2026, 11, 1)):
        start = datetime(day.year, day.month, day.day, tzinfo=NEW_YORK)
        windows = working_windows(hours, NEW_YORK, start, start + timedelta(hours=24))
        slots = free_slots(windows, 60 * MIN, 30 * MIN, NEW_YORK)
        walls = [s.start.astimezone(NEW_YORK).strftime("%H:%M") for s in slots]
        assert walls[0] == "09:00" and walls[-1] == "16:00" and len(walls) == 15


def test_kathmandu_grid_is_local_half_hours():
    # +05:45: local 08:45-11:45 is 03:00-06:00 UTC.
    slots = free_slots(
        [Interval(utc(2026, 6, 1, 3), utc(2026, 6, 1, 6))], 30 * MIN, 30 * MIN, KATHMANDU
    )
    assert [s.start.astimezone(KATHMANDU).strftime("%H:%M") for s in slots] == [
        "09:00", "09:30", "10:00", "10:30", "11:00",
    ]  # fmt: skip
    assert {s.start.minute for s in slots} == {15, 45}  # what UTC sees


def test_kathmandu_working_hours():
    hours = parse_weekly_hours(DEFAULT_WORKING_HOURS)
    windows = working_windows(hours, KATHMANDU, utc(2026, 6, 1), utc(2026, 6, 2))
    assert windows == [Interval(utc(2026, 6, 1, 3, 15), utc(2026, 6, 1, 12, 15))]
    slots = free_slots(windows, 60 * MIN, 30 * MIN, KATHMANDU)
    assert slots[0].start == utc(2026, 6, 1, 3, 15) and len(slots) == 17


def test_lord_howe_fall_back_by_thirty_minutes():
    # 2026-04-05 02:00 +11 -> 01:30 +10:30: 01:30-02:00 happens twice.
    day = date(2026, 4, 5)
    slots = free_slots([local_day(LORD_HOWE, day, "00:30", "03:00")], 30 * MIN, 30 * MIN, LORD_HOWE)
    assert local_view(slots, LORD_HOWE) == ["00:30+11", "01:00+11", "01:30+11", "01:30+10",
                                            "02:00+10", "02:30+10"]  # fmt: skip
    assert_evenly_spaced(slots, 30 * MIN)
    hours = every_day(("09:00", "17:00"))
    windows = working_windows(hours, LORD_HOWE, utc(2026, 4, 3, 12), utc(2026, 4, 5, 12))
    assert windows == [
        Interval(utc(2026, 4, 3, 22), utc(2026, 4, 4, 6)),  # +11
        Interval(utc(2026, 4, 4, 22, 30), utc(2026, 4, 5, 6, 30)),  # +10:30
    ]


def test_lord_howe_spring_forward_by_thirty_minutes():
    # 2026-10-04 02:00 +10:30 -> 02:30 +11: 02:00-02:30 does not exist.
    day = date(2026, 10, 4)
    slots = free_slots([local_day(LORD_HOWE, day, "01:00", "03:30")], 15 * MIN, 15 * MIN, LORD_HOWE)
    walls = [s.start.astimezone(LORD_HOWE).strftime("%H:%M") for s in slots]
    assert walls == ["01:00", "01:15", "01:30", "01:45", "02:30", "02:45", "03:00", "03:15"]
    assert_evenly_spaced(slots, 15 * MIN)
    windows = working_windows(
        every_day(("09:00", "17:00")), LORD_HOWE, utc(2026, 10, 2, 12), utc(2026, 10, 4, 12)
    )
    assert windows == [
        Interval(utc(2026, 10, 2, 22, 30), utc(2026, 10, 3, 6, 30)),  # +10:30
        Interval(utc(2026, 10, 3, 22), utc(2026, 10, 4, 6)),  # +11
    ]


def test_santiago_grid_on_a_day_without_midnight():
    slots = free_slots(
        [Interval(utc(2026, 9, 6, 3), utc(2026, 9, 6, 6))], 30 * MIN, 30 * MIN, SANTIAGO
    )
    assert local_view(slots, SANTIAGO) == ["23:00-04", "23:30-04", "01:00-03", "01:30-03",
                                           "02:00-03", "02:30-03"]  # fmt: skip


def test_samoa_skipped_day_and_split_queries_agree():
    # Pacific/Apia jumped from 2011-12-29 24:00 -10 to 2011-12-31 00:00 +14: Friday the
    # 30th never happened. Its hours, read with the offset before the gap like any other
    # missing local time, land on Saturday's wall clock; nothing else moves, and asking
    # for the range in two pieces gives the same answer as asking once.
    apia = ZoneInfo("Pacific/Apia")
    hours = parse_weekly_hours({"thu": [["09:00", "12:00"]], "fri": [["09:00", "12:00"]],
                                "sat": [["13:00", "17:00"]]})  # fmt: skip
    a, b, c = utc(2011, 12, 29), utc(2011, 12, 30, 10), utc(2012, 1, 2)
    windows = working_windows(hours, apia, a, c)
    assert [
        (w.start.astimezone(apia).strftime("%a %d %H:%M%z"), w.end.astimezone(apia).strftime("%H:%M"))
        for w in windows
    ] == [("Thu 29 09:00-1000", "12:00"), ("Sat 31 09:00+1400", "12:00"), ("Sat 31 13:00+1400", "17:00")]  # fmt: skip
    assert working_windows(hours, apia, a, b) + working_windows(hours, apia, b, c) == windows
