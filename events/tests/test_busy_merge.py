"""The database's merge of busy time (``events.busy_merge``) equals a merge in Python.

The merge is SQL (window functions, written once for SQLite and PostgreSQL), so it is
checked here against ``scheduling.intervals.merge_clipped`` on spans drawn at random:
overlapping, touching, nested, reaching out of the window, shared by two people, mixed
with a weekly series read from the occurrence store.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events import busy_merge
from events.cancelling import event_cancel
from events.models import Attendee, Event
from events.occurrences import busy_intervals, expand
from events.services import event_create
from scheduling.intervals import merge_clipped

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
# Single events are read from the attendances wherever they lie; the series tests use a
# week inside the occurrence store's range around today (``soon``).
BASE = dt.datetime(2030, 3, 4, 8, tzinfo=BERLIN)


def soon() -> dt.datetime:
    """Monday 08:00 in Berlin, two weeks from now (taken in Berlin, at any hour)."""
    today = timezone.now().astimezone(BERLIN).date()
    day = today + dt.timedelta(days=14 - today.weekday())
    return dt.datetime(day.year, day.month, day.day, 8, tzinfo=BERLIN)


spans = st.lists(
    st.tuples(
        st.integers(min_value=-8, max_value=48),  # start, quarter hours from BASE
        st.integers(min_value=1, max_value=16),  # length, quarter hours
        st.sampled_from(["owner", "colleague", "both"]),
    ),
    max_size=25,
)


def quarter(n: int) -> dt.datetime:
    return BASE + dt.timedelta(minutes=15 * n)


def write(owner, colleague, drawn) -> dict[int, list[tuple[dt.datetime, dt.datetime]]]:
    """The drawn events, written as the bench seeds them; the expected spans per person."""
    expected: dict[int, list] = {owner.pk: [], colleague.pk: []}
    people = {"owner": [owner], "colleague": [colleague], "both": [owner, colleague]}
    for begin, length, who in drawn:
        start, end = quarter(begin), quarter(begin + length)
        organizer, *guests = people[who]
        event = Event.objects.create(
            account=owner.account, organizer=organizer, title="x", start=start, end=end,
            timezone="Europe/Berlin",
        )  # fmt: skip
        Attendee.objects.bulk_create(
            [Attendee(event=event, user=organizer, status=Attendee.Status.ACCEPTED)]
            + [Attendee(event=event, user=g, status=Attendee.Status.ACCEPTED) for g in guests]
        )
        for person in people[who]:
            expected[person.pk].append((start, end))
    return expected


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    drawn=spans,
    window_from=st.integers(min_value=-8, max_value=40),
    window_length=st.integers(min_value=1, max_value=64),
)
def test_the_database_merges_as_python_does(owner, colleague, drawn, window_from, window_length):
    Event.objects.all().delete()
    expected = write(owner, colleague, drawn)
    lo, hi = quarter(window_from), quarter(window_from + window_length)
    _merged, uncovered, _stale = busy_merge.merged_busy([owner.pk, colleague.pk], lo, hi)
    assert uncovered == []
    busy = busy_intervals([owner, colleague], lo, hi)
    for person in (owner, colleague):
        want = merge_clipped(expected[person.pk], lo, hi)
        assert busy[person.pk] == want
        assert [(iv.start, iv.end) for iv in busy[person.pk]] == [(iv.start, iv.end) for iv in want]


def test_stored_occurrences_merge_with_single_events(owner, colleague):
    base = soon()

    def at(n: int) -> dt.datetime:
        return base + dt.timedelta(minutes=15 * n)

    series = event_create(
        owner,
        title="Weekly",
        start=base,
        end=base + dt.timedelta(hours=1),
        timezone="Europe/Berlin",
        recurrence="FREQ=WEEKLY;COUNT=4",
        attendee_ids=[colleague.pk],
    )
    # Touches the first occurrence's end; overlaps the second's start.
    event_create(owner, title="After", start=at(4), end=at(6))
    second = base + dt.timedelta(days=7)
    event_create(
        owner, title="Before", start=second - dt.timedelta(minutes=30),
        end=second + dt.timedelta(minutes=15),
    )  # fmt: skip
    lo, hi = base - dt.timedelta(days=1), base + dt.timedelta(days=28)
    _merged, uncovered, _stale = busy_merge.merged_busy([owner.pk, colleague.pk], lo, hi)
    assert uncovered == []  # read from the store: nothing expanded
    occurrences = [(o.start, o.end) for o in expand([series], lo, hi)]
    assert len(occurrences) == 4
    busy = busy_intervals([owner, colleague], lo, hi)
    assert [(iv.start, iv.end) for iv in busy[owner.pk]] == [
        (base, at(6)),
        (second - dt.timedelta(minutes=30), second + dt.timedelta(hours=1)),
        *occurrences[2:],
    ]
    # The colleague was invited (not yet answered, so busy) to the series alone.
    assert [(iv.start, iv.end) for iv in busy[colleague.pk]] == occurrences


def test_a_declined_series_and_a_cancelled_event_are_not_busy(owner, colleague):
    base = soon()

    def at(n: int) -> dt.datetime:
        return base + dt.timedelta(minutes=15 * n)

    series = event_create(
        owner, title="Weekly", start=base, end=base + dt.timedelta(hours=1),
        timezone="Europe/Berlin", recurrence="FREQ=WEEKLY;COUNT=4", attendee_ids=[colleague.pk],
    )  # fmt: skip
    Attendee.objects.filter(event=series, user=colleague).update(status=Attendee.Status.DECLINED)
    single = event_create(owner, title="Call", start=at(-8), end=at(-4))
    event_cancel(single, owner)
    busy = busy_intervals(
        [owner, colleague], base - dt.timedelta(days=1), base + dt.timedelta(days=28)
    )
    assert busy[colleague.pk] == []
    assert len(busy[owner.pk]) == 4  # the series only
