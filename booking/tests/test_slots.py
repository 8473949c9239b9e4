"""The slot rules on top of the scheduling engine: pure computation, explicit ``now``."""

import datetime as dt
import zoneinfo

import pytest

from booking.slots import Rules, compute_slots, grid_step, normalize_hours
from scheduling.hours import parse_weekly_hours
from scheduling.intervals import Interval

NY = zoneinfo.ZoneInfo("America/New_York")
KTM = zoneinfo.ZoneInfo("Asia/Kathmandu")
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
UTC = dt.UTC


def rules(hours, tz=NY, **kw) -> Rules:
    return Rules(
        duration=kw.pop("duration", dt.timedelta(minutes=60)),
        hours=parse_weekly_hours(normalize_hours(hours)),
        tz=tz,
        min_notice=kw.pop("min_notice", dt.timedelta(0)),
        **kw,
    )


def local_times(slots, tz):
    return [s.start.astimezone(tz).strftime("%H:%M") for s in slots]


def day_window(day: dt.date, tz):
    start = dt.datetime(day.year, day.month, day.day, tzinfo=tz)
    return start, start + dt.timedelta(days=1)


EVERY_DAY_TWO_RANGES = {d: [["09:00", "17:00"], ["13:00", "18:00"]] for d in ("mon", "sun")}
LONG_AGO = dt.datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "offset"),
    [(dt.date(2026, 3, 8), -4), (dt.date(2026, 11, 1), -5), (dt.date(2026, 3, 1), -5)],
)
def test_new_york_two_ranges_on_dst_days(day, offset):
    """09:00-17:00 and 13:00-18:00 join to 09:00-18:00 local on both DST Sundays."""
    r = rules(EVERY_DAY_TWO_RANGES, horizon_days=365)
    slots = compute_slots(r, *day_window(day, NY), LONG_AGO, busy=[])
    assert local_times(slots, NY) == [f"{h:02d}:00" for h in range(9, 18)]
    # The instants carry the offset of that day: EDT (-4) after spring-forward, EST (-5)
    # after fall-back.
    first = slots[0].start
    assert first == dt.datetime.combine(day, dt.time(9), dt.timezone(dt.timedelta(hours=offset)))
    assert all(s.duration == dt.timedelta(hours=1) for s in slots)


def test_kathmandu_visitor_sees_the_same_instants_shifted():
    r = rules(EVERY_DAY_TWO_RANGES, horizon_days=365)
    spring = compute_slots(r, *day_window(dt.date(2026, 3, 8), NY), LONG_AGO, busy=[])
    autumn = compute_slots(r, *day_window(dt.date(2026, 11, 1), NY), LONG_AGO, busy=[])
    # 09:00 EDT = 13:00 UTC = 18:45 NPT; 09:00 EST = 14:00 UTC = 19:45 NPT.
    assert local_times(spring, KTM)[0] == "18:45"
    assert local_times(autumn, KTM)[0] == "19:45"
    assert spring[0].start.astimezone(KTM).date() == dt.date(2026, 3, 8)
    # 17:00 EDT = 21:00 UTC = 02:45 next day in Kathmandu: same instant, other date.
    assert spring[-1].start.astimezone(KTM) == dt.datetime(2026, 3, 9, 2, 45, tzinfo=KTM)
    assert [s.start for s in spring] == [
        dt.datetime(2026, 3, 8, 13, tzinfo=UTC) + dt.timedelta(hours=h) for h in range(9)
    ]


def test_no_slot_at_a_local_time_that_does_not_exist():
    """New York skips 02:00-03:00 on 2026-03-08; night hours 00:00-05:00 with 30 minutes."""
    r = rules({"sun": [["00:00", "05:00"]]}, duration=dt.timedelta(minutes=30), horizon_days=365)
    slots = compute_slots(r, *day_window(dt.date(2026, 3, 8), NY), LONG_AGO, busy=[])
    times = local_times(slots, NY)
    assert "02:00" not in times and "02:30" not in times
    assert times == ["00:00", "00:30", "01:00", "01:30", "03:00", "03:30", "04:00", "04:30"]
    # Each lasts 30 real minutes; 01:30 EST ends at 03:00 EDT.
    assert all(s.duration == dt.timedelta(minutes=30) for s in slots)


