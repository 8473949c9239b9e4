"""The recurrence engine: strict rules, wall-clock expansion across DST, bounded work.

DST dates are first located with zoneinfo (``changes``) and compared with what the test
expects, so a tzdata change fails loudly instead of silently testing another day.
Where a test is about how much work the engine does, it counts the periods dateutil
walks (``periods_walked``), never the clock.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil import rrule as dateutil_rrule

from scheduling.recurrence import (
    MAX_EXDATES,
    UNBOUNDED,
    RecurrenceError,
    Series,
    parse_rule,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
WEEK = timedelta(weeks=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def series(rule: str, start: datetime, tz=BERLIN, duration=HOUR, **kw) -> Series:
    return Series(rule=parse_rule(rule), start=start, duration=duration, tz=tz, **kw)


def changes(tz: ZoneInfo, year: int) -> list[tuple[date, int, int]]:
    """(local date, offset before, offset after, in minutes) of each offset change."""
    found = []
    day = date(year, 1, 1)
    before = datetime.combine(day, time(12), tz).utcoffset()
    while day.year == year:
        day += DAY
        after = datetime.combine(day, time(12), tz).utcoffset()
        if after != before:
            found.append((day, before // timedelta(minutes=1), after // timedelta(minutes=1)))
            before = after
    return found


def local(instants: list[datetime], tz=BERLIN) -> list[str]:
    return [i.astimezone(tz).strftime("%Y-%m-%d %H:%M%z") for i in instants]


@pytest.fixture
def periods_walked(monkeypatch) -> dict[str, int]:
    """Counts the periods (years, months, weeks, days) dateutil builds, per frequency.

    dateutil builds one "day set" per period it walks; the real methods still run.
    """
    counts = {"yearly": 0, "monthly": 0, "weekly": 0, "daily": 0}
    info = dateutil_rrule._iterinfo
    for name, method in (
        ("yearly", "ydayset"),
        ("monthly", "mdayset"),
        ("weekly", "wdayset"),
        ("daily", "ddayset"),
    ):
        real = getattr(info, method)

        def counting(self, *args, _real=real, _name=name):
            counts[_name] += 1
            return _real(self, *args)

        monkeypatch.setattr(info, method, counting)
    return counts


def total(counts: dict[str, int]) -> int:
    return sum(counts.values())


# --- reading rules: every refusal and its message ------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "FREQ=SECONDLY",
            "FREQ=SECONDLY is not supported: choose DAILY, WEEKLY, MONTHLY or YEARLY.",
        ),
        (
            "FREQ=MINUTELY;INTERVAL=15",
            "FREQ=MINUTELY is not supported: choose DAILY, WEEKLY, MONTHLY or YEARLY.",
        ),
        ("FREQ=HOURLY", "FREQ=HOURLY is not supported: choose DAILY, WEEKLY, MONTHLY or YEARLY."),
        ("FREQ=FORTNIGHTLY", "Unknown FREQ=FORTNIGHTLY: choose DAILY, WEEKLY, MONTHLY or YEARLY."),
        ("BYDAY=MO", "FREQ is required (DAILY, WEEKLY, MONTHLY or YEARLY)."),
        (
            "FREQ=DAILY;BYHOUR=9,17",
            "BYHOUR is not supported: an event repeats at its own start time.",
        ),
        (
            "FREQ=DAILY;BYMINUTE=30",
            "BYMINUTE is not supported: an event repeats at its own start time.",
        ),
        (
            "FREQ=DAILY;BYSECOND=1",
            "BYSECOND is not supported: an event repeats at its own start time.",
        ),
        ("FREQ=DAILY;BYEASTER=0", "Unknown rule part BYEASTER."),
        ("FREQ=WEEKLY;X-FOO=1", "Unknown rule part X-FOO."),
        ("FREQ=DAILY;COUNT=3;UNTIL=20261231", "Give COUNT or UNTIL, not both."),
        ("FREQ=DAILY;COUNT=0", "COUNT must be a whole number from 1 to 1000."),
        ("FREQ=DAILY;COUNT=1001", "COUNT must be a whole number from 1 to 1000."),
        ("FREQ=DAILY;COUNT=-5", "COUNT must be a whole number from 1 to 1000."),
        # A superscript two passes str.isdigit() but not int(): it must not escape as a
        # bare ValueError.
        ("FREQ=DAILY;COUNT=\u00b2", "COUNT must be a whole number from 1 to 1000."),
        ("FREQ=DAILY;INTERVAL=1000", "INTERVAL must be a whole number from 1 to 999."),
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL must be a whole number from 1 to 999."),
        ("FREQ=WEEKLY;BYDAY=XX", "BYDAY: 'XX' is not a day such as MO, TU or 2TU."),
        ("FREQ=WEEKLY;BYDAY=MO,,TU", "BYDAY: '' is not a day such as MO, TU or 2TU."),
        # A sign without a number: dateutil cannot read it (int("-")).
        ("FREQ=MONTHLY;BYDAY=-MO", "BYDAY: '-MO' is not a day such as MO, TU or 2TU."),
        ("FREQ=MONTHLY;BYDAY=+FR", "BYDAY: '+FR' is not a day such as MO, TU or 2TU."),
        ("FREQ=WEEKLY;BYDAY=2MO", "BYDAY=2MO: a numbered weekday needs FREQ=MONTHLY or YEARLY."),
        ("FREQ=DAILY;BYDAY=-1FR", "BYDAY=-1FR: a numbered weekday needs FREQ=MONTHLY or YEARLY."),
        ("FREQ=MONTHLY;BYDAY=6MO", "BYDAY=6MO: the number must be 1..5."),
        ("FREQ=MONTHLY;BYDAY=0MO", "BYDAY=0MO: the number must be 1..5."),
        # With BYMONTH the number counts within the month, for YEARLY as for MONTHLY.
        ("FREQ=YEARLY;BYMONTH=3;BYDAY=10MO", "BYDAY=10MO: the number must be 1..5."),
        ("FREQ=MONTHLY;BYMONTH=3;BYDAY=6MO", "BYDAY=6MO: the number must be 1..5."),
        ("FREQ=YEARLY;BYDAY=54MO", "BYDAY=54MO: the number must be 1..53."),
        ("FREQ=WEEKLY;WKST=XY", "WKST must be a day such as MO or SU."),
        ("FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY values must be -31..-1 or 1..31, got 32."),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY values must be -31..-1 or 1..31, got 0."),
        ("FREQ=YEARLY;BYMONTH=13", "BYMONTH values must be 1..12, got 13."),
        ("FREQ=YEARLY;BYMONTH=-1", "BYMONTH values must be 1..12, got -1."),
        (
            "FREQ=DAILY;BYMONTH=\u0661",
            "BYMONTH must be a comma-separated list of numbers, got '\u0661'.",
        ),
        ("FREQ=WEEKLY;BYMONTHDAY=1", "BYMONTHDAY cannot be used with FREQ=WEEKLY."),
        ("FREQ=MONTHLY;BYWEEKNO=1", "BYWEEKNO needs FREQ=YEARLY."),
        ("FREQ=MONTHLY;BYYEARDAY=1", "BYYEARDAY needs FREQ=YEARLY."),
        ("FREQ=MONTHLY;BYSETPOS=1", "BYSETPOS needs another BY... part to choose from."),
        (
            "FREQ=DAILY;UNTIL=2026-12-31",
            "UNTIL must be a date (20261231) or a UTC time (20261231T230000Z).",
        ),
        ("FREQ=DAILY;UNTIL=20260230", "UNTIL is not a real date: day is out of range for month."),
        (
            "FREQ=DAILY;UNTIL=20261231T250000Z",
            "UNTIL is not a real date: hour must be in 0..23.",
        ),
        ("FREQ=DAILY;FREQ=WEEKLY", "FREQ is given twice."),
        ("FREQ=DAILY;COUNT", "'COUNT' is not NAME=VALUE."),
        ("", "The rule is empty; give e.g. FREQ=WEEKLY;BYDAY=MO."),
        ("RRULE:", "The rule is empty; give e.g. FREQ=WEEKLY;BYDAY=MO."),
        ("FREQ=DAILY; COUNT=2", "The rule must be one line without spaces, e.g. FREQ=DAILY."),
        ("FREQ=DAILY;\nCOUNT=2", "The rule must be one line without spaces, e.g. FREQ=DAILY."),
        ("FREQ=WEEKLY;BYDAY=" + ",".join(["MO"] * 43), "BYDAY lists too many days."),
    ],
)
def test_refused_rules_say_why(text, message):
    with pytest.raises(RecurrenceError) as caught:
        parse_rule(text)
    assert str(caught.value) == message


def test_a_rule_over_300_characters_is_refused_and_300_is_fine():
    exactly = "FREQ=YEARLY;BYYEARDAY=1" + ",1" * 138 + "0"
    assert len(exactly) == 300
    assert str(parse_rule(exactly)) == exactly
    too_long = exactly + "0"
    with pytest.raises(RecurrenceError) as caught:
        parse_rule(too_long)
    assert str(caught.value) == "The rule is too long (at most 300 characters)."


def test_not_text_is_refused():
    with pytest.raises(RecurrenceError) as caught:
        parse_rule(None)
    assert str(caught.value) == "Give the rule as RRULE text, e.g. FREQ=WEEKLY;BYDAY=MO."


def test_canonical_text_orders_parts_drops_interval_one_and_the_prefix():
    rule = parse_rule("rrule:wkst=su;byday=mo,we;interval=1;freq=weekly;count=010")
    assert str(rule) == "FREQ=WEEKLY;COUNT=10;BYDAY=MO,WE;WKST=SU"
    assert (rule.freq, rule.interval, rule.count, rule.until) == ("WEEKLY", 1, 10, None)
    assert rule.is_bounded
    assert str(rule.replace(COUNT=None, UNTIL="20261231")) == (
        "FREQ=WEEKLY;UNTIL=20261231;BYDAY=MO,WE;WKST=SU"
    )
    assert not parse_rule("FREQ=DAILY").is_bounded


# --- the start and the excluded dates ------------------------------------------------------


def test_a_start_that_is_not_an_occurrence_is_refused():
    tuesday = datetime(2026, 3, 3, 9, tzinfo=BERLIN)
    with pytest.raises(RecurrenceError) as caught:
        series("FREQ=WEEKLY;BYDAY=MO", tuesday).check()
    assert str(caught.value) == (
        "The start (Tuesday 03 March 2026) is not an occurrence of this rule; "
        "start the event on its first occurrence."
    )
    series("FREQ=WEEKLY;BYDAY=MO", tuesday - DAY).check()


def test_an_impossible_rule_is_refused_before_dateutil_walks(periods_walked):
    """February never has a 30th: the month/day pre-filter refuses without a walk."""
    start = datetime(2026, 2, 28, 9, tzinfo=BERLIN)
    with pytest.raises(RecurrenceError, match="is not an occurrence of this rule"):
        series("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", start).check()
    with pytest.raises(RecurrenceError, match="is not an occurrence of this rule"):
        series("FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30", start).check()
    assert total(periods_walked) == 0


@pytest.mark.parametrize(
    ("text", "start"),
    [
        # A single day can never have a second position.
        ("FREQ=DAILY;BYDAY=MO;BYSETPOS=2", datetime(2026, 3, 2, 9)),
        ("FREQ=WEEKLY;BYDAY=MO;BYSETPOS=3", datetime(2026, 3, 2, 9)),
        # The fifth Monday is never the 1st.
        ("FREQ=MONTHLY;BYDAY=5MO;BYMONTHDAY=1", datetime(2026, 6, 1, 9)),
        ("FREQ=YEARLY;BYWEEKNO=1;BYMONTH=6", datetime(2026, 6, 1, 9)),
        ("FREQ=YEARLY;BYMONTH=6;BYYEARDAY=1", datetime(2026, 6, 1, 9)),
        ("FREQ=MONTHLY;BYMONTHDAY=1;BYSETPOS=2", datetime(2026, 6, 1, 9)),
    ],
)
def test_rules_only_dateutil_can_judge_are_judged_on_the_first_period(periods_walked, text, start):
    """The start passes the plain filters, the rule never produces anything: one period
    of the rule decides (before the fix: a walk to the year 9999, 2.9 million days)."""
    with pytest.raises(RecurrenceError, match="is not an occurrence of this rule"):
        series(text, start.replace(tzinfo=BERLIN)).check()
    assert total(periods_walked) <= 1


def test_the_start_counts_with_numbered_weekdays_and_setpos():
    # Second Tuesday of January 2026 is the 13th; the 6th is the first.
    series("FREQ=MONTHLY;BYDAY=2TU", datetime(2026, 1, 13, 9, tzinfo=BERLIN)).check()
    with pytest.raises(RecurrenceError, match="Tuesday 06 January 2026"):
        series("FREQ=MONTHLY;BYDAY=2TU", datetime(2026, 1, 6, 9, tzinfo=BERLIN)).check()
    # Last weekday of the month: 30 January 2026 is a Friday.
    last_workday = "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"
    series(last_workday, datetime(2026, 1, 30, 9, tzinfo=BERLIN)).check()
    with pytest.raises(RecurrenceError):
        series(last_workday, datetime(2026, 1, 29, 9, tzinfo=BERLIN)).check()


def test_until_before_the_start_is_refused_with_its_own_message():
    start = datetime(2026, 3, 2, 9, tzinfo=BERLIN)
    with pytest.raises(RecurrenceError) as caught:
        series("FREQ=DAILY;UNTIL=20260301", start).check()
    assert str(caught.value) == (
        "UNTIL=20260301 is before the start; the series would never happen."
    )
    with pytest.raises(RecurrenceError, match="UNTIL=20260302T075959Z is before the start"):
        series("FREQ=DAILY;UNTIL=20260302T075959Z", start).check()
    series("FREQ=DAILY;UNTIL=20260302T080000Z", start).check()  # exactly the start


def test_excluded_dates_must_be_occurrences_and_at_most_1000():
    start = datetime(2026, 3, 2, 9, tzinfo=BERLIN)  # a Monday
    good = start + WEEK
    series("FREQ=WEEKLY", start, exdates=frozenset({good.astimezone(UTC)})).check()
    with pytest.raises(RecurrenceError) as caught:
        series("FREQ=WEEKLY", start, exdates=frozenset({good, start + DAY})).check()
    assert str(caught.value) == (
        "The excluded date 2026-03-03T09:00:00+01:00 is not an occurrence of the series."
    )
    # Right day, wrong minute.
    with pytest.raises(RecurrenceError, match="2026-03-09T09:01:00"):
        series("FREQ=WEEKLY", start, exdates=frozenset({good + timedelta(minutes=1)})).check()
    # After the end of a COUNT series.
    with pytest.raises(RecurrenceError, match="2026-03-23T09:00:00"):
        series("FREQ=WEEKLY;COUNT=3", start, exdates=frozenset({start + 3 * WEEK})).check()
    series("FREQ=WEEKLY;COUNT=3", start, exdates=frozenset({start + 2 * WEEK})).check()
    daily = frozenset(start + n * DAY for n in range(MAX_EXDATES))
    series("FREQ=DAILY", start, exdates=daily).check()
    too_many = daily | {start + MAX_EXDATES * DAY}
    with pytest.raises(RecurrenceError) as caught:
        series("FREQ=DAILY", start, exdates=too_many).check()
    assert str(caught.value) == "At most 1000 excluded dates."


def test_far_future_excluded_dates_cost_a_few_periods_each(periods_walked):
    start = datetime(2026, 3, 2, 9, tzinfo=BERLIN)
    far = [datetime(2026 + 5 * n, 3, 2, 9, tzinfo=BERLIN) for n in range(1, 100)]
    far = [d for d in far if d.weekday() == 0][:20]
    assert len(far) >= 10
    series("FREQ=WEEKLY;BYDAY=MO", start, exdates=frozenset(far)).check()
    assert total(periods_walked) < 10 * len(far)


def test_a_count_the_rule_reaches_only_after_centuries_is_refused(periods_walked):
    """COUNT is counted from the start, so every reading would walk the whole span."""
    leap_day = datetime(2028, 2, 29, 9, tzinfo=BERLIN)
    with pytest.raises(RecurrenceError) as caught:
        series("FREQ=DAILY;COUNT=1000;BYMONTH=2;BYMONTHDAY=29", leap_day).check()
    assert str(caught.value) == (
        "COUNT=1000 is too many for this rule: it would run past the year 2165. "
        "Give a smaller COUNT or an UNTIL date."
    )
    assert periods_walked["daily"] < 60_000  # not the 1.46 million days of 1000 leap days
    series("FREQ=DAILY;COUNT=30;BYMONTH=2;BYMONTHDAY=29", leap_day).check()
    series("FREQ=YEARLY;COUNT=1000", datetime(2026, 5, 4, 9, tzinfo=BERLIN)).check()
    series("FREQ=DAILY;COUNT=1000", datetime(2026, 5, 4, 9, tzinfo=BERLIN)).check()


# --- DST: wall clock stable, instants move on the right days --------------------------------


@pytest.mark.parametrize(
    ("tz", "expected_changes", "winter_utc_hour"),
    [
        (BERLIN, [(date(2026, 3, 29), 60, 120), (date(2026, 10, 25), 120, 60)], 8),
        (NEW_YORK, [(date(2026, 3, 8), -300, -240), (date(2026, 11, 1), -240, -300)], 14),
    ],
)
def test_weekly_series_keeps_its_wall_time_across_both_changes(
    tz, expected_changes, winter_utc_hour
):
    found = changes(tz, 2026)
    assert found == expected_changes, "tzdata moved a DST date: update this test"
    (spring, _, _), (autumn, _, _) = found
    # Every Sunday 09:00, all year: both changes happen on Sundays (in the night).
    first_sunday = date(2026, 1, 4)
    s = series("FREQ=WEEKLY;BYDAY=SU", datetime.combine(first_sunday, time(9), tz), tz=tz)
    s.check()
    starts = s.occurrences(utc(2026, 1, 1), utc(2027, 1, 1))
    assert len(starts) == 52
    assert all(i.astimezone(tz).time() == time(9) for i in starts)
    assert [i.astimezone(tz).date() for i in starts] == [first_sunday + n * WEEK for n in range(52)]
    for instant in starts:
        day = instant.astimezone(tz).date()
        summer = spring <= day < autumn
        assert instant.hour == winter_utc_hour - (1 if summer else 0), day
    # The instant moves exactly on the change days, and by one hour.
    by_day = {i.astimezone(tz).date(): i for i in starts}
    assert by_day[spring] - by_day[spring - WEEK] == WEEK - HOUR
    assert by_day[autumn] - by_day[autumn - WEEK] == WEEK + HOUR
    # Each occurrence lasts its real hour.
    assert all(iv.duration == HOUR for iv in s.intervals(utc(2026, 1, 1), utc(2027, 1, 1)))


def test_an_occurrence_in_the_spring_gap_moves_forward_by_the_gap():
    """02:30 does not exist on 29 March 2026 in Berlin: that Sunday's occurrence is at
    03:30 CEST (= 02:30 read with the winter offset, fold=0); the next one is 02:30 again."""
    assert changes(BERLIN, 2026)[0][0] == date(2026, 3, 29)
    s = series("FREQ=WEEKLY", datetime(2026, 3, 15, 2, 30, tzinfo=BERLIN))
    s.check()
    starts = s.occurrences(utc(2026, 3, 14), utc(2026, 4, 6))
    assert starts == [
        utc(2026, 3, 15, 1, 30),
        utc(2026, 3, 22, 1, 30),
        utc(2026, 3, 29, 1, 30),
        utc(2026, 4, 5, 0, 30),
    ]
    assert local(starts)[2:] == ["2026-03-29 03:30+0200", "2026-04-05 02:30+0200"]


def test_an_occurrence_in_the_repeated_hour_is_the_first_one():
    assert changes(BERLIN, 2026)[1][0] == date(2026, 10, 25)
    s = series("FREQ=WEEKLY", datetime(2026, 10, 11, 2, 30, tzinfo=BERLIN))
    starts = s.occurrences(utc(2026, 10, 10), utc(2026, 11, 2))
    assert local(starts) == [
        "2026-10-11 02:30+0200",
        "2026-10-18 02:30+0200",
        "2026-10-25 02:30+0200",  # the first 02:30 (CEST), not the second (CET)
        "2026-11-01 02:30+0100",
    ]


def test_a_start_in_the_spring_gap_is_the_instant_it_names_and_repeats_there():
    """A start given as 02:30 on the change day (fold=0) is 01:30 UTC = 03:30 CEST; the
    series repeats at that wall time, 03:30."""
    start = datetime(2026, 3, 29, 2, 30, tzinfo=BERLIN)
    assert start.astimezone(UTC) == utc(2026, 3, 29, 1, 30)
    s = series("FREQ=WEEKLY", start)
    s.check()
    starts = s.occurrences(utc(2026, 3, 28), utc(2026, 4, 13))
    assert local(starts) == [
        "2026-03-29 03:30+0200",
        "2026-04-05 03:30+0200",
        "2026-04-12 03:30+0200",
    ]
    assert s.is_occurrence(start)


def test_a_start_in_the_repeated_hour_is_the_first_one_and_the_second_is_refused():
    first = datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN)  # fold=0: CEST
    assert first.astimezone(UTC) == utc(2026, 10, 25, 0, 30)
    s = series("FREQ=WEEKLY", first)
    s.check()
    assert s.occurrences(utc(2026, 10, 24), utc(2026, 11, 2)) == [
        utc(2026, 10, 25, 0, 30),
        utc(2026, 11, 1, 1, 30),
    ]
    # The second 02:30 (CET): the rule's wall time means the first one, so the series'
    # first occurrence would not be its start. Before the fix it was accepted and then
    # expanded to 00:30 UTC, an hour before the stored start.
    second = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BERLIN)
    assert second.astimezone(UTC) == utc(2026, 10, 25, 1, 30)
    with pytest.raises(RecurrenceError) as caught:
        series("FREQ=WEEKLY", second).check()
    assert str(caught.value) == (
        "The start 2026-10-25T02:30:00+01:00 is the second 02:30 of the night the clocks "
        "go back; a series repeats the first one (2026-10-25T02:30:00+02:00)."
    )


def test_all_day_series_occupy_local_days_of_23_and_25_hours():
    start = datetime(2026, 3, 27, tzinfo=BERLIN)
    s = series("FREQ=DAILY", start, duration=DAY, all_day=True)
    s.check()
    starts = s.occurrences(utc(2026, 3, 27), utc(2026, 3, 31))
    assert all(i.astimezone(BERLIN).time() == time(0) for i in starts)
    lengths = {i.astimezone(BERLIN).date(): s.occurrence_end(i) - i for i in starts}
    assert lengths[date(2026, 3, 28)] == 24 * HOUR
    assert lengths[date(2026, 3, 29)] == 23 * HOUR
    autumn = series(
        "FREQ=WEEKLY;UNTIL=20261101",
        datetime(2026, 10, 11, tzinfo=BERLIN),
        duration=DAY,
        all_day=True,
    )
    autumn.check()
    starts = autumn.occurrences(utc(2026, 10, 1), utc(2026, 12, 1))
    assert [i.astimezone(BERLIN).date() for i in starts] == [
        date(2026, 10, 11),
        date(2026, 10, 18),
        date(2026, 10, 25),
        date(2026, 11, 1),  # UNTIL as a date includes that day
    ]
    lengths = [autumn.occurrence_end(i) - i for i in starts]
    assert lengths == [24 * HOUR, 24 * HOUR, 25 * HOUR, 24 * HOUR]
    assert autumn.last_end() == datetime(2026, 11, 2, tzinfo=BERLIN)
    # A two-day all-day event across the spring change: 47 hours.
    two = series(
        "FREQ=YEARLY", datetime(2026, 3, 28, tzinfo=BERLIN), duration=2 * DAY, all_day=True
    )
    (only,) = two.intervals(utc(2026, 3, 1), utc(2026, 4, 1))
    assert only.duration == 47 * HOUR


# --- what the rules produce ----------------------------------------------------------------


def nth_weekdays(year_months, weekday: int, n: int) -> list[date]:
    """The nth (1-based; -1 = last) given weekday of each month, by plain calendar math."""
    out = []
    for year, month in year_months:
        days = [
            date(year, month, d)
            for d in range(1, calendar.monthrange(year, month)[1] + 1)
            if date(year, month, d).weekday() == weekday
        ]
        out.append(days[n - 1] if n > 0 else days[n])
    return out


MONTHS_2026 = [(2026, m) for m in range(1, 13)]


def test_monthly_on_the_second_tuesday():
    s = series("FREQ=MONTHLY;BYDAY=2TU", datetime(2026, 1, 13, 18, tzinfo=BERLIN))
    s.check()
    starts = s.occurrences(utc(2026, 1, 1), utc(2027, 1, 1))
    assert [i.astimezone(BERLIN).date() for i in starts] == nth_weekdays(MONTHS_2026, 1, 2)
    assert all(i.astimezone(BERLIN).time() == time(18) for i in starts)


def test_monthly_on_the_last_friday():
    s = series("FREQ=MONTHLY;BYDAY=-1FR", datetime(2026, 1, 30, 16, tzinfo=NEW_YORK), tz=NEW_YORK)
    s.check()
    starts = s.occurrences(utc(2026, 1, 1), utc(2027, 1, 1))
    assert [i.astimezone(NEW_YORK).date() for i in starts] == nth_weekdays(MONTHS_2026, 4, -1)


def test_monthly_on_the_31st_skips_shorter_months():
    s = series("FREQ=MONTHLY;BYMONTHDAY=31", datetime(2026, 1, 31, 9, tzinfo=BERLIN))
    s.check()
    starts = s.occurrences(utc(2026, 1, 1), utc(2027, 1, 1))
    assert [i.astimezone(BERLIN).month for i in starts] == [1, 3, 5, 7, 8, 10, 12]
    # The same from the start's day alone (no BYMONTHDAY written).
    plain = series("FREQ=MONTHLY", datetime(2026, 1, 31, 9, tzinfo=BERLIN))
    assert plain.occurrences(utc(2026, 1, 1), utc(2027, 1, 1)) == starts


def test_yearly_on_29_february_only_in_leap_years():
    s = series("FREQ=YEARLY", datetime(2028, 2, 29, 12, tzinfo=BERLIN))
    s.check()
    starts = s.occurrences(utc(2028, 1, 1), utc(2105, 1, 1))
    years = [i.year for i in starts]
    assert years == [y for y in range(2028, 2105) if calendar.isleap(y)]
    assert 2100 not in years and years[-1] == 2104
    assert all(i.astimezone(BERLIN).date().day == 29 for i in starts)


def test_every_two_weeks_on_monday_and_wednesday():
    start = datetime(2026, 3, 2, 10, tzinfo=BERLIN)  # a Monday
    for wkst in ("MO", "SU"):
        s = series(f"FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;WKST={wkst}", start)
        s.check()
        starts = s.occurrences(utc(2026, 3, 1), utc(2026, 4, 5))
        assert [i.astimezone(BERLIN).day for i in starts] == [2, 4, 16, 18, 30, 1], wkst


@pytest.mark.parametrize(("wkst", "days"), [("MO", [5, 10, 19, 24]), ("SU", [5, 17, 19, 31])])
def test_wkst_decides_which_days_share_a_week(wkst, days):
    """RFC 5545 §3.8.5.3's own example: the week start changes the result."""
    s = series(
        f"FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST={wkst}",
        datetime(1997, 8, 5, 9, tzinfo=NEW_YORK),
        tz=NEW_YORK,
    )
    s.check()
    starts = s.occurrences(utc(1997, 8, 1), utc(1997, 10, 1))
    assert [i.astimezone(NEW_YORK).day for i in starts] == days


