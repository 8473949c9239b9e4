"""The occurrence store: stored busy time equals a fresh expansion after every kind of write.

Dates are relative to today (the store keeps a range around today), on Berlin wall time;
each check compares the store's rows with the engine (``disagreements``) and the busy
time read through the store with the same read expanded on demand.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events import occurrence_store
from events.cancelling import event_cancel
from events.models import Attendee, Event, SeriesOccurrence, as_instant
from events.occurrences import busy_intervals
from events.services import event_create, event_update
from testsupport.occurrence_store import disagreements

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def next_monday(weeks: int = 1, hour: int = 10) -> dt.datetime:
    today = timezone.now().astimezone(BERLIN).date()
    day = today + dt.timedelta(days=7 * weeks - today.weekday())
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN)


def forget_store() -> None:
    """As if no series had ever been stored (rows written before the store existed)."""
    SeriesOccurrence.objects.all().delete()
    Event.objects.update(occurrences_from=None, occurrences_until=None, occurrences_key="")
    Attendee.objects.update(event_stored_from=None, event_stored_until=None)


def on_demand(users, start, end):
    """The same busy read with nothing stored: every series expanded as before the store."""
    saved = list(SeriesOccurrence.objects.values_list("series_id", "start", "end"))
    ranges = list(
        Event.objects.filter(occurrences_until__isnull=False).values_list(
            "pk", "occurrences_from", "occurrences_until", "occurrences_key"
        )
    )
    forget_store()
    try:
        return busy_intervals(users, start, end)
    finally:
        SeriesOccurrence.objects.bulk_create(
            SeriesOccurrence(series_id=s, start=a, end=b) for s, a, b in saved
        )
        for pk, lo, hi, key in ranges:
            Event.objects.filter(pk=pk).update(
                occurrences_from=lo, occurrences_until=hi, occurrences_key=key
            )
            Attendee.objects.filter(event_id=pk).update(event_stored_from=lo, event_stored_until=hi)


def window() -> tuple[dt.datetime, dt.datetime]:
    start = next_monday(0, 0)
    return start, start + dt.timedelta(days=120)


def assert_in_step(owner) -> None:
    assert disagreements() == []
    assert busy_intervals([owner], *window()) == on_demand([owner], *window())


@pytest.fixture
def series(owner):
    start = next_monday()
    return event_create(
        owner,
        title="Weekly",
        start=start,
        end=start + dt.timedelta(hours=1),
        timezone="Europe/Berlin",
        recurrence="FREQ=WEEKLY;BYDAY=MO",
    )


def stored_starts(series) -> list[dt.datetime]:
    rows = SeriesOccurrence.objects.filter(series=series).values_list("start", flat=True)
    return sorted(as_instant(s) for s in rows)


def test_a_new_series_stores_its_occurrences_around_today(owner, series):
    series.refresh_from_db()
    assert series.occurrences_until is not None and series.occurrences_key
    starts = stored_starts(series)
    assert starts[0] == next_monday().astimezone(dt.UTC)
    # Weekly for the horizon (400 days): about 57 rows, nothing before the start.
    assert 55 <= len(starts) <= 58
    assert_in_step(owner)


def test_every_kind_of_write_keeps_the_store_in_step(owner, series):
    second, third, fifth = next_monday(2), next_monday(3), next_monday(5)
    # This date only: moved by two hours (an exception row replaces the occurrence).
    event_update(
        series,
        owner,
        scope="this",
        occurrence=second,
        start=second + dt.timedelta(hours=2),
        end=second + dt.timedelta(hours=3),
    )
    assert second.astimezone(dt.UTC) not in stored_starts(series)
    assert_in_step(owner)
    # One date cancelled (EXDATE on the series).
    event_cancel(Event.objects.get(pk=series.pk), owner, scope="this", occurrence=third)
    assert third.astimezone(dt.UTC) not in stored_starts(series)
    assert_in_step(owner)
    # The changed date cancelled too.
    exception = Event.objects.get(series=series, recurrence_id=second)
    event_cancel(exception, owner, scope="this", occurrence=second)
    assert_in_step(owner)
    # This and following: the series is split in two.
    newer = event_update(
        Event.objects.get(pk=series.pk),
        owner,
        scope="following",
        occurrence=fifth,
        start=fifth + dt.timedelta(hours=1),
        end=fifth + dt.timedelta(hours=2),
    )
    assert newer.pk != series.pk
    assert max(stored_starts(series)) < fifth.astimezone(dt.UTC)
    assert min(stored_starts(newer)) == (fifth + dt.timedelta(hours=1)).astimezone(dt.UTC)
    assert_in_step(owner)
    # All: the later half moves to Tuesdays at 08:00.
    tuesday = fifth + dt.timedelta(days=1, hours=-2)
    event_update(
        Event.objects.get(pk=newer.pk),
        owner,
        scope="all",
        start=tuesday,
        end=tuesday + dt.timedelta(hours=1),
        recurrence="FREQ=WEEKLY;BYDAY=TU",
    )
    assert all(s.astimezone(BERLIN).weekday() == 1 for s in stored_starts(newer))
    assert_in_step(owner)
    # The rule removed: a single event keeps no stored occurrences.
    event_update(Event.objects.get(pk=newer.pk), owner, scope="all", recurrence=None)
    assert stored_starts(newer) == []
    assert_in_step(owner)
    # Both halves cancelled: busy no more, stored rows or not.
    event_cancel(Event.objects.get(pk=series.pk), owner)
    event_cancel(Event.objects.get(pk=newer.pk), owner)
    assert busy_intervals([owner], *window())[owner.pk] == []
    assert_in_step(owner)


def test_a_counted_series_is_stored_to_its_end_and_then_complete(owner):
    start = next_monday()
    event = event_create(
        owner,
        title="Course",
        start=start,
        end=start + dt.timedelta(hours=1),
        timezone="Europe/Berlin",
        recurrence="FREQ=DAILY;COUNT=10",
    )
    event.refresh_from_db()
    assert len(stored_starts(event)) == 10
    assert event.occurrences_until.year == 9999  # complete: nothing to expand on demand
    assert_in_step(owner)


def test_a_window_beyond_the_horizon_is_expanded_on_demand_and_asks_the_worker(
    owner, series, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    cache.clear()
    far = next_monday(80)
    with django_capture_on_commit_callbacks() as callbacks:
        busy = busy_intervals([owner], far, far + dt.timedelta(days=14))
    assert [iv.start for iv in busy[owner.pk]] == [
        far.astimezone(dt.UTC),
        (far + dt.timedelta(days=7)).astimezone(dt.UTC),
    ]
    assert len(callbacks) == 1  # the worker is asked to move the range on
    with django_capture_on_commit_callbacks() as again:
        busy_intervals([owner], far, far + dt.timedelta(days=14))
    assert again == []  # at most once every few minutes


def test_the_worker_moves_stale_ranges_forward(owner, series):
    later = timezone.now() + dt.timedelta(days=200)
    assert list(occurrence_store.stale_series(later)) == [series]
    assert occurrence_store.extend_stale(later) == 1
    series.refresh_from_db()
    assert series.occurrences_until >= later + occurrence_store.HORIZON - dt.timedelta(days=1)
    assert min(stored_starts(series)) >= later - occurrence_store.HISTORY - dt.timedelta(days=1)
    assert list(occurrence_store.stale_series(later)) == []
    assert occurrence_store.extend_stale(later) == 0


def test_a_write_that_changes_nothing_the_store_depends_on_rewrites_nothing(owner, series):
    before = list(SeriesOccurrence.objects.filter(series=series).values_list("pk", flat=True))
    event_update(Event.objects.get(pk=series.pk), owner, title="Renamed", location="Room 2")
    after = list(SeriesOccurrence.objects.filter(series=series).values_list("pk", flat=True))
    assert before == after


ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe", "UTC"]
RULES = [
    "FREQ=DAILY",
    "FREQ=DAILY;INTERVAL=3;COUNT=40",
    "FREQ=WEEKLY;BYDAY={day}",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY={day}",
    "FREQ=MONTHLY;BYMONTHDAY={monthday}",
    "FREQ=YEARLY",
]
CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    zone=st.sampled_from(ZONES),
    rule=st.sampled_from(RULES),
    days_from_today=st.integers(min_value=-90, max_value=300),
    minutes=st.integers(min_value=0, max_value=24 * 60 - 1),
    length=st.sampled_from([15, 60, 24 * 60, 3 * 24 * 60]),
    window_from=st.integers(min_value=-60, max_value=420),
    window_days=st.integers(min_value=1, max_value=60),
)
def test_stored_busy_time_equals_a_fresh_expansion(
    owner, zone, rule, days_from_today, minutes, length, window_from, window_days
):
    tz = zoneinfo.ZoneInfo(zone)
    today = timezone.now().astimezone(tz).date()
    day = today + dt.timedelta(days=days_from_today)
    local = dt.datetime.combine(day, dt.time(minutes // 60, minutes % 60))
    start = local.replace(tzinfo=tz).astimezone(dt.UTC).astimezone(tz)  # a real wall time
    text = rule.format(day=CODES[start.weekday()], monthday=start.day)
    Event.objects.filter(organizer=owner).delete()
    event_create(
        owner,
        title="Property",
        start=start,
        end=start + dt.timedelta(minutes=length),
        timezone=zone,
        recurrence=text,
    )
    lo = timezone.now() + dt.timedelta(days=window_from)
    hi = lo + dt.timedelta(days=window_days)
    assert disagreements() == []
    assert busy_intervals([owner], lo, hi) == on_demand([owner], lo, hi)


def test_the_command_fills_the_store_for_series_written_without_it(owner, series):
    from io import StringIO

    from django.core.management import call_command

    forget_store()
    out = StringIO()
    call_command("refresh_occurrences", stdout=out)
    assert out.getvalue().strip() == "1 series refreshed"
    assert len(stored_starts(series)) > 50


def test_the_worker_task_runs_the_extension(owner, series):
    from events.tasks import extend_occurrence_store_task

    forget_store()
    assert extend_occurrence_store_task.call() == 1
    assert len(stored_starts(series)) > 50
