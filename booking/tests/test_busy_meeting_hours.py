"""Only busy time that meets the link's hours reaches the slot computation, and leaving
the rest out never changes a slot."""

import datetime as dt
import zoneinfo

from hypothesis import given, settings
from hypothesis import strategies as st

from booking.slots import Rules, busy_meeting_hours, compute_slots, normalize_hours, offered_range
from scheduling.hours import parse_weekly_hours
from scheduling.instants import as_instant, micros
from scheduling.intervals import Interval, merge_pairs_clipped

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
# Ten days around the autumn DST change in Berlin (2026-10-25).
START = dt.datetime(2026, 10, 20, tzinfo=BERLIN)
END = START + dt.timedelta(days=10)
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
MINUTE = 60_000_000


def rules(hours=None, before=0, after=0, duration=30) -> Rules:
    return Rules(
        duration=dt.timedelta(minutes=duration),
        hours=parse_weekly_hours(normalize_hours(hours or {"mon": [["09:00", "17:00"]]})),
        tz=BERLIN,
        buffer_before=dt.timedelta(minutes=before),
        buffer_after=dt.timedelta(minutes=after),
        min_notice=dt.timedelta(0),
        horizon_days=3650,
    )


def at(day: int, hour: int, minute: int = 0) -> int:
    return micros(dt.datetime(2026, 10, day, hour, minute, tzinfo=BERLIN))


def test_night_and_weekend_busy_time_is_left_out():
    r = rules({"mon": [["09:00", "17:00"]], "tue": [["09:00", "17:00"]]})
    monday_night = (at(26, 22), at(26, 23))  # Monday 26 October
    monday_morning = (at(26, 10), at(26, 11))
    sunday = (at(25, 10), at(25, 11))
    spans = sorted([monday_night, monday_morning, sunday])
    kept = busy_meeting_hours(r, offered_range(r, START, END, NOW), spans)
    assert [(micros(iv.start), micros(iv.end)) for iv in kept] == [monday_morning]


def test_a_span_across_several_working_days_is_kept_once():
    r = rules({"mon": [["09:00", "17:00"]], "tue": [["09:00", "17:00"]]})
    week_away = (at(25, 0), at(28, 0))
    kept = busy_meeting_hours(r, offered_range(r, START, END, NOW), [week_away])
    assert len(kept) == 1


def test_buffers_keep_busy_time_just_outside_the_hours():
    """A meeting ending at 08:50 still blocks a 09:00 slot when a booking needs 15 free
    minutes before it; one ending at 08:30 does not."""
    r = rules(before=15)
    near, far = (at(26, 8, 40), at(26, 8, 50)), (at(26, 8), at(26, 8, 30))
    kept = busy_meeting_hours(r, offered_range(r, START, END, NOW), [far, near])
    assert [(micros(iv.start), micros(iv.end)) for iv in kept] == [near]


hours_strategy = st.dictionaries(
    st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
    st.lists(
        st.tuples(st.integers(0, 46), st.integers(1, 8)).map(
            lambda t: [f"{t[0] // 2:02d}:{t[0] % 2 * 30:02d}",
                       f"{min(48, t[0] + t[1]) // 2:02d}:{min(48, t[0] + t[1]) % 2 * 30:02d}"]
        ),
        min_size=1, max_size=3,
    ),
    min_size=1,
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    hours=hours_strategy,
    raw=st.lists(st.tuples(st.integers(0, 10 * 24 * 60), st.integers(1, 600)), max_size=40),
    before=st.sampled_from([0, 10, 45]),
    after=st.sampled_from([0, 15, 90]),
    duration=st.sampled_from([15, 30, 60]),
)
def test_leaving_out_busy_time_never_changes_a_slot(hours, raw, before, after, duration):
    r = rules(hours, before, after, duration)
    offered = offered_range(r, START, END, NOW)
    lo = micros(START)
    spans = merge_pairs_clipped(
        [(lo + s * MINUTE, lo + (s + length) * MINUTE) for s, length in raw],
        lo - 10 * 24 * 60 * MINUTE, lo + 20 * 24 * 60 * MINUTE,
    )  # fmt: skip
    everything = [Interval(as_instant(s), as_instant(e)) for s, e in spans]
    kept = busy_meeting_hours(r, offered, spans)
    assert compute_slots(r, START, END, NOW, kept) == compute_slots(r, START, END, NOW, everything)
