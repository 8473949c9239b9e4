"""Property tests: random intervals, zones and instants, with extra weight on the days
around DST changes, checked against brute-force oracles and measure identities."""

from datetime import UTC, date, datetime, time, timedelta
from functools import reduce
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduling.hours import format_weekly_hours, parse_weekly_hours, working_windows
from scheduling.intervals import (
    Interval,
    clip,
    intersect,
    intersect_all,
    merge,
    merge_clipped,
    merge_pairs_clipped,
    merge_pairs_in,
    subtract,
    total,
)
from scheduling.slots import free_slots

ZONE_NAMES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Pacific/Chatham",
]
ZONES = [ZoneInfo(name) for name in ZONE_NAMES]
DAY = timedelta(days=1)
MIN = timedelta(minutes=1)

SETTINGS = settings(max_examples=200, deadline=None)


def _transitions(tz: ZoneInfo, years: range) -> list[datetime]:
    """Offset changes found by an hourly scan (precise to the hour, which is all the
    strategies need: they add a random offset of up to two days anyway)."""
    found = []
    t = datetime(years.start, 1, 1, tzinfo=UTC)
    last = datetime(years.stop, 1, 1, tzinfo=UTC)
    before = t.astimezone(tz).utcoffset()
    while t < last:
        t += timedelta(hours=1)
        after = t.astimezone(tz).utcoffset()
        if after != before:
            found.append(t)
            before = after
    return found


TRANSITIONS = sorted({t for tz in ZONES for t in _transitions(tz, range(2025, 2028))})
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
SPAN_SECONDS = 3 * 365 * 86400

zones = st.sampled_from(ZONES)