def test_week_start_is_monday_whatever_the_process_calendar_says():
    """dateutil reads a missing WKST from calendar.firstweekday(), which any library may
    change; RFC 5545 says MO. (Before the fix: Sundays-first weeks gave 1, 2, 15, 16.)"""
    s = series("FREQ=WEEKLY;INTERVAL=2;BYDAY=SU,MO", datetime(2026, 3, 1, 9, tzinfo=BERLIN))
    previous = calendar.firstweekday()
    calendar.setfirstweekday(calendar.SUNDAY)
    try:
        starts = s.occurrences(utc(2026, 3, 1), utc(2026, 3, 20))
    finally:
        calendar.setfirstweekday(previous)
    assert [i.astimezone(BERLIN).day for i in starts] == [1, 9, 15]


def test_until_as_a_date_includes_that_local_day():
    s = series("FREQ=DAILY;UNTIL=20260310", datetime(2026, 3, 2, 23, 30, tzinfo=BERLIN))
    s.check()
    starts = s.occurrences(utc(2026, 3, 1), utc(2026, 4, 1))
    assert [i.astimezone(BERLIN).day for i in starts] == list(range(2, 11))
    assert s.last_end() == datetime(2026, 3, 11, 0, 30, tzinfo=BERLIN)


def test_until_as_a_utc_time_is_inclusive_and_exact():
    start = datetime(2026, 3, 2, 9, tzinfo=BERLIN)
    s = series("FREQ=DAILY;UNTIL=20260310T080000Z", start)  # 09:00 Berlin on the 10th
    assert s.occurrences(utc(2026, 3, 1), utc(2026, 4, 1))[-1] == utc(2026, 3, 10, 8)
    s = series("FREQ=DAILY;UNTIL=20260310T075959Z", start)
    assert s.occurrences(utc(2026, 3, 1), utc(2026, 4, 1))[-1] == utc(2026, 3, 9, 8)
    assert s.last_end() == utc(2026, 3, 9, 9)


