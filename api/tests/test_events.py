"""/events and /events/{id}: my events, with the organizer alone allowed to change them."""

from __future__ import annotations

import datetime as dt

import pytest

from events.answers import attendee_respond
from events.models import Attendee, Event
from events.services import event_create

from .conftest import at, errors_by_field, snapshot

RANGE = "start=2026-05-04T00:00:00Z&end=2026-05-05T00:00:00Z"
EVENT_KEYS = {
    "id",
    "uid",
    "title",
    "description",
    "location",
    "video_url",
    "start",
    "end",
    "timezone",
    "all_day",
    "recurrence",
    "exdates",
    "reminders",
    "series_id",
    "recurrence_id",
    "status",
    "sequence",
    "transparency",
    "organizer",
    "attendees",
    "guests_can_see_participants",
    "notify_on_decision",
    "attachments",
}


def _instant(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    assert value.utcoffset() is not None, text
    return value


def _counts() -> tuple[int, int]:
    return Event.objects.count(), Attendee.objects.count()


# --- create --------------------------------------------------------------------------------


def test_create_event(api, owner, colleague, owner_token):
    status, body = api.json(
        "POST",
        "/events",
        owner_token,
        {
            "title": "  Kick-off  ",
            "start": "2026-05-04T09:00:00+02:00",
            "end": "2026-05-04T10:30:00+02:00",
            "location": "Room 2",
            "video_url": "https://meet.example/abc",
            "attendee_ids": [colleague.pk, colleague.pk, owner.pk],
        },
    )
    assert status == 201, body
    assert set(body) == EVENT_KEYS
    event = Event.objects.get(pk=body["id"])
    assert body["uid"] == event.uid
    assert body["title"] == "Kick-off"
    assert _instant(body["start"]) == at(4, 7) and _instant(body["end"]) == at(4, 8, 30)
    assert body["start"] in ("2026-05-04T07:00:00Z", "2026-05-04T07:00:00+00:00")
    assert body["timezone"] == "Europe/Berlin"  # the organizer's zone by default
    assert body["status"] == "confirmed" and body["sequence"] == 0
    assert body["transparency"] == "busy" and body["recurrence"] is None
    assert body["organizer"] == {"id": owner.pk, "name": "Alice Owner", "email": "alice@acme.test"}
    assert body["attendees"] == [
        {
            "user_id": owner.pk,
            "email": "alice@acme.test",
            "name": "Alice Owner",
            "kind": "employee",
            "status": "accepted",
            "delegated_to": "",
        },
        {
            "user_id": colleague.pk,
            "email": "bob@acme.test",
            "name": "Bob Colleague",
            "kind": "employee",
            "status": "needs-action",
            "delegated_to": "",
        },
    ]
    assert body["attachments"] == []
    assert event.start == at(4, 7) and event.organizer_id == owner.pk


def test_create_in_an_explicit_zone_and_free(api, owner_token):
    status, body = api.json(
        "POST",
        "/events",
        owner_token,
        {
            "title": "Focus",
            "start": "2026-05-04T09:00:00-04:00",
            "end": "2026-05-04T11:00:00-04:00",
            "timezone": "America/New_York",
            "transparency": "free",
            "guests_can_see_participants": True,
            "notify_on_decision": False,
        },
    )
    assert status == 201, body
    assert body["timezone"] == "America/New_York" and body["transparency"] == "free"
    assert _instant(body["start"]) == at(4, 13)
    assert body["guests_can_see_participants"] is True and body["notify_on_decision"] is False


def test_an_all_day_event_spans_whole_local_days(api, owner_token):
    status, body = api.json(
        "POST",
        "/events",
        owner_token,
        {
            "title": "Offsite",
            "start": "2026-05-04T10:00:00+02:00",
            "end": "2026-05-05T10:00:00+02:00",
            "all_day": True,
        },
    )
    assert status == 201, body
    assert body["all_day"] is True
    # Berlin midnight of May 4th to midnight after May 5th, in UTC.
    assert _instant(body["start"]) == at(3, 22) and _instant(body["end"]) == at(5, 22)


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"end": "2026-05-04T08:00:00Z"}, 400, "end"),  # before the start
        ({"end": "2026-05-04T09:00:00Z"}, 400, "end"),  # zero length
        ({"end": "2026-07-04T09:00:00Z"}, 400, "end"),  # longer than 31 days
        ({"timezone": "Europe/Atlantis"}, 400, "timezone"),
        ({"title": "x" * 201}, 400, "title"),
        ({"title": "   "}, 400, "title"),
        ({"description": "x" * 10_001}, 400, "description"),
        ({"video_url": "javascript:alert(1)"}, 400, "video_url"),
        ({"start": "2026-05-04T09:00:00"}, 422, "start"),  # naive
        ({"end": "2026-05-04T10:00:00"}, 422, "end"),  # naive
        ({"start": "next tuesday"}, 422, "start"),
        ({"title": None}, 422, "title"),
        ({"transparency": "opaque"}, 422, "transparency"),
        ({"attendee_ids": "all"}, 422, "attendee_ids"),
        ({"attendee_ids": [0]}, 422, "attendee_ids.0"),
        ({"attendee_ids": [2**70]}, 422, "attendee_ids.0"),
        ({"status": "cancelled"}, 422, "status"),
        ({"organizer_id": 1}, 422, "organizer_id"),
        ({"sequence": 7}, 422, "sequence"),
    ],
)
def test_bad_event_input_names_the_field_and_creates_nothing(
    api, owner, owner_token, change, status, field
):
    payload = {"title": "Good", "start": "2026-05-04T09:00:00Z", "end": "2026-05-04T10:00:00Z"}
    payload.update(change)
    before = _counts()
    got_status, body = api.json("POST", "/events", owner_token, payload)
    assert got_status == status, body
    assert field in errors_by_field(body), body
    assert _counts() == before


