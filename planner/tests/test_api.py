"""POST /api/v1/planner/find: exact slots, every input checked, nobody else's people."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.tests.conftest import ApiClient, errors_by_field

from .conftest import (
    FIRST_TEN_HOUR_SLOTS,
    FIRST_TWELVE_HOUR_SLOTS,
    berlin_slots,
    future_monday,
    hours,
    known_week,
    local,
)

MONDAY = future_monday()
START = local(MONDAY, "00:00").isoformat()
END = local(MONDAY + dt.timedelta(days=7), "00:00").isoformat()


@pytest.fixture
def api(client) -> ApiClient:
    return ApiClient(client)


def _slots(body: dict) -> list[tuple[dt.datetime, dt.datetime]]:
    return [
        (dt.datetime.fromisoformat(s["start"]), dt.datetime.fromisoformat(s["end"]))
        for s in body["slots"]
    ]


def test_three_people_exact_first_slots(api, alice, bob, carol, owner_token):
    known_week(alice, bob, carol, MONDAY)
    body_in = {
        "users": [alice.pk, bob.pk, carol.pk],
        "duration_minutes": 60,
        "start": START,
        "end": END,
    }
    status, body = api.json("POST", "/planner/find", owner_token, body_in)
    assert status == 200, body
    assert set(body) == {"start", "end", "duration_minutes", "users", "slots"}
    assert body["users"] == [alice.pk, bob.pk, carol.pk]
    assert body["duration_minutes"] == 60
    assert dt.datetime.fromisoformat(body["start"]) == local(MONDAY, "00:00")
    assert body["start"].endswith(("Z", "+00:00"))  # instants as the API writes them: UTC
    assert all(s["start"].endswith(("Z", "+00:00")) for s in body["slots"])
    assert _slots(body) == berlin_slots(MONDAY, FIRST_TEN_HOUR_SLOTS, 60)  # default limit 10

    status, body = api.json("POST", "/planner/find", owner_token, {**body_in, "limit": 12})
    assert status == 200, body
    assert _slots(body) == berlin_slots(MONDAY, FIRST_TWELVE_HOUR_SLOTS, 60)
    # Only times come back: no titles.
    raw = api.call("POST", "/planner/find", owner_token, body_in).content
    assert b"stand-up" not in raw and b"dentist" not in raw


def test_grid_is_the_requesters(api, alice, bob, acme):
    """Kiran in Kathmandu (UTC+05:45) asks about Alice and Bob: the half-hour grid is on
    his clock, so the slots start at :15 and :45 in Berlin."""
    from accounts.models import User
    from accounts.services import create_api_token

    kiran = User.objects.create_user(
        "kiran@acme.test", "x" * 12, account=acme, full_name="Kiran", timezone="Asia/Kathmandu"
    )
    token = create_api_token(kiran, "tests")[1]
    status, body = api.json(
        "POST",
        "/planner/find",
        token,
        {
            "users": [alice.pk, bob.pk],
            "duration_minutes": 30,
            "start": START,
            "end": END,
            "limit": 3,
        },
    )
    assert status == 200, body
    # Common time 14:00-17:00 Berlin (12:00-15:00 UTC, 17:45-20:45 in Kathmandu).
    table = [(0, "14:15"), (0, "14:45"), (0, "15:15")]
    assert _slots(body) == berlin_slots(MONDAY, table, 30)
    # Alice asks the same: her own grid.
    alice_token = create_api_token(alice, "tests")[1]
    status, body = api.json(
        "POST",
        "/planner/find",
        alice_token,
        {
            "users": [alice.pk, bob.pk],
            "duration_minutes": 30,
            "start": START,
            "end": END,
            "limit": 3,
        },
    )
    assert _slots(body) == berlin_slots(MONDAY, [(0, "14:00"), (0, "14:30"), (0, "15:00")], 30)


def test_repeated_ids_count_once(api, alice, bob, owner_token):
    status, body = api.json(
        "POST",
        "/planner/find",
        owner_token,
        {
            "users": [bob.pk, alice.pk, bob.pk],
            "duration_minutes": 30,
            "start": START,
            "end": END,
            "limit": 1,
        },
    )
    assert status == 200, body
    assert body["users"] == [bob.pk, alice.pk]
    assert _slots(body) == berlin_slots(MONDAY, [(0, "14:00")], 30)


def test_a_hundred_people(api, alice, acme, owner_token):
    """The largest group allowed: one query for their busy time, not one per person."""
    from accounts.models import User

    others = User.objects.bulk_create(
        [
            User(
                account=acme,
                email=f"p{n}@acme.test",
                full_name=f"Person {n:03d}",
                timezone=("Europe/London", "Europe/Berlin", "Europe/Paris")[n % 3],
                working_hours=hours("09:00", "17:00"),
            )
            for n in range(99)
        ]
    )
    ids = [alice.pk, *(u.pk for u in others)]

    def ask(users):
        cache.clear()  # the uncached reads are what must not grow with the group
        with CaptureQueriesContext(connection) as queries:
            status, body = api.json(
                "POST",
                "/planner/find",
                owner_token,
                {"users": users, "duration_minutes": 30, "start": START, "end": END},
            )
        assert status == 200, body
        # Token bookkeeping (last used, written at most once a while) is not the search.
        return body, sum("accounts_apitoken" not in q["sql"] for q in queries.captured_queries)

    body, many = ask(ids)
    assert body["users"] == ids
    # London 09:00 is 10:00 in Berlin; Berlin and Paris end 17:00.
    table = [(0, f"{h}:{m}") for h in (10, 11, 12, 13, 14, 15, 16) for m in ("00", "30")][:10]
    assert _slots(body) == berlin_slots(MONDAY, table, 30)
    _, few = ask(ids[:3])
    assert many == few
    status, body = api.json(
        "POST",
        "/planner/find",
        owner_token,
        {"users": [*ids, 10**9], "duration_minutes": 30, "start": START, "end": END},
    )
    assert status == 422
    assert set(errors_by_field(body)) == {"users"}


def _valid(alice, bob) -> dict:
    return {
        "users": [alice.pk, bob.pk],
        "duration_minutes": 30,
        "start": START,
        "end": END,
        "limit": 5,
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"users": []}, "users"),
        ({"users": None}, "users"),
        ({"users": "1,2"}, "users"),
        ({"users": ["x"]}, "users.0"),
        ({"users": [0]}, "users.0"),
        ({"duration_minutes": 4}, "duration_minutes"),
        ({"duration_minutes": 1441}, "duration_minutes"),
        ({"duration_minutes": "half an hour"}, "duration_minutes"),
        ({"duration_minutes": 30.5}, "duration_minutes"),
        ({"start": "2030-05-06T09:00:00"}, "start"),
        ({"end": "2030-05-06T09:00:00"}, "end"),
        ({"start": "next monday"}, "start"),
        ({"end": START}, "end"),  # end == start
        ({"end": local(MONDAY - dt.timedelta(days=1), "00:00").isoformat()}, "end"),
        (
            {"end": (local(MONDAY, "00:00") + dt.timedelta(days=31, minutes=1)).isoformat()},
            "end",
        ),
        ({"limit": 0}, "limit"),
        ({"limit": 51}, "limit"),
        ({"title": "Sync"}, "title"),  # unknown field
    ],
)
def test_bad_input_is_a_422_naming_the_field(api, alice, bob, owner_token, changes, field):
    status, body = api.json("POST", "/planner/find", owner_token, {**_valid(alice, bob), **changes})
    assert status == 422, body
    errors = errors_by_field(body)
    assert set(errors) == {field}, errors
    assert errors[field]


@pytest.mark.parametrize("missing", ["users", "duration_minutes", "start", "end"])
def test_missing_field(api, alice, bob, owner_token, missing):
    payload = _valid(alice, bob)
    del payload[missing]
    status, body = api.json("POST", "/planner/find", owner_token, payload)
    assert status == 422
    assert errors_by_field(body) == {missing: "This field is required."}


def test_naive_time_message_asks_for_an_offset(api, alice, bob, owner_token):
    payload = {**_valid(alice, bob), "start": "2030-05-06T09:00:00"}
    status, body = api.json("POST", "/planner/find", owner_token, payload)
    assert status == 422
    assert "offset" in errors_by_field(body)["start"]


def test_31_days_exactly_is_allowed(api, alice, bob, owner_token):
    end = (local(MONDAY, "00:00") + dt.timedelta(days=31)).isoformat()
    status, body = api.json(
        "POST", "/planner/find", owner_token, {**_valid(alice, bob), "end": end}
    )
    assert status == 200, body


def test_someone_of_another_account_is_a_404_naming_nobody(
    api, alice, bob, stranger, owner_token, stranger_token
):
    status, foreign = api.json(
        "POST",
        "/planner/find",
        owner_token,
        {**_valid(alice, bob), "users": [alice.pk, stranger.pk]},
    )
    assert status == 404
    status, missing = api.json(
        "POST",
        "/planner/find",
        owner_token,
        {**_valid(alice, bob), "users": [alice.pk, 10**9]},
    )
    assert status == 404
    assert foreign == missing  # the same answer: nothing to tell the two apart
    assert stranger.full_name not in str(foreign) and stranger.email not in str(foreign)
    # And the other way round: the stranger cannot ask about Acme's people.
    status, body = api.json("POST", "/planner/find", stranger_token, _valid(alice, bob))
    assert status == 404
    assert body == missing


def test_an_inactive_colleague_is_a_404(api, alice, bob, owner_token):
    bob.is_active = False
    bob.save()
    status, _ = api.json("POST", "/planner/find", owner_token, _valid(alice, bob))
    assert status == 404


def test_needs_a_token(api, alice, bob):
    status, body = api.json("POST", "/planner/find", None, _valid(alice, bob))
    assert status == 401
    assert body["detail"]


def test_in_the_openapi_document(api, owner_token):
    status, doc = api.json("GET", "/openapi.json")
    assert status == 200
    operation = doc["paths"]["/api/v1/planner/find"]["post"]
    assert set(operation["responses"]) >= {"200", "401", "404", "422"}


def test_a_range_in_the_past_is_an_empty_answer_and_documented(api, alice, bob, owner_token):
    """Slots never start before now: a range that is over is a 200 with no slots, not an
    error, and the schema says so where the caller reads about ``start``."""
    start = local(dt.date.today() - dt.timedelta(days=400), "00:00")
    payload = {
        **_valid(alice, bob),
        "start": start.isoformat(),
        "end": (start + dt.timedelta(days=7)).isoformat(),
    }
    status, body = api.json("POST", "/planner/find", owner_token, payload)
    assert status == 200, body
    assert body["slots"] == []
    assert set(body) == {"start", "end", "duration_minutes", "users", "slots"}
    schema = api.client.get("/api/v1/openapi.json").json()
    described = schema["components"]["schemas"]["PlannerFindIn"]["properties"]["start"]
    assert "never start before now" in described["description"]
