"""Recurring events through the services: create, edit all/this/following, cancel, answers.

Every test works on real rows and reads the results back through the same selectors the
pages and the API use (occurrences, busy time), so a service that wrote the wrong row
shows up as a wrong calendar.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Account
from events import guests as guest_lib
from events.answers import attendee_respond, guest_respond
from events.cancelling import event_cancel
from events.models import Attendee, Event
from events.occurrences import busy_intervals, expand
from events.services import event_create, event_update

from .guest_helpers import GINA, HUGO, at

UTC = dt.UTC
WEEKLY = "FREQ=WEEKLY;BYDAY=MO;COUNT=10"
JUNE = (at(1, 0), at(30, 23))


def weekly(owner, **extra) -> Event:
    """Mondays 10:00-11:00 Berlin from 1 June 2026, ten times."""
    data = {
        "title": "Weekly",
        "start": at(1, 10),
        "end": at(1, 11),
        "timezone": "Europe/Berlin",
        "recurrence": WEEKLY,
    } | extra
    return event_create(owner, **data)


def starts(event: Event, window=JUNE) -> list[dt.datetime]:
    rows = [event, *Event.objects.filter(series=event)]
    return [o.start for o in expand(rows, *window)]


def fresh(event: Event) -> Event:
    return Event.objects.get(pk=event.pk)


# --------------------------------------------------------------------------- create


def test_create_stores_the_canonical_rule_and_sorted_utc_exdates(owner):
    event = weekly(
        owner,
        recurrence="rrule:freq=weekly;byday=MO;interval=1;count=10",
        exdates=[at(15, 10), at(8, 10), at(15, 10).astimezone(UTC)],
    )
    assert event.recurrence == "FREQ=WEEKLY;COUNT=10;BYDAY=MO"
    assert event.exdates == ["2026-06-08T08:00:00+00:00", "2026-06-15T08:00:00+00:00"]
    assert starts(event) == [at(1, 10), at(22, 10), at(29, 10)]
    assert event.series_end == dt.datetime(2026, 8, 3, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("extra", "field", "text"),
    [
        ({"recurrence": "FREQ=SECONDLY"}, "recurrence", "FREQ=SECONDLY is not supported"),
        ({"recurrence": "FREQ=WEEKLY;BYDAY=TU"}, "recurrence", "is not an occurrence"),
        ({"recurrence": "FREQ=WEEKLY;COUNT=5000"}, "recurrence", "COUNT must be"),
        ({"recurrence": 42}, "recurrence", "RRULE text"),
        ({"exdates": [at(9, 10)]}, "exdates", "is not an occurrence"),
        ({"exdates": [dt.datetime(2026, 6, 8, 10)]}, "exdates", "UTC offset"),
        ({"exdates": "2026-06-08"}, "exdates", "list"),
        ({"recurrence": None, "exdates": [at(8, 10)]}, "exdates", "repeating"),
        ({"end": at(1, 10) + dt.timedelta(days=32)}, "end", "31 days"),
    ],
)
def test_create_refuses_bad_series_naming_the_field(owner, extra, field, text):
    with pytest.raises(ValidationError) as exc:
        weekly(owner, **extra)
    assert text in " ".join(exc.value.message_dict[field])
    assert not Event.objects.exists()


def test_too_many_exdates_are_refused(owner):
    days = [at(1, 10) + dt.timedelta(days=i) for i in range(1001)]
    with pytest.raises(ValidationError) as exc:
        weekly(owner, recurrence="FREQ=DAILY", exdates=days)
    assert "At most 1000" in exc.value.message_dict["exdates"][0]
    assert not Event.objects.exists()


# --------------------------------------------------------------------------- scope "this"


@pytest.fixture
def series(owner, colleague, mailbox, settings):
    settings.INBOUND_DOMAIN = "in.example"
    return weekly(owner, attendee_ids=[colleague.pk], guests=[GINA, HUGO], location="Room 1")


def test_this_makes_an_exception_row_with_copied_people(series, owner, colleague):
    gina = Attendee.objects.get(event=series, guest__email=GINA["email"])
    guest_respond(gina, "accepted")

    changed = event_update(
        series, owner, scope="this", occurrence=at(15, 10), start=at(15, 14), end=at(15, 15)
    )

    assert changed.series_id == series.pk and changed.recurrence_id == at(15, 10)
    assert changed.uid == series.uid and changed.recurrence is None
    assert changed.location == "Room 1" and changed.sequence == series.sequence + 1
    copies = {a.user_id or a.guest.email: a for a in changed.attendees.select_related("guest")}
    assert set(copies) == {owner.pk, colleague.pk, GINA["email"], HUGO["email"]}
    for guest in (GINA["email"], HUGO["email"]):
        # no capability tokens on a copy: links always lead to the series' row
        assert copies[guest].token_salt == ""
        assert copies[guest].rsvp_digest is None and copies[guest].reply_digest is None
        assert copies[guest].status == "needs-action"  # the time of that date changed
    assert guest_lib.attendee_for_link_token(guest_lib.link_token(gina)).event_id == series.pk
    # The week of the 15th shows the moved copy, the other weeks the series.
    assert starts(series) == [at(1, 10), at(8, 10), at(15, 14), at(22, 10), at(29, 10)]
    assert fresh(series).sequence == series.sequence  # the series itself did not change


def test_this_keeps_answers_when_only_the_place_changes(series, owner):
    gina = Attendee.objects.get(event=series, guest__email=GINA["email"])
    guest_respond(gina, "accepted")
    changed = event_update(series, owner, scope="this", occurrence=at(8, 10), location="Room 2")
    copy = changed.attendees.get(guest=gina.guest)
    assert copy.status == "accepted"
    # A second edit of the same date changes the same row.
    again = event_update(changed, owner, scope="this", title="Weekly (moved)")
    assert again.pk == changed.pk and again.location == "Room 2"
    assert Event.objects.filter(series=series).count() == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"occurrence": None}, "occurrence"),
        ({"occurrence": at(9, 10)}, "occurrence"),
        ({"occurrence": at(8, 10, 30)}, "occurrence"),
        ({"occurrence": at(8, 10), "recurrence": "FREQ=DAILY"}, "recurrence"),
        ({"occurrence": at(8, 10), "exdates": []}, "exdates"),
        ({"occurrence": dt.datetime(2026, 6, 8, 10)}, "occurrence"),
        ({"occurrence": at(8, 10), "guests": [{"email": "new@else.example"}]}, "guests.0.email"),
    ],
)
def test_this_refuses_bad_input_and_changes_nothing(series, owner, kwargs, field):
    before = fresh(series)
    with pytest.raises(ValidationError) as exc:
        event_update(series, owner, scope="this", title="x", **kwargs)
    assert field in exc.value.message_dict
    assert not Event.objects.filter(series=series).exists()
    assert fresh(series).title == before.title and fresh(series).sequence == before.sequence


def test_scope_errors(owner, series):
    single = event_create(owner, title="Once", start=at(2, 9), end=at(2, 10))
    for scope in ("this", "following"):
        with pytest.raises(ValidationError) as exc:
            event_update(single, owner, scope=scope, occurrence=at(2, 9), title="x")
        assert "does not repeat" in exc.value.message_dict["scope"][0]
    with pytest.raises(ValidationError) as exc:
        event_update(series, owner, scope="some", title="x")
    assert "scope" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        event_cancel(single, owner, scope="this", occurrence=at(2, 9))
    assert "scope" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        event_cancel(series, owner, scope="this", occurrence=at(9, 10))
    assert "is not an occurrence" in exc.value.message_dict["occurrence"][0]
    assert fresh(single).title == "Once" and fresh(series).exdates == []


def test_only_the_organizer_changes_occurrences(series, colleague):
    for call in (
        lambda: event_update(series, colleague, scope="this", occurrence=at(8, 10), title="x"),
        lambda: event_update(series, colleague, scope="following", occurrence=at(8, 10), title="x"),
        lambda: event_cancel(series, colleague, scope="this", occurrence=at(8, 10)),
        lambda: event_cancel(series, colleague, scope="following", occurrence=at(8, 10)),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert not Event.objects.filter(series=series).exists()
    assert Event.objects.count() == 1 and fresh(series).exdates == []


# --------------------------------------------------------------------------- scope "all"


def test_all_moves_the_series_and_drops_what_no_longer_occurs(series, owner):
    moved = event_update(series, owner, scope="this", occurrence=at(8, 10), location="Room 2")
    event_cancel(series, owner, scope="this", occurrence=at(15, 10))
    # The 22nd's copy only records an answer: it follows the series' place.
    event_update(series, owner, scope="this", occurrence=at(22, 10), title="Kept title")

    event_update(series, owner, location="Room 3")  # no time change: everything stays
    series = fresh(series)
    assert series.exdates == ["2026-06-15T08:00:00+00:00"]
    assert Event.objects.get(pk=moved.pk).location == "Room 2"  # its own edit wins
    assert Event.objects.get(series=series, recurrence_id=at(22, 10)).location == "Room 3"

    event_update(series, owner, start=at(1, 9), end=at(1, 10))  # an hour earlier
    series = fresh(series)
    assert series.exdates == []
    assert not Event.objects.filter(series=series).exists()
    assert starts(series)[:3] == [at(1, 9), at(8, 9), at(15, 9)]


def test_all_keeps_what_still_occurs_and_rejects_given_exdates_that_do_not(series, owner):
    event_update(series, owner, scope="this", occurrence=at(8, 10), location="Room 2")
    event_update(series, owner, exdates=[at(15, 10)])
    # Only the end changes: the dates stay occurrences.
    event_update(series, owner, end=at(1, 12))
    series = fresh(series)
    assert series.exdates == ["2026-06-15T08:00:00+00:00"]
    assert Event.objects.filter(series=series).count() == 1
    with pytest.raises(ValidationError) as exc:
        event_update(series, owner, exdates=[at(16, 10)])
    assert "exdates" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        event_update(series, owner, recurrence="FREQ=HOURLY")
    assert "FREQ=HOURLY is not supported" in exc.value.message_dict["recurrence"][0]
    assert fresh(series).exdates == ["2026-06-15T08:00:00+00:00"]


def test_all_participant_changes_reach_the_changed_occurrences(series, owner, colleague, acme):
    from accounts.models import User

    carol = User.objects.create_user("carol@acme.test", "x" * 12, account=acme)
    exception = event_update(series, owner, scope="this", occurrence=at(8, 10), title="Moved")
    event_update(series, owner, attendee_ids=[carol.pk], guests=[GINA, {"email": "ivy@x.example"}])
    people = set(Attendee.objects.filter(event=exception).values_list("user_id", "guest__email"))
    assert people == {
        (owner.pk, None),
        (carol.pk, None),
        (None, GINA["email"]),
        (None, "ivy@x.example"),
    }
    ivy = Attendee.objects.get(event=exception, guest__email="ivy@x.example")
    assert ivy.rsvp_digest is None
    assert Attendee.objects.get(event=series, guest__email="ivy@x.example").rsvp_digest


def test_all_from_an_exception_row_acts_on_the_series(series, owner):
    exception = event_update(series, owner, scope="this", occurrence=at(8, 10), title="Moved")
    result = event_update(exception, owner, scope="all", location="Room 9")
    assert result.pk == series.pk and fresh(series).location == "Room 9"


def test_recurrence_can_be_removed_and_added(series, owner):
    event_update(series, owner, scope="this", occurrence=at(8, 10), title="Moved")
    single = event_update(series, owner, recurrence=None)
    assert single.recurrence is None and single.exdates == []
    assert not Event.objects.filter(series=series).exists()
    assert starts(single) == [at(1, 10)]
    again = event_update(single, owner, recurrence="FREQ=DAILY;COUNT=3")
    assert starts(again) == [at(1, 10), at(2, 10), at(3, 10)]


# --------------------------------------------------------------------------- "following"


def test_following_splits_a_count_series(series, owner):
    gina = Attendee.objects.get(event=series, guest__email=GINA["email"])
    exception = event_update(series, owner, scope="this", occurrence=at(22, 10), title="Moved")
    event_cancel(series, owner, scope="this", occurrence=at(29, 10))
    event_cancel(series, owner, scope="this", occurrence=at(8, 10))

    new = event_update(series, owner, scope="following", occurrence=at(15, 10), location="Room 5")

    old = fresh(series)
    assert old.recurrence == "FREQ=WEEKLY;UNTIL=20260615T075959Z;BYDAY=MO"
    assert old.exdates == ["2026-06-08T08:00:00+00:00"]
    assert new.split_from_id == old.pk and new.uid != old.uid
    assert new.recurrence == "FREQ=WEEKLY;COUNT=8;BYDAY=MO"  # 10 minus the 2 before
    assert new.start == at(15, 10) and new.location == "Room 5"
    assert new.exdates == ["2026-06-29T08:00:00+00:00"]
    exception = Event.objects.get(pk=exception.pk)
    assert exception.series_id == new.pk and exception.uid == new.uid
    assert exception.location == "Room 5"  # followed the edit: it had the old place
    # The calendar: 1 June from the old series, 15th and 22nd (changed) from the new one.
    rows = [old, new, exception]
    assert [o.start for o in expand(rows, *JUNE)] == [at(1, 10), at(15, 10), at(22, 10)]
    # Guests of the new series have their own new links; the old ones still open the old.
    copy = Attendee.objects.get(event=new, guest=gina.guest)
    assert copy.rsvp_digest and copy.rsvp_digest != gina.rsvp_digest
    assert guest_lib.attendee_for_link_token(guest_lib.link_token(gina)).event_id == old.pk
    assert guest_lib.attendee_for_link_token(guest_lib.link_token(copy)).event_id == new.pk


def test_following_on_the_first_occurrence_is_all(series, owner):
    result = event_update(series, owner, scope="following", occurrence=at(1, 10), title="All")
    assert result.pk == series.pk and Event.objects.count() == 1


def test_following_of_an_open_series_keeps_its_rule(owner):
    open_series = weekly(owner, recurrence="FREQ=WEEKLY;BYDAY=MO")
    new = event_update(
        open_series,
        owner,
        scope="following",
        occurrence=at(15, 10),
        recurrence="FREQ=WEEKLY;INTERVAL=2;BYDAY=MO",
    )
    assert new.recurrence == "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO"
    assert starts(fresh(open_series)) == [at(1, 10), at(8, 10)]
    assert starts(new) == [at(15, 10), at(29, 10)]


def test_following_refuses_a_bad_rule_and_nothing_is_split(series, owner):
    with pytest.raises(ValidationError) as exc:
        event_update(
            series, owner, scope="following", occurrence=at(15, 10), recurrence="FREQ=MINUTELY"
        )
    assert "recurrence" in exc.value.message_dict
    assert Event.objects.count() == 1 and fresh(series).recurrence == series.recurrence


# --------------------------------------------------------------------------- cancelling


def test_cancel_this_adds_an_exdate_and_drops_the_changed_row(series, owner):
    exception = event_update(series, owner, scope="this", occurrence=at(8, 10), title="x")
    result = event_cancel(exception, owner, scope="this")
    assert result.pk == series.pk and result.status == "confirmed"
    assert result.exdates == ["2026-06-08T08:00:00+00:00"]
    assert result.sequence == exception.sequence + 1
    assert not Event.objects.filter(pk=exception.pk).exists()
    assert at(8, 10) not in starts(fresh(series))
    with pytest.raises(ValidationError):  # gone now
        event_cancel(series, owner, scope="this", occurrence=at(8, 10))


def test_cancel_following_ends_the_series(series, owner):
    event_update(series, owner, scope="this", occurrence=at(22, 10), title="x")
    event_cancel(series, owner, scope="following", occurrence=at(15, 10))
    series = fresh(series)
    assert series.status == "confirmed"
    assert starts(series, (at(1, 0), at(30, 23) + dt.timedelta(days=60))) == [
        at(1, 10),
        at(8, 10),
    ]
    assert not Event.objects.filter(series=series).exists()


def test_cancel_all_cancels_the_changed_occurrences_too(series, owner, colleague):
    exception = event_update(series, owner, scope="this", occurrence=at(8, 10), title="x")
    event_cancel(exception, owner)  # scope all from the exception row: the series
    assert fresh(series).status == "cancelled"
    assert Event.objects.get(pk=exception.pk).status == "cancelled"
    assert busy_intervals([colleague], *JUNE)[colleague.pk] == []


# --------------------------------------------------------------------------- answers


def test_colleague_answers_one_date_or_all(series, owner, colleague):
    attendee_respond(series, colleague, "declined", occurrence=at(8, 10))
    busy = busy_intervals([colleague], *JUNE)[colleague.pk]
    assert [iv.start for iv in busy] == [at(1, 10), at(15, 10), at(22, 10), at(29, 10)]
    assert Attendee.objects.get(event=series, user=colleague).status == "needs-action"

    attendee_respond(series, colleague, "accepted")  # the whole series, changed dates too
    assert set(Attendee.objects.filter(user=colleague).values_list("status", flat=True)) == {
        "accepted"
    }
    with pytest.raises(ValidationError):
        attendee_respond(series, colleague, "accepted", occurrence=at(9, 10))


def test_guest_page_answer_reaches_every_date(series, owner):
    event_update(series, owner, scope="this", occurrence=at(8, 10), location="Room 2")
    gina = Attendee.objects.get(event=series, guest__email=GINA["email"])
    guest_respond(gina, "tentative")
    statuses = Attendee.objects.filter(guest=gina.guest).values_list("status", flat=True)
    assert list(statuses) == ["tentative", "tentative"]


# --------------------------------------------------------------------------- quota


def test_a_split_does_not_use_the_free_plans_quota(owner, mailbox):
    account = owner.account
    assert account.plan == Account.Plan.FREE
    made = [
        event_create(owner, title=f"E{i}", start=at(2, 9), end=at(2, 10), guests=[GINA])
        for i in range(guest_lib.FREE_PLAN_EVENTS_WITH_GUESTS - 1)
    ]
    last = weekly(owner, guests=[GINA])
    assert guest_lib.events_with_guests_left(account) == 0
    assert len(made) + 1 == guest_lib.events_with_guests_used(account)

    new = event_update(last, owner, scope="following", occurrence=at(15, 10), title="Split")
    again = event_update(new, owner, scope="following", occurrence=at(29, 10), title="Again")
    event_update(again, owner, scope="this", occurrence=at(29, 10), title="One")
    assert guest_lib.events_with_guests_used(account) == guest_lib.FREE_PLAN_EVENTS_WITH_GUESTS
    with pytest.raises(PermissionDenied):
        event_create(owner, title="One more", start=at(3, 9), end=at(3, 10), guests=[GINA])


def test_guests_added_to_a_split_off_part_of_a_guestless_series_use_the_quota(owner, mailbox):
    plain = weekly(owner)
    new = event_update(plain, owner, scope="following", occurrence=at(15, 10), guests=[GINA])
    assert new.guests_first_invited_at is not None
    assert guest_lib.events_with_guests_used(owner.account) == 1
