"""Window reads of series: bounds kept on the row, the window filter, expansion with
exceptions and EXDATEs, busy time (selector and /freebusy), and what a read costs.

Series rows are written directly (as event_create does: the organizer is an accepted
attendee), so each test controls exactly which occurrence is excluded or moved.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.models import Attendee, Event
from events.occurrences import _busy_rows, busy_blocks, expand, occurrence_of, window_q
from events.selectors import busy_intervals, events_in_range, occurrences_in_range
from scheduling.intervals import Interval
from scheduling.recurrence import UNBOUNDED, parse_rule

pytestmark = pytest.mark.django_db

UTC = dt.UTC
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
WEEK = dt.timedelta(weeks=1)


def berlin(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def make_series(
    organizer,
    start: dt.datetime,
    rule: str,
    *,
    length: dt.timedelta = HOUR,
    exdates=(),
    all_day: bool = False,
    title: str = "Stand-up",
    invited=(),
) -> Event:
    event = Event.objects.create(
        account=organizer.account,
        organizer=organizer,
        title=title,
        start=start,
        end=start + length,
        timezone=organizer.timezone,
        all_day=all_day,
        recurrence=str(parse_rule(rule)),
        exdates=[d.astimezone(UTC).isoformat() for d in exdates],
    )
    event.as_series().check()  # as the services do: a row the engine accepts
    Attendee.objects.create(event=event, user=organizer, status=Attendee.Status.ACCEPTED)
    for user in invited:
        Attendee.objects.create(event=event, user=user)
    return event


def make_single(organizer, start: dt.datetime, length: dt.timedelta = HOUR, **kw) -> Event:
    event = Event.objects.create(
        account=organizer.account,
        organizer=organizer,
        title=kw.pop("title", "One-off"),
        start=start,
        end=start + length,
        timezone=organizer.timezone,
        **kw,
    )
    Attendee.objects.create(event=event, user=organizer, status=Attendee.Status.ACCEPTED)
    return event


def move_occurrence(series: Event, original: dt.datetime, start: dt.datetime, **kw) -> Event:
    """The changed-occurrence row: same UID, RECURRENCE-ID = the original start."""
    row = Event.objects.create(
        account=series.account,
        organizer=series.organizer,
        uid=series.uid,
        title=kw.pop("title", series.title),
        start=start,
        end=start + (series.end - series.start),
        timezone=series.timezone,
        series=series,
        recurrence_id=original,
        **kw,
    )
    for attendee in series.attendees.all():
        Attendee.objects.create(event=row, user=attendee.user, status=attendee.status)
    return row


@pytest.fixture
def carol(acme):
    """A third Acme employee, invited to nothing."""
    from accounts.models import User

    return User.objects.create_user(
        "carol@acme.test", "x" * 12, account=acme, full_name="Carol Third", timezone="UTC"
    )


def busy_of(user, start, end) -> list[tuple[dt.datetime, dt.datetime]]:
    return [(iv.start, iv.end) for iv in busy_intervals([user], start, end)[user.pk]]


def hours(*pairs: tuple[dt.datetime, int]) -> list[tuple[dt.datetime, dt.datetime]]:
    """(start, hours) pairs as UTC (start, end) tuples."""
    return [(s.astimezone(UTC), (s + h * HOUR).astimezone(UTC)) for s, h in pairs]


# --- series_end ----------------------------------------------------------------------------


def test_series_end_is_the_end_of_the_last_occurrence(owner):
    # 1 June 2026 is a Monday.
    counted = make_series(owner, berlin(6, 1, 10), "FREQ=WEEKLY;COUNT=4")
    assert counted.series_end == berlin(6, 22, 11)
    until_day = make_series(owner, berlin(6, 1, 10), "FREQ=DAILY;UNTIL=20260610")
    assert until_day.series_end == berlin(6, 10, 11)
    until_utc = make_series(owner, berlin(6, 1, 10), "FREQ=DAILY;UNTIL=20260610T075959Z")
    assert until_utc.series_end == berlin(6, 9, 11)
    # Across the autumn change: the last one is at 10:00 CET.
    autumn = make_series(owner, berlin(10, 19, 10), "FREQ=WEEKLY;COUNT=3")
    assert autumn.series_end == utc(2026, 11, 2, 10)
    open_ended = make_series(owner, berlin(6, 1, 10), "FREQ=WEEKLY;BYDAY=MO")
    assert open_ended.series_end == UNBOUNDED
    all_day = make_series(
        owner, berlin(10, 23), "FREQ=DAILY;COUNT=3", length=DAY, all_day=True, title="Fair"
    )
    # 23, 24, 25 October; the 25th has 25 hours, and ends at midnight of the 26th.
    assert all_day.series_end == berlin(10, 26)
    single = make_single(owner, berlin(6, 1, 10))
    assert single.series_end == single.end
    for event in (counted, until_day, until_utc, autumn, open_ended, all_day, single):
        assert event.compute_series_end() == event.series_end
        event.refresh_from_db()
        assert event.series_end == event.compute_series_end()


def test_series_end_follows_a_changed_rule(owner):
    event = make_series(owner, berlin(6, 1, 10), "FREQ=WEEKLY")
    event.recurrence = "FREQ=WEEKLY;COUNT=2"
    event.save(update_fields=["recurrence"])
    event.refresh_from_db()
    assert event.series_end == berlin(6, 8, 11)


# --- the window filter ---------------------------------------------------------------------


def selected(start, end) -> set[str]:
    return set(Event.objects.filter(window_q(start, end)).values_list("title", flat=True))


def test_window_q_selects_series_by_their_bounds(owner):
    make_series(owner, berlin(6, 1, 10), "FREQ=WEEKLY;COUNT=3", title="ended in June")
    forever = make_series(owner, berlin(6, 1, 10), "FREQ=DAILY", title="forever")
    assert forever.series_end == UNBOUNDED
    assert len(forever.as_series().occurrences(berlin(7, 6), berlin(7, 13))) == 7
    make_series(owner, berlin(9, 7, 10), "FREQ=WEEKLY", title="from September")
    make_single(owner, berlin(7, 1, 10), title="July 1st")
    july = (berlin(7, 1), berlin(8, 1))
    assert selected(*july) == {"forever", "July 1st"}
    # The series that ended: selected while its end (15 June, 11:00) is after the
    # window's start, not afterwards.
    assert "ended in June" in selected(berlin(6, 15, 10, 30), berlin(6, 16))
    assert "ended in June" not in selected(berlin(6, 16), berlin(6, 17))
    # A window in 2090 still finds the series without end (and nothing else).
    assert selected(utc(2090, 5, 1), utc(2090, 5, 8)) == {"forever", "from September"}
    assert selected(utc(2025, 1, 1), utc(2025, 2, 1)) == set()


def test_window_q_boundaries_are_half_open(owner):
    make_series(owner, berlin(6, 1, 10), "FREQ=WEEKLY;COUNT=3", title="three Mondays")
    last_end = berlin(6, 15, 11)
    assert selected(last_end - dt.timedelta(microseconds=1), last_end + HOUR) == {"three Mondays"}
    assert selected(last_end, last_end + HOUR) == set()
    first_start = berlin(6, 1, 10)
    assert selected(first_start - HOUR, first_start) == set()
    assert selected(first_start - HOUR, first_start + dt.timedelta(microseconds=1)) == {
        "three Mondays"
    }


# --- one series with an excluded and a moved occurrence ------------------------------------


@pytest.fixture
def monday_meeting(owner, colleague):
    """Mondays 10:00-11:00 Berlin from 1 June 2026; the 8th excluded; the 15th moved to
    Tuesday 16th 14:00. Bob (New York) is invited and has not answered (busy)."""
    series = make_series(
        owner,
        berlin(6, 1, 10),
        "FREQ=WEEKLY;BYDAY=MO",
        exdates=[berlin(6, 8, 10)],
        invited=[colleague],
    )
    move_occurrence(series, berlin(6, 15, 10), berlin(6, 16, 14))
    return series


JUNE = (berlin(6, 1), berlin(6, 29))


def test_busy_time_sees_exactly_the_right_occurrences(owner, colleague, monday_meeting):
    expected = hours((berlin(6, 1, 10), 1), (berlin(6, 16, 14), 1), (berlin(6, 22, 10), 1))
    assert busy_of(owner, *JUNE) == expected
    assert busy_of(colleague, *JUNE) == expected
    # Hour by hour: excluded Monday free, old time of the moved one free, new time busy.
    assert busy_of(owner, berlin(6, 8, 9), berlin(6, 8, 12)) == []
    assert busy_of(owner, berlin(6, 15, 9), berlin(6, 15, 12)) == []
    assert busy_of(owner, berlin(6, 16, 13), berlin(6, 16, 16)) == hours((berlin(6, 16, 14), 1))
    # A window cutting an occurrence gets the clipped part.
    assert busy_of(owner, berlin(6, 22, 10, 30), berlin(6, 22, 12)) == [
        (berlin(6, 22, 10, 30).astimezone(UTC), berlin(6, 22, 11).astimezone(UTC))
    ]


def test_freebusy_api_sees_the_same(client, owner, colleague, colleague_token, monday_meeting):
    response = client.get(
        "/api/v1/freebusy",
        {
            "users": f"{owner.pk},{colleague.pk}",
            "start": JUNE[0].isoformat(),
            "end": JUNE[1].isoformat(),
        },
        HTTP_AUTHORIZATION=f"Bearer {colleague_token}",
    )
    assert response.status_code == 200, response.content
    expected = hours((berlin(6, 1, 10), 1), (berlin(6, 16, 14), 1), (berlin(6, 22, 10), 1))
    for row in response.json()["users"]:
        got = [
            (dt.datetime.fromisoformat(b["start"]), dt.datetime.fromisoformat(b["end"]))
            for b in row["busy"]
        ]
        assert got == expected, row["user_id"]


def test_expand_lists_occurrences_with_their_identity(owner, monday_meeting):
    rows = events_in_range(owner, *JUNE)
    assert len(rows) == 2  # the series and its changed occurrence, not one row per week
    occurrences = expand(rows, *JUNE)
    assert [(o.start, o.end) for o in occurrences] == hours(
        (berlin(6, 1, 10), 1), (berlin(6, 16, 14), 1), (berlin(6, 22, 10), 1)
    )
    first, moved, last = occurrences
    assert first.event == monday_meeting and first.recurrence_id == first.start
    assert first.series_id == monday_meeting.pk and not first.is_exception
    assert moved.event.series_id == monday_meeting.pk and moved.is_exception
    assert moved.recurrence_id == berlin(6, 15, 10) and moved.series_id == monday_meeting.pk
    assert last.recurrence_id == berlin(6, 22, 10)
    assert occurrences_in_range(owner, *JUNE) == occurrences
    single = make_single(owner, berlin(6, 3, 9))
    (alone,) = [o for o in occurrences_in_range(owner, *JUNE) if o.event == single]
    assert alone.recurrence_id is None and alone.series_id is None and not alone.is_exception


def test_occurrence_of(monday_meeting):
    plain = occurrence_of(monday_meeting, berlin(6, 22, 10))
    assert (plain.event, plain.start, plain.end) == (
        monday_meeting,
        berlin(6, 22, 10),
        berlin(6, 22, 11),
    )
    moved = occurrence_of(monday_meeting, berlin(6, 15, 10))
    assert moved.is_exception and moved.start == berlin(6, 16, 14)
    assert moved.recurrence_id == berlin(6, 15, 10)
    assert occurrence_of(monday_meeting, berlin(6, 8, 10)) is None  # excluded
    assert occurrence_of(monday_meeting, berlin(6, 9, 10)) is None  # a Tuesday
    assert occurrence_of(monday_meeting, berlin(5, 25, 10)) is None  # before the start


def test_a_moved_occurrence_counts_where_it_went(owner, monday_meeting):
    # The 22nd moves out of June, the 6 July one into it.
    move_occurrence(monday_meeting, berlin(6, 22, 10), berlin(7, 10, 9))
    move_occurrence(monday_meeting, berlin(7, 6, 10), berlin(6, 24, 16))
    week = (berlin(6, 20), berlin(6, 27))
    assert busy_of(owner, *week) == hours((berlin(6, 24, 16), 1))
    assert busy_of(owner, berlin(7, 6), berlin(7, 11)) == hours((berlin(7, 10, 9), 1))


def test_an_answer_on_one_occurrence_only_affects_that_one(owner, colleague, monday_meeting):
    """Bob declines the moved occurrence only: he is free then (and at its old time),
    still busy on the other Mondays; Alice stays busy."""
    moved = Event.objects.get(series=monday_meeting)
    Attendee.objects.filter(event=moved, user=colleague).update(status=Attendee.Status.DECLINED)
    assert busy_of(colleague, *JUNE) == hours((berlin(6, 1, 10), 1), (berlin(6, 22, 10), 1))
    assert len(busy_of(owner, *JUNE)) == 3


def test_a_cancelled_or_free_occurrence_is_not_busy(owner, monday_meeting):
    move_occurrence(
        monday_meeting, berlin(6, 22, 10), berlin(6, 22, 10), status=Event.Status.CANCELLED
    )
    move_occurrence(
        monday_meeting, berlin(6, 29, 10), berlin(6, 29, 10), transparency=Event.Transparency.FREE
    )
    assert busy_of(owner, berlin(6, 20), berlin(7, 1)) == []
    assert busy_of(owner, berlin(7, 5), berlin(7, 7)) == hours((berlin(7, 6, 10), 1))


def test_busy_blocks_name_the_event_only_to_those_who_take_part(
    owner, colleague, carol, monday_meeting
):
    blocks = busy_blocks([owner], *JUNE, viewer=colleague)[owner.pk]
    assert [(b.start, b.title) for b in blocks] == [
        (berlin(6, 1, 10), "Stand-up"),
        (berlin(6, 16, 14), "Stand-up"),
        (berlin(6, 22, 10), "Stand-up"),
    ]
    assert blocks[1].event_id == Event.objects.get(series=monday_meeting).pk
    hidden = busy_blocks([owner], *JUNE, viewer=carol)[owner.pk]
    assert [(b.start, b.title, b.event_id) for b in hidden] == [
        (berlin(6, 1, 10), None, None),
        (berlin(6, 16, 14), None, None),
        (berlin(6, 22, 10), None, None),
    ]


# --- unbounded series and the ends of time --------------------------------------------------


def test_an_unbounded_daily_series_is_read_in_any_window(owner):
    make_series(owner, berlin(6, 1, 7), "FREQ=DAILY", length=dt.timedelta(minutes=30))
    week = (berlin(6, 8), berlin(6, 15))
    assert len(busy_of(owner, *week)) == 7
    far = (utc(2090, 5, 1), utc(2090, 5, 8))
    busy = busy_of(owner, *far)
    assert len(busy) == 7
    assert all(s.astimezone(BERLIN).time() == dt.time(7) for s, _ in busy)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("0001-01-01T00:00:00+00:00", "0001-01-08T00:00:00+00:00"),
        ("0001-01-01T00:00:00+00:00", "0001-12-31T00:00:00+00:00"),
        ("9999-12-25T00:00:00+00:00", "9999-12-31T23:59:59+00:00"),
    ],
)
def test_freebusy_at_the_ends_of_time_answers(client, owner, owner_token, start, end):
    """Before the fix the window filter computed ``start - 31 days`` (OverflowError, 500)
    and the engine added two days past the year 9999. Reads are now clipped to the
    supported years (1900-2200): a range wholly outside them is empty."""
    make_series(owner, berlin(6, 1, 7), "FREQ=DAILY")
    make_single(owner, berlin(6, 2, 9))
    response = client.get(
        "/api/v1/freebusy",
        {"users": str(owner.pk), "start": start, "end": end},
        HTTP_AUTHORIZATION=f"Bearer {owner_token}",
    )
    assert response.status_code == 200, response.content
    busy = response.json()["users"][0]["busy"]
    assert busy == []


# --- what a read costs ---------------------------------------------------------------------


def fill_outside(owner, count: int, *, offset: int = 0) -> None:
    """``count`` events that cannot touch June 2026: single ones long before and after,
    series that ended before it and series that begin after it."""
    rows = []
    for n in range(offset, offset + count):
        kind = n % 4
        if kind == 0:
            start, rule = berlin(1, 1, 9) - n * DAY, None
        elif kind == 1:
            start, rule = berlin(9, 1, 9) + n * HOUR, None
        elif kind == 2:
            start, rule = berlin(1, 5, 9) - (n // 4) * WEEK, "FREQ=WEEKLY;COUNT=3"
        else:
            start, rule = berlin(8, 3, 9) + (n // 4) * WEEK, "FREQ=WEEKLY"
        rows.append(
            Event(
                account=owner.account,
                organizer=owner,
                title=f"outside {n}",
                start=start,
                end=start + HOUR,
                timezone=owner.timezone,
                recurrence=rule,
            )
        )
    for event in rows:
        event.series_end = event.compute_series_end()
    created = Event.objects.bulk_create(rows)
    Attendee.objects.bulk_create(
        [Attendee(event=e, user=owner, status=Attendee.Status.ACCEPTED) for e in created]
    )


def test_reads_do_not_grow_with_events_outside_the_window(owner, monday_meeting):
    fill_outside(owner, 10)
    with CaptureQueriesContext(connection) as few:
        busy_small = busy_intervals([owner], *JUNE)
    rows_small = events_in_range(owner, *JUNE)
    fill_outside(owner, 490, offset=10)
    assert Event.objects.filter(organizer=owner).count() == 502
    with CaptureQueriesContext(connection) as many:
        busy_large = busy_intervals([owner], *JUNE)
    rows_large = events_in_range(owner, *JUNE)
    # The same queries however much lies outside the window: the busy-time tokens, the
    # merged busy time with the series the store does not cover (June lies before its
    # range), then those series and their replaced dates.
    assert len(few.captured_queries) == len(many.captured_queries) == 4
    assert busy_small == busy_large
    assert len(busy_large[owner.pk]) == 3
    assert sorted(e.pk for e in rows_small) == sorted(e.pk for e in rows_large)
    assert len(rows_large) == 2  # the series and its moved occurrence only
    # The busy query itself returns only those rows' attendances.
    assert len(_busy_rows([owner.pk], *JUNE)) == 2
    # The series that start after June are still found where they run.
    assert len(busy_of(owner, berlin(8, 3), berlin(8, 4))) == 1


def test_window_reads_of_one_interval_helper(owner):
    """busy_intervals returns merged Interval objects clipped to the window."""
    make_series(owner, berlin(6, 1, 10), "FREQ=DAILY;COUNT=3", length=2 * HOUR)
    make_single(owner, berlin(6, 2, 11), length=2 * HOUR)
    busy = busy_intervals([owner], berlin(6, 2, 11, 30), berlin(6, 3, 11))[owner.pk]
    assert busy == [
        Interval(berlin(6, 2, 11, 30).astimezone(UTC), berlin(6, 2, 13).astimezone(UTC)),
        Interval(berlin(6, 3, 10).astimezone(UTC), berlin(6, 3, 11).astimezone(UTC)),
    ]