def test_until_is_compared_as_an_instant_next_to_the_autumn_change():
    """UNTIL 01:15 UTC on 25 October 2026 is 02:15 CET, the second 02:15; the 02:30
    occurrence that day is 02:30 CEST = 00:30 UTC, before UNTIL. Compared as wall times
    (02:30 > 02:15) it was lost."""
    s = series("FREQ=DAILY;UNTIL=20261025T011500Z", datetime(2026, 10, 20, 2, 30, tzinfo=BERLIN))
    starts = s.occurrences(utc(2026, 10, 24), utc(2026, 10, 27))
    assert starts == [utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30)]
    assert s.last_end() == utc(2026, 10, 25, 1, 30)


def test_cutting_a_series_at_an_occurrence_in_the_spring_gap_leaves_it_out():
    """The 02:30 daily on 29 March 2026 happens at 01:30 UTC (03:30 CEST). Cut there, the
    old series must stop before it; compared as wall times (02:30 < 03:29:59) it kept it,
    and the occurrence was in both halves of the split."""
    s = series("FREQ=DAILY", datetime(2026, 3, 20, 2, 30, tzinfo=BERLIN))
    at = utc(2026, 3, 29, 1, 30)
    assert s.is_occurrence(at)
    cut = s.until_before(at)
    assert str(cut) == "FREQ=DAILY;UNTIL=20260329T012959Z"
    head = Series(cut, s.start, s.duration, BERLIN)
    assert head.occurrences(utc(2026, 3, 27), utc(2026, 4, 2)) == [
        utc(2026, 3, 27, 1, 30),
        utc(2026, 3, 28, 1, 30),
    ]
    assert head.last_end() == utc(2026, 3, 28, 2, 30)


