import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from scheduling.hours import (
    DEFAULT_WORKING_HOURS,
    default_working_hours,
    format_weekly_hours,
    parse_weekly_hours,
    working_windows,
)
from scheduling.intervals import Interval

BERLIN = ZoneInfo("Europe/Berlin")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- parse / format ---------------------------------------------------------------


def test_default_hours_are_weekdays_nine_to_six():
    hours = parse_weekly_hours(DEFAULT_WORKING_HOURS)
    assert hours == {0: [(540, 1080)], 1: [(540, 1080)], 2: [(540, 1080)], 3: [(540, 1080)],
                     4: [(540, 1080)], 5: [], 6: []}  # fmt: skip


def test_default_working_hours_is_a_fresh_copy():
    copy = default_working_hours()
    copy["mon"].append(["19:00", "20:00"])
    assert DEFAULT_WORKING_HOURS["mon"] == [["09:00", "18:00"]]
    assert default_working_hours()["mon"] == [["09:00", "18:00"]]


def test_parse_missing_days_are_days_off_and_ranges_are_sorted():
    hours = parse_weekly_hours({"wed": [["13:00", "17:00"], ["08:30", "12:00"]]})
    assert hours[2] == [(510, 720), (780, 1020)]
    assert all(hours[d] == [] for d in (0, 1, 3, 4, 5, 6))


def test_parse_accepts_24_00_end_and_touching_ranges():
    hours = parse_weekly_hours({"sat": [["00:00", "12:00"], ["12:00", "24:00"]]})
    assert hours[5] == [(0, 720), (720, 1440)]


def test_parse_accepts_tuples_and_json_round_trip():
    data = {"mon": [("09:00", "17:30")], "fri": [["10:00", "24:00"]]}
    text = json.dumps(format_weekly_hours(parse_weekly_hours(data)))
    assert json.loads(text) == {
        "mon": [["09:00", "17:30"]],
        "tue": [],
        "wed": [],
        "thu": [],
        "fri": [["10:00", "24:00"]],
        "sat": [],
        "sun": [],
    }


def test_format_default_round_trip():
    assert format_weekly_hours(parse_weekly_hours(DEFAULT_WORKING_HOURS)) == DEFAULT_WORKING_HOURS


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (["mon"], "working hours must be an object with the keys mon, tue, wed, thu, fri, sat, sun"),
        ({"monday": []}, "unknown day 'monday': expected one of mon, tue, wed, thu, fri, sat, sun"),
        ({"mon": "09:00-18:00"}, "mon: expected a list of [start, end] ranges"),
        ({"tue": None}, "tue: expected a list of [start, end] ranges"),
        ({"wed": [["09:00"]]}, "wed: range 1 must be a pair [start, end]"),
        ({"wed": ["09:00-18:00"]}, "wed: range 1 must be a pair [start, end]"),
        (
            {"thu": [["09:00", "12:00"], ["9:00", "18:00"]]},
            "thu: range 2: bad time '9:00', expected HH:MM from 00:00 to 24:00",
        ),
        ({"fri": [["09:00", "24:30"]]}, "fri: range 1: bad time '24:30', expected HH:MM from 00:00 to 24:00"),
        ({"fri": [["09:60", "18:00"]]}, "fri: range 1: bad time '09:60', expected HH:MM from 00:00 to 24:00"),
        ({"fri": [[900, 1800]]}, "fri: range 1: bad time 900, expected HH:MM from 00:00 to 24:00"),
        ({"fri": [["09:00 ", "18:00"]]}, "fri: range 1: bad time '09:00 ', expected HH:MM from 00:00 to 24:00"),
        ({"sat": [["18:00", "09:00"]]}, "sat: range 1: end 09:00 is not after start 18:00"),
        ({"sat": [["09:00", "09:00"]]}, "sat: range 1: end 09:00 is not after start 09:00"),
        ({"sat": [["24:00", "24:00"]]}, "sat: range 1: end 24:00 is not after start 24:00"),
        (
            {"sun": [["13:00", "18:00"], ["09:00", "13:30"]]},
            "sun: ranges 09:00-13:30 and 13:00-18:00 overlap",
        ),
        (
            {"sun": [["09:00", "18:00"], ["10:00", "11:00"]]},
            "sun: ranges 09:00-18:00 and 10:00-11:00 overlap",
        ),
    ],
)  # fmt: skip
def test_parse_errors(data, message):
    with pytest.raises(ValueError) as info:
        parse_weekly_hours(data)
    assert str(info.value) == message