def test_a_naive_time_is_refused_with_the_reason(api, owner_token):
    status, body = api.json(
        "POST",
        "/events",
        owner_token,
        {"title": "x", "start": "2026-05-04T09:00:00", "end": "2026-05-04T10:00:00Z"},
    )
    assert status == 422
    assert "UTC offset" in errors_by_field(body)["start"]


def test_missing_fields_are_all_named(api, owner_token):
    status, body = api.json("POST", "/events", owner_token, {})
    assert status == 422
    assert set(errors_by_field(body)) == {"title", "start", "end"}


def test_several_rule_breaks_are_reported_together(api, owner_token):
    status, body = api.json(
        "POST",
        "/events",
        owner_token,
        {
            "title": "x" * 300,
            "start": "2026-05-04T10:00:00Z",
            "end": "2026-05-04T09:00:00Z",
            "video_url": "ftp://example.com/x",
        },
    )
    assert status == 400
    assert {"title", "end", "video_url"} <= set(errors_by_field(body))


def test_a_foreign_attendee_is_refused_without_naming_them(api, stranger, colleague, owner_token):
    before = _counts()
    status, body = api.json(
        "POST",
        "/events",
        owner_token,
        {
            "title": "Leak?",
            "start": "2026-05-04T09:00:00Z",
            "end": "2026-05-04T10:00:00Z",
            "attendee_ids": [colleague.pk, stranger.pk],
        },
    )
    assert status == 400
    message = errors_by_field(body)["attendee_ids"]
    assert "Sam" not in message and "globex" not in message.lower()
    # The same answer as for an id nobody has.
    unknown = api.json(
        "POST",
        "/events",
        owner_token,
        {
            "title": "Leak?",
            "start": "2026-05-04T09:00:00Z",
            "end": "2026-05-04T10:00:00Z",
            "attendee_ids": [colleague.pk, 987654],
        },
    )[1]
    assert errors_by_field(unknown)["attendee_ids"].replace("987654", str(stranger.pk)) == message
    assert _counts() == before


# --- list ----------------------------------------------------------------------------------


def test_list_my_events_in_a_range(api, owner, colleague, carol, owner_token, colleague_token):
    mine = event_create(owner, title="Mine", start=at(4, 9), end=at(4, 10))
    invited = event_create(
        colleague, title="Bob's", start=at(4, 8), end=at(4, 9), attendee_ids=[owner.pk]
    )
    overlapping_start = event_create(owner, title="Late night", start=at(3, 23), end=at(4, 1))
    event_create(owner, title="Next day", start=at(5, 0), end=at(5, 1))  # end of range: excluded
    event_create(colleague, title="Not invited", start=at(4, 9), end=at(4, 10))
    event_create(carol, title="Carol's", start=at(4, 9), end=at(4, 10))

    status, body = api.json("GET", f"/events?{RANGE}", owner_token)
    assert status == 200
    assert [e["id"] for e in body] == [overlapping_start.pk, invited.pk, mine.pk]
    assert all(set(e) == EVENT_KEYS for e in body)
    # Bob sees his own two events, not Alice's or Carol's.
    titles = {e["title"] for e in api.json("GET", f"/events?{RANGE}", colleague_token)[1]}
    assert titles == {"Bob's", "Not invited"}


def test_an_offset_in_the_range_is_honoured(api, owner, owner_token):
    event = event_create(owner, title="Early", start=at(4, 22, 30), end=at(4, 23))
    # 2026-05-05 00:00 in Berlin is 2026-05-04 22:00 UTC: the event is after the range.
    body = api.json(
        "GET",
        "/events?start=2026-05-04T00:00:00%2B02:00&end=2026-05-05T00:00:00%2B02:00",
        owner_token,
    )[1]
    assert event.pk not in [e["id"] for e in body]
    body = api.json(
        "GET", "/events?start=2026-05-04T00:00:00Z&end=2026-05-05T00:00:00Z", owner_token
    )[1]
    assert event.pk in [e["id"] for e in body]