uniform_instants = st.builds(
    lambda s: EPOCH + timedelta(seconds=s), st.integers(0, SPAN_SECONDS // 60).map(lambda m: m * 60)
)
odd_instants = st.builds(lambda s: EPOCH + timedelta(seconds=s), st.integers(0, SPAN_SECONDS))
near_transitions = st.builds(
    lambda t, m: t + timedelta(minutes=m), st.sampled_from(TRANSITIONS), st.integers(-2880, 2880)
)
instants = st.one_of(uniform_instants, near_transitions, odd_instants)


@st.composite
def interval_lists(draw, base=None, max_size=8, span_minutes=3 * 1440, max_len=720):
    """Clustered intervals, so that overlaps, touches and containment are common."""
    origin = draw(instants) if base is None else base
    grain = draw(st.sampled_from([15, 1]))  # coarse grains make exact touches likely
    out = []
    for _ in range(draw(st.integers(0, max_size))):
        start = draw(st.integers(0, span_minutes // grain)) * grain
        length = draw(st.integers(1, max_len // grain)) * grain
        out.append(
            Interval(origin + timedelta(minutes=start), origin + timedelta(minutes=start + length))
        )
    return out


@st.composite
def pair_of_lists(draw):
    origin = draw(instants)
    return draw(interval_lists(base=origin)), draw(interval_lists(base=origin))


def is_normalised(intervals: list[Interval]) -> bool:
    return all(a.end < b.start for a, b in pairwise(intervals))


def covers(intervals: list[Interval], t: datetime) -> bool:
    return any(iv.start <= t < iv.end for iv in intervals)


def probe_points(*groups: list[Interval]) -> list[datetime]:
    """Every endpoint and its neighbours: where membership can change."""
    points = []
    for group in groups:
        for iv in group:
            for t in (iv.start, iv.end):
                points += [t - MIN, t - timedelta(microseconds=1), t, t + MIN]
    return points


# --- interval algebra --------------------------------------------------------------------


@SETTINGS
@given(interval_lists())
def test_merge_is_idempotent_sorted_and_disjoint(xs):
    merged = merge(xs)
    assert merge(merged) == merged
    assert merge(reversed(xs)) == merged
    assert is_normalised(merged)
    for t in probe_points(xs):
        assert covers(merged, t) == covers(xs, t)


@SETTINGS
@given(pair_of_lists())
def test_subtract_pointwise_and_by_measure(pair):
    a, b = pair
    diff = subtract(a, b)
    assert is_normalised(diff)
    assert intersect(diff, a) == diff  # diff is inside a
    assert intersect(diff, b) == []  # and disjoint from b
    assert merge(diff + intersect(a, b)) == merge(a)  # together they rebuild a
    assert total(diff) == total(a) - total(intersect(a, b))
    for t in probe_points(a, b):
        assert covers(diff, t) == (covers(a, t) and not covers(b, t))


@SETTINGS
@given(pair_of_lists())
def test_intersect_commutes_and_is_pointwise(pair):
    a, b = pair
    both = intersect(a, b)
    assert both == intersect(b, a)
    assert is_normalised(both)
    for t in probe_points(a, b):
        assert covers(both, t) == (covers(a, t) and covers(b, t))


@SETTINGS
@given(pair_of_lists())
def test_inclusion_exclusion(pair):
    a, b = pair
    assert total(a + b) == total(a) + total(b) - total(intersect(a, b))


@SETTINGS
@given(instants.flatmap(lambda o: st.lists(interval_lists(base=o, max_size=4), max_size=4)))
def test_intersect_all_is_a_fold(groups):
    expected = reduce(intersect, groups) if groups else []
    assert intersect_all(groups) == merge(expected)


@SETTINGS
@given(pair_of_lists())
def test_clip_stays_in_window(pair):
    xs, ws = pair
    for window in ws:
        clipped = clip(xs, window)
        assert clipped == intersect(xs, [window])
        assert all(window.start <= iv.start and iv.end <= window.end for iv in clipped)


# --- working hours --------------------------------------------------------------------


@st.composite
def weekly_hours(draw):
    data = {}
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        points = draw(st.lists(st.integers(0, 96), unique=True, max_size=6))
        points.sort()
        ranges = [(points[i], points[i + 1]) for i in range(0, len(points) - 1, 2)]
        data[day] = [[f"{s * 15 // 60:02d}:{s * 15 % 60:02d}", f"{e * 15 // 60:02d}:{e * 15 % 60:02d}"] for s, e in ranges]  # fmt: skip
    return data


def _quiet(tz: ZoneInfo, t: datetime) -> bool:
    """No offset change within two days of ``t`` (the rule for wall time is then trivial)."""
    offsets = {(t + k * timedelta(hours=6)).astimezone(tz).utcoffset() for k in range(-8, 9)}
    return len(offsets) == 1


@SETTINGS
@given(weekly_hours())
def test_hours_round_trip(data):
    hours = parse_weekly_hours(data)
    assert parse_weekly_hours(format_weekly_hours(hours)) == hours
    assert format_weekly_hours(hours) == data


@SETTINGS
@given(weekly_hours(), zones, instants, st.integers(1, 9 * 1440))
def test_windows_follow_the_wall_clock(data, tz, start, length):
    hours = parse_weekly_hours(data)
    end = start + timedelta(minutes=length)
    windows = working_windows(hours, tz, start, end)
    assert is_normalised(windows)
    assert all(start <= w.start and w.end <= end for w in windows)
    # Away from DST changes, an instant is working time exactly when its local wall
    # time falls in one of that weekday's ranges.
    probes = probe_points(windows) + [start + k * (end - start) / 17 for k in range(17)]
    for t in probes:
        if not (start <= t < end) or not _quiet(tz, t):
            continue
        local = t.astimezone(tz).replace(tzinfo=None)
        since_midnight = local - datetime.combine(local.date(), time())
        ranges = hours[local.weekday()]
        expected = any(s * MIN <= since_midnight < e * MIN for s, e in ranges)
        assert covers(windows, t) == expected, (t, local)


@SETTINGS
@given(weekly_hours(), zones, instants, st.integers(1, 9 * 1440), st.floats(0, 1))
def test_windows_of_a_split_range_add_up(data, tz, start, length, split_at):
    hours = parse_weekly_hours(data)
    end = start + timedelta(minutes=length)
    middle = start + (end - start) * split_at
    whole = working_windows(hours, tz, start, end)
    assert (
        merge(working_windows(hours, tz, start, middle) + working_windows(hours, tz, middle, end))
        == whole
    )


# --- free slots ------------------------------------------------------------------------


def oracle_slots(free, duration, step, tz, before, after, not_before):
    """Brute force: every wall-clock grid time of every nearby local day, both folds,
    kept if it really exists and the buffered slot fits in one free interval."""
    merged = merge(free)
    if not merged:
        return []
    day = merged[0].start.astimezone(tz).date() - DAY
    last = merged[-1].end.astimezone(tz).date() + DAY
    starts = set()
    while day <= last:
        midnight = datetime.combine(day, time())
        wall = midnight
        while wall < midnight + DAY:
            for fold in (0, 1):
                instant = wall.replace(tzinfo=tz, fold=fold).astimezone(UTC)
                if instant.astimezone(tz).replace(tzinfo=None) == wall:  # exists
                    starts.add(instant)
            wall += step
        day += DAY
    return [
        Interval(s, s + duration)
        for s in sorted(starts)
        if (not_before is None or s >= not_before)
        and any(f.start <= s - before and s + duration + after <= f.end for f in merged)
    ]


steps = st.sampled_from([5, 7, 10, 15, 20, 25, 30, 45, 60, 90, 1440]).map(lambda m: m * MIN)


@SETTINGS
@given(
    free=interval_lists(max_size=5, span_minutes=2 * 1440, max_len=900),
    tz=zones,
    duration=st.integers(1, 240).map(lambda m: m * MIN),
    step=steps,
    before=st.sampled_from([0, 0, 5, 15, 30]).map(lambda m: m * MIN),
    after=st.sampled_from([0, 0, 10, 15]).map(lambda m: m * MIN),
    not_before_at=st.none() | st.floats(0, 1),
)
def test_free_slots_match_brute_force(free, tz, duration, step, before, after, not_before_at):
    not_before = None
    if not_before_at is not None and free:
        lo, hi = min(f.start for f in free), max(f.end for f in free)
        not_before = lo + (hi - lo) * not_before_at
    slots = free_slots(
        free, duration, step, tz, buffer_before=before, buffer_after=after, not_before=not_before
    )
    assert slots == oracle_slots(free, duration, step, tz, before, after, not_before)
    merged = merge(free)
    for slot in slots:
        assert slot.duration == duration
        assert any(f.start <= slot.start - before and slot.end + after <= f.end for f in merged)
        local = slot.start.astimezone(tz)
        since_midnight = local.replace(tzinfo=None) - datetime.combine(local.date(), time())
        assert since_midnight % step == timedelta(0)
    assert all(a.start < b.start for a, b in pairwise(slots))


@SETTINGS
@given(
    free=interval_lists(max_size=5),
    tz=zones,
    step=steps,
    limit=st.integers(0, 30),
)
def test_free_slots_limit_is_a_prefix(free, tz, step, limit):
    everything = free_slots(free, 30 * MIN, step, tz)
    assert free_slots(free, 30 * MIN, step, tz, limit=limit) == everything[:limit]


@SETTINGS
@given(zones, st.dates(date(2025, 1, 1), date(2027, 12, 31)), st.sampled_from([15, 30, 60]))
def test_whole_local_day_grid_counts(tz, day, step_minutes):
    """A whole local day offers one slot start per existing grid time, plus one more for
    each grid time that occurs twice: the real length of the day divided by the step."""
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    nxt = day + DAY
    end = datetime(nxt.year, nxt.month, nxt.day, tzinfo=tz)
    step = step_minutes * MIN
    slots = free_slots([Interval(start, end)], MIN, step, tz)
    real_day = end.astimezone(UTC) - start.astimezone(UTC)
    if real_day % step == timedelta(0):  # Lord Howe's 30-minute shift breaks 60-minute days
        assert len(slots) == real_day // step


@given(pair_of_lists())
def test_merge_clipped_equals_merging_the_clipped_intervals(pair):
    """The busy read's shortcut: pairs merged first, Intervals only for the result."""
    spans, windows = pair
    for window in windows:
        expected = clip(spans, window)
        got = merge_clipped(((iv.start, iv.end) for iv in spans), window.start, window.end)
        assert got == expected


@given(
    st.lists(st.tuples(st.integers(-50, 150), st.integers(1, 40)), max_size=30),
    st.integers(-20, 80),
    st.integers(1, 100),
)
def test_merge_pairs_in_equals_merge_pairs_clipped(raw, start, length):
    """The outside-calendar join's shortcut merges and clips as the general merge does."""
    pairs = [(s, s + n) for s, n in raw]
    end = start + length
    assert merge_pairs_in(list(pairs), start, end) == merge_pairs_clipped(pairs, start, end)
