"""Property tests: the engine's fast-forwarded expansion against a plain dateutil walk.

``Series.occurrences`` starts dateutil near the window (whole periods after DTSTART)
for rules without COUNT. The oracle here walks the same rule text from DTSTART every
time, reads each wall time with fold=0 and compares UNTIL as an instant, as RFC 5545
says. Random rules (DAILY/WEEKLY, and MONTHLY/YEARLY which the engine fast-forwards
too), intervals 1..5, BYDAY sets, WKST, UNTIL or COUNT; zones with odd offsets and
DST (Lord Howe moves by 30 minutes); windows before, at and decades after the start.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from scheduling.recurrence import Series, parse_rule

ZONES = [
    ZoneInfo(name)
    for name in (
        "Europe/Berlin",
        "America/New_York",
        "Australia/Lord_Howe",
        "Asia/Kathmandu",
        "UTC",
    )
]
CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
SETTINGS = settings(max_examples=250, deadline=None)


def to_utc(wall: datetime, tz: ZoneInfo) -> datetime:
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC)


def wall(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None, fold=0)


@st.composite
def rules(draw, *, bounded: str | None = None) -> str:
    """Rule text without UNTIL/COUNT (those are added by the tests)."""
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "WEEKLY", "DAILY", "MONTHLY", "YEARLY"]))
    parts = [f"FREQ={freq}"]
    interval = draw(st.integers(1, 5))
    if interval > 1:
        parts.append(f"INTERVAL={interval}")
    days = draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=7, unique=True))
    if freq in ("DAILY", "WEEKLY"):
        if draw(st.booleans()):
            parts.append("BYDAY=" + ",".join(days))
        if freq == "DAILY" and draw(st.integers(0, 4)) == 0:
            parts.append("BYMONTHDAY=" + ",".join(map(str, draw(_month_days))))
    elif freq == "MONTHLY":
        kind = draw(st.sampled_from(["none", "monthday", "nth", "setpos"]))
        if kind == "monthday":
            parts.append("BYMONTHDAY=" + ",".join(map(str, draw(_month_days))))
        elif kind == "nth":
            n = draw(st.sampled_from([1, 2, 3, 4, -1, -2]))
            parts.append(f"BYDAY={n}{days[0]}")
        elif kind == "setpos":
            parts.append("BYDAY=" + ",".join(days))
            parts.append(f"BYSETPOS={draw(st.sampled_from([1, 2, -1]))}")
    else:  # YEARLY
        if draw(st.booleans()):
            months = draw(st.lists(st.integers(1, 12), min_size=1, max_size=4, unique=True))
            parts.append("BYMONTH=" + ",".join(map(str, sorted(months))))
            if draw(st.booleans()):
                parts.append("BYDAY=" + ",".join(days))
    if draw(st.booleans()):
        parts.append(f"WKST={draw(st.sampled_from(CODES))}")
    return ";".join(parts)


_month_days = st.lists(
    st.integers(1, 31) | st.integers(-31, -1), min_size=1, max_size=4, unique=True
)


@st.composite
def cases(draw, *, limit: str):
    """A valid series (start = its rule's first occurrence) and a window.

    ``limit``: "none", "until" or "count".
    """
    tz = draw(st.sampled_from(ZONES))
    text = draw(rules())
    all_day = draw(st.integers(0, 5)) == 0
    day = draw(st.dates(date(2019, 1, 1), date(2031, 12, 31)))
    at = (
        time(0)
        if all_day
        else time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 15, 30, 45])))
    )
    # The rule's first occurrence from that moment becomes the series' start.
    first = next(iter(rrulestr(f"RRULE:{text}", dtstart=datetime.combine(day, at))), None)
    assume(first is not None and first.year < 2040)
    start = to_utc(first, tz)
    if limit == "until":
        offset = timedelta(days=draw(st.integers(0, 3000)), minutes=draw(st.integers(0, 1439)))
        end_wall = first + offset
        if draw(st.booleans()):
            text += f";UNTIL={end_wall:%Y%m%d}"
        else:
            text += f";UNTIL={to_utc(end_wall, tz):%Y%m%dT%H%M%SZ}"
    elif limit == "count":
        text += f";COUNT={draw(st.integers(1, 60))}"
    if all_day:
        duration = timedelta(days=draw(st.integers(1, 3)))
    else:
        duration = timedelta(minutes=draw(st.integers(15, 3 * 24 * 60)))
    series = Series(parse_rule(text), start, duration, tz, all_day)
    # Windows: around the start, or up to forty years after it.
    shift = draw(
        st.one_of(
            st.integers(-40, 40),
            st.integers(-400, 3000),
            st.integers(0, 40 * 366),
        )
    )
    window_start = start + timedelta(days=shift, minutes=draw(st.integers(-720, 720)))
    window_end = window_start + timedelta(minutes=draw(st.integers(1, 60 * 24 * 60)))
    return series, text, window_start, window_end


def oracle(series: Series, text: str, window_start: datetime, window_end: datetime):
    """(start, end) of every occurrence overlapping the window, EXDATEs included.

    dateutil from DTSTART, the UNTIL part taken out and applied to instants.
    """
    tz = series.tz
    dtstart = wall(series.start, tz)
    if series.all_day:
        dtstart = datetime.combine(dtstart.date(), time(0))
    until = None
    kept = []
    for part in text.split(";"):
        if part.startswith("UNTIL="):
            value = part[6:]
            if len(value) == 8:
                next_day = datetime.strptime(value, "%Y%m%d") + timedelta(days=1)
                until = to_utc(next_day, tz) - timedelta(microseconds=1)
            else:
                until = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        else:
            kept.append(part)
    horizon = wall(window_end, tz) + timedelta(days=2)
    found = []
    for local in rrulestr("RRULE:" + ";".join(kept), dtstart=dtstart):
        if local > horizon:
            break
        start = to_utc(local, tz)
        if until is not None and start > until:
            break
        if series.all_day:
            days = round(series.duration / timedelta(days=1))
            end = to_utc(datetime.combine(local.date() + timedelta(days=days), time(0)), tz)
        else:
            end = start + series.duration
        if start < window_end and end > window_start:
            found.append((start, end))
    return found


def with_exdates(series: Series, exdates) -> Series:
    return Series(
        series.rule, series.start, series.duration, series.tz, series.all_day, frozenset(exdates)
    )


@SETTINGS
@given(cases(limit="none"), st.data())
def test_unbounded_rules_match_a_plain_walk(case, data):
    series, text, ws, we = case
    series.check()
    expected = oracle(series, text, ws, we)
    assert series.occurrences(ws, we) == [s for s, _ in expected]
    # Take some of them out: exactly those disappear, and none is reported.
    gone = {s for s, _ in expected if data.draw(st.booleans())}
    thinned = with_exdates(series, gone)
    thinned.check()
    got = thinned.occurrences(ws, we)
    assert got == [s for s, _ in expected if s not in gone]
    assert not set(got) & gone
    for start in got:
        assert start < we and thinned.occurrence_end(start) > ws
        assert thinned.is_occurrence(start)
    assert not any(thinned.is_occurrence(s) for s in gone)
    assert [(iv.start, iv.end) for iv in thinned.intervals(ws, we)] == [
        (max(s, ws), min(e, we)) for s, e in expected if s not in gone
    ]


@SETTINGS
@given(cases(limit="until"))
def test_until_rules_match_a_plain_walk_and_end_where_it_ends(case):
    series, text, ws, we = case
    series.check()
    expected = oracle(series, text, ws, we)
    assert series.occurrences(ws, we) == [s for s, _ in expected]
    everything = oracle(series, text, series.start, series.start + timedelta(days=3100))
    assert everything, "UNTIL is at or after the start"
    assert series.last_end() == max(e for _, e in everything)


@SETTINGS
@given(cases(limit="count"))
def test_count_rules_match_a_plain_walk(case):
    series, text, ws, we = case
    series.check()
    expected = oracle(series, text, ws, we)
    assert series.occurrences(ws, we) == [s for s, _ in expected]
    # COUNT <= 60, INTERVAL <= 5: even 60 leap days five years apart end by then.
    far = series.start + timedelta(days=366 * 1500)
    everything = oracle(series, text, series.start - timedelta(days=1), far)
    assert len(everything) == series.rule.count
    assert series.last_end() == max(e for _, e in everything)
    for n, (start, _) in enumerate(everything[:5]):
        assert series.count_before(start) == n