def test_cancelled_events_only_on_request(api, owner, meeting, owner_token):
    api.call("DELETE", f"/events/{meeting.pk}", owner_token)
    assert api.json("GET", f"/events?{RANGE}", owner_token)[1] == []
    body = api.json("GET", f"/events?{RANGE}&include_cancelled=true", owner_token)[1]
    assert [(e["id"], e["status"]) for e in body] == [(meeting.pk, "cancelled")]


def test_stranger_lists_nothing_of_acme(api, meeting, stranger_token):
    assert api.json("GET", f"/events?{RANGE}", stranger_token) == (200, [])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=2026-05-04T00:00:00Z", "end"),
        ("end=2026-05-04T00:00:00Z", "start"),
        ("start=2026-05-04T00:00:00&end=2026-05-05T00:00:00Z", "start"),
        ("start=2026-05-04T00:00:00Z&end=2026-05-05", "end"),
        ("start=2026-05-05T00:00:00Z&end=2026-05-04T00:00:00Z", "end"),
        ("start=2026-05-04T00:00:00Z&end=2026-05-04T00:00:00Z", "end"),
        ("start=2026-01-01T00:00:00Z&end=2027-01-03T00:00:00Z", "end"),
        ("start=yesterday&end=2026-05-05T00:00:00Z", "start"),
    ],
)
def test_bad_range_names_the_field(api, owner_token, query, field):
    status, body = api.json("GET", f"/events?{query}", owner_token)
    assert status == 422, body
    assert field in errors_by_field(body), body


def test_a_year_is_an_allowed_range(api, owner_token):
    status, _ = api.json(
        "GET", "/events?start=2026-01-01T00:00:00Z&end=2027-01-01T00:00:00Z", owner_token
    )
    assert status == 200


