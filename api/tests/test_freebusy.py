"""/freebusy: merged busy time of colleagues, and nobody else's."""

from __future__ import annotations

import datetime as dt

import pytest

from events.answers import attendee_respond
from events.cancelling import event_cancel
from events.services import event_create

from .conftest import at, errors_by_field

RANGE = "start=2026-05-04T00:00:00Z&end=2026-05-05T00:00:00Z"


def _busy(body: dict) -> dict[int, list[tuple[dt.datetime, dt.datetime]]]:
    return {
        entry["user_id"]: [
            (dt.datetime.fromisoformat(iv["start"]), dt.datetime.fromisoformat(iv["end"]))
            for iv in entry["busy"]
        ]
        for entry in body["users"]
    }


@pytest.fixture
def busy_day(owner, colleague, stranger):
    """Alice's and Bob's 4 May 2026, with everything that must and must not count."""
    event_create(owner, title="A", start=at(4, 9), end=at(4, 10))
    event_create(owner, title="B overlaps A", start=at(4, 9, 30), end=at(4, 11))
    event_create(owner, title="C touches B", start=at(4, 11), end=at(4, 11, 30))
    cancelled = event_create(owner, title="Cancelled", start=at(4, 12), end=at(4, 13))
    event_cancel(cancelled, owner)
    event_create(owner, title="Shown free", start=at(4, 14), end=at(4, 15), transparency="free")
    declined = event_create(
        colleague,
        title="Declined by Alice",
        start=at(4, 16),
        end=at(4, 17),
        attendee_ids=[owner.pk],
    )
    attendee_respond(declined, owner, "declined")
    event_create(
        colleague,
        title="Alice not answered",
        start=at(4, 17, 30),
        end=at(4, 18),
        attendee_ids=[owner.pk],
    )
    event_create(owner, title="Overnight", start=at(4, 23), end=at(5, 1))
    event_create(owner, title="Yesterday", start=at(3, 10), end=at(3, 11))
    event_create(stranger, title="Globex", start=at(4, 6), end=at(4, 7))


def test_freebusy_merges_and_excludes(api, owner, colleague, busy_day, owner_token):
    status, body = api.json(
        "GET", f"/freebusy?users={owner.pk},{colleague.pk}&{RANGE}", owner_token
    )
    assert status == 200, body
    assert body["start"].startswith("2026-05-04T00:00:00") and body["end"].startswith("2026-05-05")
    assert [u["user_id"] for u in body["users"]] == [owner.pk, colleague.pk]  # as asked
    assert _busy(body) == {
        owner.pk: [
            (at(4, 9), at(4, 11, 30)),  # A, B and C merged; cancelled and free left out
            (at(4, 17, 30), at(4, 18)),  # invited, not declined
            (at(4, 23), at(5, 0)),  # clipped to the range
        ],
        colleague.pk: [(at(4, 16), at(4, 17)), (at(4, 17, 30), at(4, 18))],
    }
    # Only times: no titles, places or people.
    assert (
        b"Declined"
        not in api.call("GET", f"/freebusy?users={owner.pk}&{RANGE}", owner_token).content
    )


def test_freebusy_ids_may_be_repeated_parameters(api, owner, colleague, busy_day, colleague_token):
    status, body = api.json(
        "GET", f"/freebusy?users={colleague.pk}&users={owner.pk}&{RANGE}", colleague_token
    )
    assert status == 200
    assert [u["user_id"] for u in body["users"]] == [colleague.pk, owner.pk]


def test_a_free_day_is_an_empty_list(api, carol, owner_token):
    assert _busy(api.json("GET", f"/freebusy?users={carol.pk}&{RANGE}", owner_token)[1]) == {
        carol.pk: []
    }


def test_a_range_with_an_offset(api, owner, busy_day, owner_token):
    # 10:00-12:00 in Berlin is 08:00-10:00 UTC.
    body = api.json(
        "GET",
        f"/freebusy?users={owner.pk}&start=2026-05-04T10:00:00%2B02:00&end=2026-05-04T12:00:00%2B02:00",
        owner_token,
    )[1]
    assert _busy(body) == {owner.pk: [(at(4, 9), at(4, 10))]}


def test_a_stranger_learns_nothing_about_acme(
    api, owner, colleague, stranger, busy_day, stranger_token
):
    foreign = api.call("GET", f"/freebusy?users={owner.pk}&{RANGE}", stranger_token)
    unknown = api.call("GET", f"/freebusy?users=987654&{RANGE}", stranger_token)
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.content == unknown.content
    assert b"Alice" not in foreign.content and b"acme" not in foreign.content.lower()
    # Mixed with their own id: still 404, no partial answer.
    mixed = api.call("GET", f"/freebusy?users={stranger.pk},{colleague.pk}&{RANGE}", stranger_token)
    assert mixed.status_code == 404
    # Their own busy time only has their own event.
    own = api.json("GET", f"/freebusy?users={stranger.pk}&{RANGE}", stranger_token)[1]
    assert _busy(own) == {stranger.pk: [(at(4, 6), at(4, 7))]}


def test_acme_cannot_ask_about_the_stranger(api, stranger, owner_token):
    assert api.json("GET", f"/freebusy?users={stranger.pk}&{RANGE}", owner_token)[0] == 404


def test_an_inactive_colleague_is_404(api, colleague, owner_token):
    colleague.is_active = False
    colleague.save()
    assert api.json("GET", f"/freebusy?users={colleague.pk}&{RANGE}", owner_token)[0] == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (RANGE, "users"),
        (f"users=&{RANGE}", "users"),
        (f"users=abc&{RANGE}", "users.0"),
        (f"users=0&{RANGE}", "users.0"),
        ("users=" + ",".join(str(i) for i in range(1, 52)) + f"&{RANGE}", "users"),
        ("users=1&start=2026-05-04T00:00:00&end=2026-05-05T00:00:00Z", "start"),
        ("users=1&start=2026-05-04T00:00:00Z&end=2026-05-03T00:00:00Z", "end"),
        ("users=1&start=2026-05-04T00:00:00Z&end=2027-05-06T00:00:00Z", "end"),
        ("users=1&start=2026-05-04T00:00:00Z", "end"),
    ],
)
def test_bad_freebusy_query_names_the_field(api, owner_token, query, field):
    status, body = api.json("GET", f"/freebusy?{query}", owner_token)
    assert status == 422, body
    assert field in errors_by_field(body), body


def test_freebusy_query_count_does_not_grow(
    api, owner, colleague, carol, busy_day, owner_token, django_assert_max_num_queries
):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api.call("GET", f"/freebusy?users={owner.pk}&{RANGE}", owner_token)  # token use recorded
    cache.clear()  # compare the reads of busy time not yet in the cache
    with CaptureQueriesContext(connection) as one:
        api.call("GET", f"/freebusy?users={owner.pk}&{RANGE}", owner_token)
    cache.clear()
    with django_assert_max_num_queries(len(one)):
        api.call(
            "GET", f"/freebusy?users={owner.pk},{colleague.pk},{carol.pk}&{RANGE}", owner_token
        )
    assert len(one) <= 4  # token, employees, busy-time tokens with outside calendars, busy time