# --- working_windows --------------------------------------------------------------


def test_windows_default_week_in_summer_berlin():
    hours = parse_weekly_hours(DEFAULT_WORKING_HOURS)
    # Mon 2026-06-01 .. Mon 2026-06-08 (exclusive), CEST = UTC+2.
    windows = working_windows(hours, BERLIN, utc(2026, 5, 31, 22), utc(2026, 6, 7, 22))
    assert windows == [Interval(utc(2026, 6, d, 7), utc(2026, 6, d, 16)) for d in range(1, 6)]


def test_windows_are_clipped_to_the_range():
    hours = parse_weekly_hours(DEFAULT_WORKING_HOURS)
    windows = working_windows(hours, BERLIN, utc(2026, 6, 1, 10), utc(2026, 6, 2, 8))
    assert windows == [
        Interval(utc(2026, 6, 1, 10), utc(2026, 6, 1, 16)),
        Interval(utc(2026, 6, 2, 7), utc(2026, 6, 2, 8)),
    ]


def test_windows_empty_or_reversed_range():
    hours = parse_weekly_hours(DEFAULT_WORKING_HOURS)
    assert working_windows(hours, BERLIN, utc(2026, 6, 1, 10), utc(2026, 6, 1, 10)) == []
    assert working_windows(hours, BERLIN, utc(2026, 6, 2), utc(2026, 6, 1)) == []


def test_windows_reject_naive_range():
    hours = parse_weekly_hours(DEFAULT_WORKING_HOURS)
    with pytest.raises(ValueError, match=r"^start must be timezone-aware"):
        working_windows(hours, BERLIN, datetime(2026, 6, 1), utc(2026, 6, 2))
    with pytest.raises(ValueError, match=r"^end must be timezone-aware"):
        working_windows(hours, BERLIN, utc(2026, 6, 1), datetime(2026, 6, 2))


def test_windows_round_the_clock_merge_across_midnight():
    hours = parse_weekly_hours({"mon": [["00:00", "24:00"]], "tue": [["00:00", "12:00"]]})
    windows = working_windows(hours, BERLIN, utc(2026, 5, 24), utc(2026, 6, 7, 12))
    assert windows == [
        Interval(utc(2026, 5, 24, 22), utc(2026, 5, 26, 10)),
        Interval(utc(2026, 5, 31, 22), utc(2026, 6, 2, 10)),
    ]


def test_windows_local_day_may_start_on_the_previous_utc_day():
    # Tokyo Monday 08:00 is Sunday 23:00 UTC: a range that starts before the UTC range
    # must still be found.
    hours = parse_weekly_hours({"mon": [["08:00", "10:00"]]})
    windows = working_windows(
        hours, ZoneInfo("Asia/Tokyo"), utc(2026, 5, 31, 23, 30), utc(2026, 6, 1, 12)
    )
    assert windows == [Interval(utc(2026, 5, 31, 23, 30), utc(2026, 6, 1, 1))]


def test_windows_far_west_zone():
    # Pacific/Kiritimati is UTC+14, Pacific/Pago_Pago UTC-11: a full UTC day touches
    # three local dates in each.
    hours = parse_weekly_hours({d: [["09:00", "10:00"]] for d in ("sun", "mon", "tue")})
    kiri = working_windows(hours, ZoneInfo("Pacific/Kiritimati"), utc(2026, 5, 31), utc(2026, 6, 1))
    assert kiri == [Interval(utc(2026, 5, 31, 19), utc(2026, 5, 31, 20))]  # Mon 09:00 +14
    pago = working_windows(hours, ZoneInfo("Pacific/Pago_Pago"), utc(2026, 6, 1), utc(2026, 6, 2))
    assert pago == [Interval(utc(2026, 6, 1, 20), utc(2026, 6, 1, 21))]  # Mon 09:00 -11