def test_repeated_hour_offers_both_instants():
    r = rules({"sun": [["00:00", "03:00"]]}, horizon_days=365)
    slots = compute_slots(r, *day_window(dt.date(2026, 11, 1), NY), LONG_AGO, busy=[])
    # 00:00, 01:00 EDT, 01:00 EST, 02:00: the wall clock shows 01:00 twice.
    assert local_times(slots, NY) == ["00:00", "01:00", "01:00", "02:00"]
    assert slots[2].start - slots[1].start == dt.timedelta(hours=1)


def test_grid_is_anchored_at_each_range_start():
    r = rules({"mon": [["09:00", "17:00"]]}, duration=dt.timedelta(minutes=120), horizon_days=365)
    monday = day_window(dt.date(2026, 5, 4), NY)
    assert local_times(compute_slots(r, *monday, LONG_AGO, busy=[]), NY) == [
        "09:00",
        "11:00",
        "13:00",
        "15:00",
    ]
    r45 = rules({"mon": [["09:10", "12:00"]]}, duration=dt.timedelta(minutes=45), horizon_days=365)
    assert local_times(compute_slots(r45, *monday, LONG_AGO, busy=[]), NY) == [
        "09:10",
        "09:55",
        "10:40",
    ]


def test_grid_step_rule():
    assert grid_step(dt.timedelta(minutes=45)) == dt.timedelta(minutes=45)
    assert grid_step(dt.timedelta(minutes=50)) == dt.timedelta(minutes=15)


def test_busy_time_buffers_notice_horizon_and_daily_limit():
    monday = dt.date(2026, 5, 4)
    window = day_window(monday, NY)
    at = lambda h, m=0: dt.datetime(2026, 5, 4, h, m, tzinfo=NY)  # noqa: E731
    busy = [Interval(at(11), at(12))]
    base = rules({"mon": [["09:00", "17:00"]]}, horizon_days=365)
    assert local_times(compute_slots(base, *window, LONG_AGO, busy), NY) == [
        "09:00", "10:00", "12:00", "13:00", "14:00", "15:00", "16:00"
    ]  # fmt: skip
    buffered = rules(
        {"mon": [["09:00", "17:00"]]},
        horizon_days=365,
        buffer_before=dt.timedelta(minutes=15),
        buffer_after=dt.timedelta(minutes=15),
    )
    # 10:00-11:00 would end right at the event (no 15 minutes after); 12:00 would start
    # right after it. The edges of the hours need no buffer.
    assert local_times(compute_slots(buffered, *window, LONG_AGO, busy), NY) == [
        "09:00", "13:00", "14:00", "15:00", "16:00"
    ]  # fmt: skip
    # Minimum notice: at 12:30 with two hours' notice, 15:00 is the first.
    noticed = rules(
        {"mon": [["09:00", "17:00"]]}, horizon_days=365, min_notice=dt.timedelta(hours=2)
    )
    assert local_times(compute_slots(noticed, *window, at(12, 30), busy), NY) == ["15:00", "16:00"]
    # Horizon: 3 days ahead of Thursday 30 April ends on Sunday 3 May; Monday is out.
    near = rules({"mon": [["09:00", "17:00"]]}, horizon_days=3)
    thursday = dt.datetime(2026, 4, 30, 12, tzinfo=NY)
    assert compute_slots(near, *window, thursday, busy) == []
    near4 = rules({"mon": [["09:00", "17:00"]]}, horizon_days=4)
    assert len(compute_slots(near4, *window, thursday, busy)) == 7
    # Daily limit: two bookings already that day, limit two → nothing that day.
    limited = rules({"mon": [["09:00", "17:00"]]}, horizon_days=365, daily_limit=2)
    assert compute_slots(limited, *window, LONG_AGO, busy, {monday: 2}) == []
    assert len(compute_slots(limited, *window, LONG_AGO, busy, {monday: 1})) == 7


def test_hours_validation_names_day_and_range():
    with pytest.raises(ValueError, match="tue: range 2"):
        normalize_hours({"tue": [["09:00", "10:00"], ["11:00", "25:00"]]})
    with pytest.raises(ValueError, match="unknown day"):
        normalize_hours({"funday": []})
    assert normalize_hours({"mon": [["13:00", "18:00"], ["09:00", "13:00"]]})["mon"] == [
        ["09:00", "18:00"]
    ]