@pytest.mark.parametrize("tz", [BERLIN, NEW_YORK, ZoneInfo("Australia/Lord_Howe")])
def test_cutting_at_any_occurrence_near_a_change_splits_the_series_in_two(tz):
    """Every half hour of the day, daily series around each change of 2026: the part
    before the cut holds exactly the occurrences before it (never the cut one)."""
    for change_day, _, _ in changes(tz, 2026):
        for minutes in range(0, 24 * 60, 30):
            at = time(minutes // 60, minutes % 60)
            start = datetime.combine(change_day - 2 * DAY, at, tz)
            s = series("FREQ=DAILY", start, tz=tz)
            s.check()
            window = (s.start, s.start + 5 * DAY)
            whole = s.occurrences(*window)
            assert len(whole) >= 5
            for cut_at in whole[1:]:
                head = Series(s.until_before(cut_at), s.start, s.duration, tz)
                assert head.occurrences(*window) == [o for o in whole if o < cut_at], (
                    tz,
                    start,
                    cut_at,
                )


def test_count_and_the_bounds_of_a_series():
    start = datetime(2026, 3, 2, 9, tzinfo=BERLIN)
    s = series("FREQ=WEEKLY;COUNT=5", start, exdates=frozenset({start + WEEK}))
    s.check()
    starts = s.occurrences(utc(2026, 1, 1), utc(2027, 1, 1))
    # The excluded one still counts toward COUNT (RFC 5545: EXDATE after the rule).
    assert starts == [start + n * WEEK for n in (0, 2, 3, 4)]
    # 30 March is after the spring change: the instant moved, the wall time did not.
    assert s.last_end() == datetime(2026, 3, 30, 10, tzinfo=BERLIN)
    assert s.count_before(start + 2 * WEEK) == 2
    assert s.count_before(start) == 0
    cut = s.until_before(start + 3 * WEEK)
    assert str(cut) == "FREQ=WEEKLY;UNTIL=20260323T075959Z"
    assert series("FREQ=DAILY", start).last_end() is None
    all_day = series("FREQ=DAILY", datetime(2026, 3, 2, tzinfo=BERLIN), duration=DAY, all_day=True)
    assert str(all_day.until_before(datetime(2026, 3, 10, tzinfo=BERLIN))) == (
        "FREQ=DAILY;UNTIL=20260309"
    )


def test_is_occurrence():
    start = datetime(2026, 3, 2, 9, tzinfo=BERLIN)
    s = series("FREQ=WEEKLY;COUNT=3", start, exdates=frozenset({start + WEEK}))
    assert s.is_occurrence(start) and s.is_occurrence(start + 2 * WEEK)
    assert not s.is_occurrence(start + WEEK)  # excluded
    assert not s.is_occurrence(start + 3 * WEEK)  # after COUNT
    assert not s.is_occurrence(start - WEEK)  # before the start
    assert not s.is_occurrence(start + timedelta(seconds=1))


def test_a_start_with_a_fraction_of_a_second_is_kept():
    """dateutil drops microseconds from DTSTART; the engine puts them back, so the start
    is its own first occurrence (before the fix: refused, and the first occurrence
    vanished from every window)."""
    start = datetime(2026, 3, 2, 9, 0, 0, 500_000, tzinfo=BERLIN)
    s = series("FREQ=DAILY", start)
    s.check()
    starts = s.occurrences(utc(2026, 3, 1), utc(2026, 3, 4))
    assert starts == [start, start + DAY]
    assert s.is_occurrence(start)


# --- unbounded rules and the edges of time -------------------------------------------------


def test_an_unbounded_series_expands_only_inside_the_window(periods_walked):
    start = datetime(2026, 3, 2, 9, tzinfo=BERLIN)
    s = series("FREQ=DAILY", start)
    assert s.last_end() is None
    assert len(s.occurrences(utc(2026, 4, 6), utc(2026, 4, 13))) == 7
    periods_walked.update(dict.fromkeys(periods_walked, 0))
    week_in_2090 = s.occurrences(utc(2090, 5, 1), utc(2090, 5, 8))
    assert [i.astimezone(BERLIN).day for i in week_in_2090] == list(range(1, 8))
    assert total(periods_walked) < 30  # not the 23 000 days since 2026


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("FREQ=WEEKLY;INTERVAL=3;BYDAY=TU,TH;WKST=SU", datetime(2026, 3, 3, 9)),
        ("FREQ=MONTHLY;BYDAY=-1FR", datetime(2026, 1, 30, 9)),
        ("FREQ=MONTHLY;BYMONTHDAY=31", datetime(2026, 1, 31, 9)),
        ("FREQ=MONTHLY;INTERVAL=5;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", datetime(2026, 1, 30, 9)),
        ("FREQ=YEARLY", datetime(2028, 2, 29, 9)),
        ("FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO", datetime(2026, 5, 11, 9)),
    ],
)
def test_far_windows_cost_a_few_periods_and_agree_with_a_walk(periods_walked, text, start):
    s = series(text, start.replace(tzinfo=BERLIN))
    s.check()
    window = (utc(8000, 1, 1), utc(8001, 1, 1))
    periods_walked.update(dict.fromkeys(periods_walked, 0))
    fast = s.occurrences(*window)
    assert total(periods_walked) < 60
    walked = [
        i
        for i in (
            datetime.combine(d.date(), d.time(), BERLIN).astimezone(UTC)
            for d in dateutil_rrule.rrulestr(f"RRULE:{text}", dtstart=start).between(
                datetime(7999, 12, 30), datetime(8001, 1, 2), inc=True
            )
        )
        if window[0] <= i < window[1]
    ]
    assert fast == walked and fast