def test_listing_uses_a_constant_number_of_queries(
    api, owner, colleague, carol, owner_token, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    event_create(owner, title="First", start=at(4, 1), end=at(4, 2), attendee_ids=[colleague.pk])
    api.call("GET", f"/events?{RANGE}", owner_token)  # the token's last_used_at is now fresh
    with CaptureQueriesContext(connection) as one:
        assert len(api.json("GET", f"/events?{RANGE}", owner_token)[1]) == 1

    for hour in range(2, 22):
        event_create(
            owner if hour % 2 else colleague,
            title=f"E{hour}",
            start=at(4, hour),
            end=at(4, hour + 1),
            attendee_ids=[owner.pk, colleague.pk, carol.pk],
        )
    with django_assert_max_num_queries(len(one)):
        assert len(api.json("GET", f"/events?{RANGE}", owner_token)[1]) == 21
    assert len(one) <= 4


# --- one event -----------------------------------------------------------------------------


def test_get_an_event(api, meeting, owner_token):
    status, body = api.json("GET", f"/events/{meeting.pk}", owner_token)
    assert status == 200
    assert body["title"] == "Roadmap" and body["location"] == "Room 1"
    assert body["timezone"] == "Europe/Berlin"
    assert _instant(body["start"]) == at(4, 9)


def test_an_attendee_can_read_but_not_change_or_cancel(api, meeting, colleague_token):
    assert api.json("GET", f"/events/{meeting.pk}", colleague_token)[0] == 200
    before = snapshot(meeting)
    status, body = api.json(
        "PATCH", f"/events/{meeting.pk}", colleague_token, {"title": "Mine now"}
    )
    assert status == 403 and body["errors"] == [] and body["detail"]
    status, body = api.json("DELETE", f"/events/{meeting.pk}", colleague_token)
    assert status == 403
    assert snapshot(meeting) == before


def test_an_uninvited_colleague_gets_404(api, meeting, carol_token):
    for method, body in (("GET", None), ("PATCH", {"title": "x"}), ("DELETE", None)):
        status, answer = api.json(method, f"/events/{meeting.pk}", carol_token, body)
        assert status == 404, (method, answer)


def test_a_stranger_gets_the_same_404_as_for_a_missing_id(api, meeting, stranger_token):
    before = snapshot(meeting)
    missing = Event.objects.order_by("-pk").first().pk + 1000
    for method, body in (("GET", None), ("PATCH", {"title": "Pwned"}), ("DELETE", None)):
        theirs = api.call(method, f"/events/{meeting.pk}", stranger_token, body)
        nobodys = api.call(method, f"/events/{missing}", stranger_token, body)
        assert theirs.status_code == nobodys.status_code == 404
        assert theirs.content == nobodys.content
        assert b"Roadmap" not in theirs.content
    assert snapshot(meeting) == before


def test_a_strangers_invalid_patch_is_still_404(api, meeting, stranger_token):
    status, _ = api.json(
        "PATCH", f"/events/{meeting.pk}", stranger_token, {"end": "2020-01-01T00:00:00Z"}
    )
    assert status == 404


# --- change --------------------------------------------------------------------------------


def test_patch_changes_only_the_given_fields(api, meeting, colleague, owner_token):
    status, body = api.json("PATCH", f"/events/{meeting.pk}", owner_token, {"title": "Roadmap v2"})
    assert status == 200, body
    assert body["title"] == "Roadmap v2" and body["location"] == "Room 1"
    assert body["sequence"] == 0  # a title is not significant to attendees (RFC 5546)
    assert [a["user_id"] for a in body["attendees"]] == [meeting.organizer_id, colleague.pk]


def test_patch_time_bumps_the_sequence(api, meeting, owner_token):
    status, body = api.json(
        "PATCH",
        f"/events/{meeting.pk}",
        owner_token,
        {"start": "2026-05-04T13:00:00+02:00", "end": "2026-05-04T14:00:00+02:00"},
    )
    assert status == 200, body
    assert _instant(body["start"]) == at(4, 11) and body["sequence"] == 1
    meeting.refresh_from_db()
    assert meeting.start == at(4, 11) and meeting.sequence == 1


def test_patch_attendees_replaces_the_colleagues(api, meeting, colleague, carol, owner_token):
    status, body = api.json(
        "PATCH", f"/events/{meeting.pk}", owner_token, {"attendee_ids": [carol.pk]}
    )
    assert status == 200, body
    assert [a["user_id"] for a in body["attendees"]] == [meeting.organizer_id, carol.pk]
    assert body["sequence"] == 1


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"end": "2026-05-04T08:00:00Z"}, 400, "end"),
        ({"start": "2026-05-04T11:00:00Z"}, 400, "end"),  # now after the old end
        ({"timezone": "Mars/Base"}, 400, "timezone"),
        ({"title": "y" * 201}, 400, "title"),
        ({"start": "2026-05-04T09:30:00"}, 422, "start"),
        ({"title": None}, 422, "title"),
        ({"all_day": None}, 422, "all_day"),
        ({"attendee_ids": None}, 422, "attendee_ids"),
        ({"uid": "stolen@uid"}, 422, "uid"),
        ({"status": "confirmed"}, 422, "status"),
    ],
)
def test_bad_patch_names_the_field_and_changes_nothing(
    api, meeting, owner_token, payload, status, field
):
    before = snapshot(meeting)
    got_status, body = api.json("PATCH", f"/events/{meeting.pk}", owner_token, payload)
    assert got_status == status, body
    assert field in errors_by_field(body), body
    assert snapshot(meeting) == before


def test_patch_with_a_foreign_attendee_changes_nothing(api, meeting, stranger, carol, owner_token):
    before = snapshot(meeting)
    status, body = api.json(
        "PATCH",
        f"/events/{meeting.pk}",
        owner_token,
        {"title": "Changed", "attendee_ids": [carol.pk, stranger.pk]},
    )
    assert status == 400 and "attendee_ids" in errors_by_field(body)
    assert snapshot(meeting) == before  # not even the title


# --- cancel --------------------------------------------------------------------------------


def test_delete_cancels_and_returns_the_event(api, meeting, owner_token):
    status, body = api.json("DELETE", f"/events/{meeting.pk}", owner_token)
    assert status == 200
    assert body["id"] == meeting.pk and body["status"] == "cancelled" and body["sequence"] == 1
    meeting.refresh_from_db()
    assert meeting.status == "cancelled" and meeting.uid == body["uid"]
    # Cancelling again is harmless; it stays readable.
    again = api.json("DELETE", f"/events/{meeting.pk}", owner_token)
    assert again[0] == 200 and again[1]["sequence"] == 1
    assert api.json("GET", f"/events/{meeting.pk}", owner_token)[1]["status"] == "cancelled"


def test_a_cancelled_event_cannot_be_changed(api, meeting, owner_token):
    api.call("DELETE", f"/events/{meeting.pk}", owner_token)
    before = snapshot(meeting)
    status, body = api.json("PATCH", f"/events/{meeting.pk}", owner_token, {"title": "Back"})
    assert status == 400 and "status" in errors_by_field(body)
    assert snapshot(meeting) == before


def test_attendee_status_is_shown(api, meeting, colleague, owner_token):
    attendee_respond(meeting, colleague, "declined")
    body = api.json("GET", f"/events/{meeting.pk}", owner_token)[1]
    assert {a["user_id"]: a["status"] for a in body["attendees"]}[colleague.pk] == "declined"
