import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from events.answers import attendee_respond
from events.cancelling import event_cancel
from events.models import Attendee, Event
from events.selectors import busy_intervals, events_in_range, get_event_for_user
from events.services import event_create, event_update

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 5, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture
def meeting(owner, colleague):
    return event_create(
        owner,
        title="Planning",
        start=at(4, 9),
        end=at(4, 10),
        location="Room 1",
        attendee_ids=[colleague.pk],
    )


def test_create_stores_utc_and_keeps_zone(meeting, owner, colleague):
    assert meeting.start == dt.datetime(2026, 5, 4, 7, 0, tzinfo=dt.UTC)
    assert meeting.timezone == "Europe/Berlin"  # the organizer's zone by default
    assert meeting.sequence == 0 and meeting.uid.endswith("@testserver")
    statuses = {a.user_id: a.status for a in meeting.attendees.all()}
    assert statuses == {owner.pk: "accepted", colleague.pk: "needs-action"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"end": at(4, 8)}, "end"),
        ({"timezone": "Europe/Atlantis"}, "timezone"),
        ({"start": dt.datetime(2026, 5, 4, 9, 0)}, "start"),
        ({"title": "x" * 201}, "title"),
        ({"title": "  "}, "title"),
        ({"video_url": "javascript:alert(1)"}, "video_url"),
        ({"end": at(4, 9) + dt.timedelta(days=40)}, "end"),
    ],
)
def test_create_rejects_bad_input_naming_the_field(owner, changes, field):
    data = {"title": "Ok", "start": at(4, 9), "end": at(4, 10)} | changes
    with pytest.raises(ValidationError) as exc:
        event_create(owner, **data)
    assert field in exc.value.message_dict
    assert not Event.objects.exists()


def test_foreign_colleague_is_refused_like_a_missing_one(owner, stranger):
    with pytest.raises(ValidationError) as exc:
        event_create(owner, title="x", start=at(4, 9), end=at(4, 10), attendee_ids=[stranger.pk])
    assert exc.value.message_dict["attendee_ids"] == [
        f"No colleague with id {stranger.pk} in your account."
    ]
    assert not Event.objects.exists()


def test_all_day_spans_whole_local_days(owner):
    event = event_create(
        owner,
        title="Offsite",
        start=at(4, 15),
        end=at(5, 11),
        all_day=True,
        timezone="Europe/Berlin",
    )
    assert event.start.astimezone(BERLIN) == at(4, 0)
    assert event.end.astimezone(BERLIN) == at(6, 0)


def test_sequence_grows_for_time_place_and_people_but_not_title(meeting, owner, colleague):
    event = event_update(meeting, owner, title="Planning (v2)", description="agenda")
    assert event.sequence == 0
    event = event_update(event, owner, start=at(4, 11), end=at(4, 12))
    assert event.sequence == 1
    event = event_update(event, owner, location="Room 2")
    assert event.sequence == 2
    event = event_update(event, owner, attendee_ids=[])
    assert event.sequence == 3
    assert not event.attendees.filter(user=colleague).exists()
    event = event_update(event, owner, attendee_ids=[])
    assert event.sequence == 3  # nothing changed, nothing bumped


def test_only_organizer_may_update_or_cancel(meeting, colleague):
    with pytest.raises(PermissionDenied):
        event_update(meeting, colleague, title="Hijacked")
    with pytest.raises(PermissionDenied):
        event_cancel(meeting, colleague)
    assert Event.objects.get(pk=meeting.pk).title == "Planning"


def test_failed_update_changes_nothing(meeting, owner):
    with pytest.raises(ValidationError):
        event_update(meeting, owner, title="New", end=at(4, 8))
    fresh = Event.objects.get(pk=meeting.pk)
    assert (fresh.title, fresh.end, fresh.sequence) == ("Planning", meeting.end, 0)


def test_cancel_bumps_sequence_once_and_frees_time(meeting, owner):
    event_cancel(meeting, owner)
    event = event_cancel(meeting, owner)
    assert event.status == "cancelled" and event.sequence == 1
    assert busy_intervals([owner], at(4, 0), at(5, 0))[owner.pk] == []
    with pytest.raises(ValidationError):
        event_update(event, owner, title="Revived")


def test_visibility_is_per_account_and_per_invitation(meeting, owner, colleague, stranger):
    from django.http import Http404

    assert get_event_for_user(colleague, meeting.pk) == meeting
    with pytest.raises(Http404):
        get_event_for_user(stranger, meeting.pk)
    assert events_in_range(stranger, at(1, 0), at(30, 0)) == []


def test_busy_merges_and_skips_declined_free_and_cancelled(owner, colleague):
    event_create(owner, title="a", start=at(4, 9), end=at(4, 10), attendee_ids=[colleague.pk])
    event_create(owner, title="b", start=at(4, 9, 30), end=at(4, 11))
    event_create(owner, title="c", start=at(4, 11), end=at(4, 12))
    event_create(owner, title="free", start=at(4, 13), end=at(4, 14), transparency="free")
    declined = event_create(
        owner, title="d", start=at(4, 15), end=at(4, 16), attendee_ids=[colleague.pk]
    )
    attendee_respond(declined, colleague, Attendee.Status.DECLINED)
    busy = busy_intervals([owner, colleague], at(4, 0), at(5, 0))
    as_hours = {
        uid: [(i.start.astimezone(BERLIN).hour, i.end.astimezone(BERLIN).hour) for i in ivs]
        for uid, ivs in busy.items()
    }
    assert as_hours == {owner.pk: [(9, 12), (15, 16)], colleague.pk: [(9, 10)]}


def test_stranger_cannot_answer_an_invitation(meeting, stranger):
    with pytest.raises(PermissionDenied):
        attendee_respond(meeting, stranger, "accepted")