def test_until_far_in_the_future_costs_a_few_periods(periods_walked):
    s = series("FREQ=DAILY;UNTIL=99991231", datetime(2026, 3, 2, 9, tzinfo=BERLIN))
    s.check()
    periods_walked.update(dict.fromkeys(periods_walked, 0))
    assert s.last_end() == datetime(9999, 12, 31, 10, tzinfo=BERLIN)
    assert total(periods_walked) < 100  # was 2.9 million days, on every save
    monthly = series(
        "FREQ=MONTHLY;BYDAY=1MO;UNTIL=99991231", datetime(2026, 3, 2, 9, tzinfo=BERLIN)
    )
    monthly.check()
    assert monthly.last_end() == datetime(9999, 12, 6, 10, tzinfo=BERLIN)


def test_windows_at_the_ends_of_time_answer_instead_of_overflowing():
    s = series("FREQ=DAILY", datetime(2026, 3, 2, 23, tzinfo=NEW_YORK), tz=NEW_YORK)
    assert s.occurrences(utc(1, 1, 1), utc(1, 1, 8)) == []
    assert s.intervals(utc(1, 1, 1), utc(1, 1, 8)) == []
    end_of_time = datetime.max.replace(tzinfo=UTC)
    last_days = s.occurrences(utc(9999, 12, 28), end_of_time)
    # 23:00 New York on 31 December 9999 would be in the year 10000 UTC: no occurrence.
    assert local(last_days, NEW_YORK) == [
        "9999-12-27 23:00-0500",
        "9999-12-28 23:00-0500",
        "9999-12-29 23:00-0500",
        "9999-12-30 23:00-0500",
    ]
    bounded = series("FREQ=DAILY;UNTIL=99991231", s.start, tz=NEW_YORK)
    bounded.check()
    assert bounded.last_end() == utc(9999, 12, 31, 5)
    assert end_of_time > UNBOUNDED
