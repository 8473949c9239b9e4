"""planner.selectors.find_common_slots: three people with known calendars -> exact slots."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from events.services import event_create
from planner.selectors import find_common_slots, searched_window
from scheduling.intervals import Interval

from .conftest import (
    BERLIN,
    FIRST_TEN_HOUR_SLOTS,
    FIRST_TWELVE_HOUR_SLOTS,
    UTC,
    berlin_slots,
    known_week,
    local,
)

MONDAY = dt.date(2026, 5, 4)
LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=UTC)


def _pairs(slots):
    return [(s.start, s.end) for s in slots]


def _week(monday: dt.date) -> tuple[dt.datetime, dt.datetime]:
    return local(monday, "00:00"), local(monday + dt.timedelta(days=7), "00:00")


@pytest.fixture
def week(alice, bob, carol):
    known_week(alice, bob, carol, MONDAY)
    return [alice, bob, carol]


def test_three_people_first_ten_hour_slots(week, alice):
    start, end = _week(MONDAY)
    slots = find_common_slots(alice, week, duration_minutes=60, start=start, end=end, now=LONG_AGO)
    assert _pairs(slots) == berlin_slots(MONDAY, FIRST_TEN_HOUR_SLOTS, 60)
    more = find_common_slots(
        alice, week, duration_minutes=60, start=start, end=end, limit=12, now=LONG_AGO
    )
    assert _pairs(more) == berlin_slots(MONDAY, FIRST_TWELVE_HOUR_SLOTS, 60)


def test_one_per_day_offers_the_first_time_of_each_day(week, alice):
    start, end = _week(MONDAY)
    slots = find_common_slots(
        alice, week, duration_minutes=60, start=start, end=end, now=LONG_AGO, one_per_day=True
    )
    # The first time of each day, from all the times the plain search finds.
    every = find_common_slots(
        alice, week, duration_minutes=60, start=start, end=end, now=LONG_AGO, limit=50
    )
    firsts: dict[dt.date, Interval] = {}
    for slot in every:
        firsts.setdefault(slot.start.astimezone(BERLIN).date(), slot)
    assert _pairs(slots) == _pairs(firsts.values())
    assert len(slots) == 5  # Monday to Friday, though ten were asked for
    assert _pairs(slots)[:4] == [
        berlin_slots(MONDAY, FIRST_TEN_HOUR_SLOTS, 60)[i] for i in (0, 2, 5, 9)
    ]
    two = find_common_slots(
        alice, week, duration_minutes=60, start=start, end=end, now=LONG_AGO, one_per_day=True,
        limit=2,
    )  # fmt: skip
    assert _pairs(two) == _pairs(slots[:2])


def test_order_of_people_does_not_matter_but_the_requesters_grid_does(week, alice, bob, carol):
    start, end = _week(MONDAY)
    as_alice = find_common_slots(
        alice, [carol, bob, alice], duration_minutes=60, start=start, end=end, now=LONG_AGO
    )
    assert _pairs(as_alice) == berlin_slots(MONDAY, FIRST_TEN_HOUR_SLOTS, 60)
    # Bob asks: same people, his New York grid. New York is 6 hours behind Berlin, so
    # the half-hour grid lines up and the slots are the same instants.
    as_bob = find_common_slots(bob, week, duration_minutes=60, start=start, end=end, now=LONG_AGO)
    assert _pairs(as_bob) == _pairs(as_alice)


def test_45_minutes_use_a_quarter_hour_grid(week, alice):
    start, end = _week(MONDAY)
    slots = find_common_slots(
        alice, week, duration_minutes=45, start=start, end=end, limit=6, now=LONG_AGO
    )
    table = [(0, "14:30"), (0, "14:45"), (0, "15:00"), (0, "15:15"), (1, "14:00"), (1, "14:15")]
    assert _pairs(slots) == berlin_slots(MONDAY, table, 45)


def test_grid_is_anchored_at_the_requesters_midnight(alice, bob):
    """A 20-minute gap that ends at :50 only fits a quarter-hour grid slot at :30."""
    event_create(alice, title="Early", start=local(MONDAY, "14:00"), end=local(MONDAY, "14:20"))
    event_create(alice, title="Late", start=local(MONDAY, "14:50"), end=local(MONDAY, "17:00"))
    slots = find_common_slots(
        alice,
        [alice, bob],
        duration_minutes=20,
        start=local(MONDAY, "00:00"),
        end=local(MONDAY, "23:00"),
        now=LONG_AGO,
    )
    assert _pairs(slots) == berlin_slots(MONDAY, [(0, "14:30")], 20)


def test_not_before_now(week, alice):
    start, end = _week(MONDAY)
    now = local(MONDAY, "14:40")
    slots = find_common_slots(
        alice, week, duration_minutes=60, start=start, end=end, limit=3, now=now
    )
    # 14:30 has begun; the next grid point is 15:00.
    table = [(0, "15:00"), (1, "14:00"), (1, "14:30")]
    assert _pairs(slots) == berlin_slots(MONDAY, table, 60)
    # A range wholly in the past has nothing.
    assert find_common_slots(alice, week, duration_minutes=60, start=start, end=end) == []


def test_searched_window_starts_now_and_is_none_when_the_range_is_over():
    start, end = _week(MONDAY)
    assert searched_window(start, end, now=LONG_AGO) == Interval(start, end)
    now = local(MONDAY, "14:40")
    assert searched_window(start, end, now=now) == Interval(now, end)
    assert searched_window(start, end, now=end) is None
    assert searched_window(start, end, now=end + dt.timedelta(days=1)) is None


def test_slots_lie_wholly_inside_the_range(week, alice):
    slots = find_common_slots(
        alice,
        week,
        duration_minutes=60,
        start=local(MONDAY, "14:45"),
        end=local(MONDAY + dt.timedelta(days=1), "15:00"),
        now=LONG_AGO,
    )
    assert _pairs(slots) == berlin_slots(MONDAY, [(0, "15:00"), (1, "14:00")], 60)


def test_working_hours_are_each_persons_own_across_dst(alice, bob):
    """New York moves to summer time three weeks before Berlin: for those weeks Bob's
    08:00 is 13:00 in Berlin instead of 14:00."""
    bob.working_hours = {d: [["08:00", "16:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    bob.save()
    first = {}
    for monday in (dt.date(2026, 3, 2), dt.date(2026, 3, 16), dt.date(2026, 3, 30)):
        slots = find_common_slots(
            alice,
            [alice, bob],
            duration_minutes=30,
            start=local(monday, "00:00"),
            end=local(monday, "23:59"),
            limit=50,
            now=LONG_AGO,
        )
        first[monday] = (
            slots[0].start.astimezone(local(monday, "00:00").tzinfo).strftime("%H:%M"),
            slots[-1].end.astimezone(local(monday, "00:00").tzinfo).strftime("%H:%M"),
            len(slots),
        )
    assert first == {
        dt.date(2026, 3, 2): ("14:00", "17:00", 6),  # EST (-5) and CET (+1): 6 hours apart
        dt.date(2026, 3, 16): ("13:00", "17:00", 8),  # EDT (-4) and CET: 5 hours apart
        dt.date(2026, 3, 30): ("14:00", "17:00", 6),  # EDT and CEST (+2): 6 hours apart
    }


def test_nobody_works_at_the_same_time_costs_no_query(alice, acme):
    from accounts.models import User

    # 09:00-17:00 in Los Angeles is 16:00-00:00 UTC; Alice's day ends 15:00 UTC.
    la = User.objects.create_user(
        "lena@acme.test",
        "x" * 12,
        account=acme,
        full_name="Lena",
        timezone="America/Los_Angeles",
        working_hours={d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    )
    start, end = _week(MONDAY)
    with CaptureQueriesContext(connection) as queries:
        slots = find_common_slots(
            alice, [alice, la], duration_minutes=30, start=start, end=end, now=LONG_AGO
        )
    assert slots == []
    assert len(queries) == 0


def test_busy_time_is_read_only_until_enough_slots_are_found(week, alice):
    """Asking 31 days reads no more than asking one week when the first week suffices."""
    start, _ = _week(MONDAY)
    counts = []
    for days in (7, 31):
        cache.clear()  # busy time read afresh each time, as the first ask reads it
        with CaptureQueriesContext(connection) as queries:
            slots = find_common_slots(
                alice,
                week,
                duration_minutes=60,
                start=start,
                end=start + dt.timedelta(days=days),
                now=LONG_AGO,
            )
        assert _pairs(slots) == berlin_slots(MONDAY, FIRST_TEN_HOUR_SLOTS, 60)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_later_batches_are_searched_when_the_first_is_full(alice, bob):
    """Alice is busy for two whole weeks: the slots come from the third."""
    event_create(
        alice,
        title="Away",
        start=local(MONDAY, "00:00"),
        end=local(MONDAY + dt.timedelta(days=14), "00:00"),
    )
    slots = find_common_slots(
        alice,
        [alice, bob],
        duration_minutes=60,
        start=local(MONDAY, "00:00"),
        end=local(MONDAY + dt.timedelta(days=31), "00:00"),
        limit=2,
        now=LONG_AGO,
    )
    assert _pairs(slots) == berlin_slots(MONDAY, [(14, "14:00"), (14, "14:30")], 60)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"duration_minutes": 4}, "duration_minutes"),
        ({"duration_minutes": 1441}, "duration_minutes"),
        ({"limit": 0}, "limit"),
        ({"limit": 51}, "limit"),
        ({"end": local(MONDAY, "00:00")}, "end"),
        ({"end": local(MONDAY, "00:00") + dt.timedelta(days=31, seconds=1)}, "end"),
        ({"start": dt.datetime(2026, 5, 4)}, "start"),
        ({"users": []}, "users"),
    ],
)
def test_bad_search_names_the_field(alice, bob, changes, field):
    args = {
        "users": [alice, bob],
        "duration_minutes": 30,
        "start": local(MONDAY, "00:00"),
        "end": local(MONDAY, "23:00"),
        "limit": 10,
    }
    args.update(changes)
    users = args.pop("users")
    with pytest.raises(ValidationError) as info:
        find_common_slots(alice, users, now=LONG_AGO, **args)
    assert set(info.value.message_dict) == {field}


def test_a_user_of_another_account_is_a_404(alice, stranger):
    with pytest.raises(Http404):
        find_common_slots(
            alice,
            [alice, stranger],
            duration_minutes=30,
            start=local(MONDAY, "00:00"),
            end=local(MONDAY, "23:00"),
        )
