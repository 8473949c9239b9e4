"""/events with recurring events: series in and out, occurrences listed, scoped PATCH/DELETE."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from urllib.parse import quote

import pytest

from events.models import Attendee, Event

from .conftest import errors_by_field, snapshot

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
JUNE = "start=2026-06-01T00:00:00Z&end=2026-07-01T00:00:00Z"
SERIES = {
    "title": "Stand-up",
    "start": "2026-06-01T10:00:00+02:00",
    "end": "2026-06-01T10:15:00+02:00",
    "timezone": "Europe/Berlin",
    "recurrence": "FREQ=WEEKLY;BYDAY=MO;COUNT=10",
}


def berlin(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 6, day, hour, minute, tzinfo=BERLIN)


def instant(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    assert value.utcoffset() is not None, text
    return value


def q(value: dt.datetime) -> str:
    return quote(value.isoformat())


@pytest.fixture
def series(api, owner_token, colleague):
    status, body = api.json(
        "POST", "/events", owner_token, SERIES | {"attendee_ids": [colleague.pk]}
    )
    assert status == 201, body
    return body


def listed(api, token, query=JUNE) -> list[dict]:
    status, body = api.json("GET", f"/events?{query}", token)
    assert status == 200, body
    return body


# --------------------------------------------------------------------------- create


def test_create_a_series(series):
    assert series["recurrence"] == "FREQ=WEEKLY;COUNT=10;BYDAY=MO"
    assert series["series_id"] == series["id"] and series["recurrence_id"] is None
    assert series["exdates"] == []
    assert instant(series["start"]) == berlin(1, 10)


def test_create_with_exdates_lists_them_in_utc(api, owner_token):
    status, body = api.json(
        "POST",
        "/events",
        owner_token,
        SERIES | {"exdates": ["2026-06-15T10:00:00+02:00", "2026-06-08T08:00:00Z"]},
    )
    assert status == 201, body
    assert [instant(d) for d in body["exdates"]] == [berlin(8, 10), berlin(15, 10)]
    assert all(instant(d).utcoffset() == dt.timedelta(0) for d in body["exdates"])


def test_secondly_is_refused_naming_recurrence(api, owner_token):
    status, body = api.json(
        "POST", "/events", owner_token, SERIES | {"recurrence": "FREQ=SECONDLY"}
    )
    assert status == 400, body
    assert errors_by_field(body) == {
        "recurrence": "FREQ=SECONDLY is not supported: choose DAILY, WEEKLY, MONTHLY or YEARLY."
    }
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"recurrence": "FREQ=WEEKLY;BYDAY=TU"}, "recurrence"),
        ({"exdates": ["2026-06-09T10:00:00+02:00"]}, "exdates"),
    ],
)
def test_bad_series_is_400_naming_the_field(api, owner_token, extra, field):
    status, body = api.json("POST", "/events", owner_token, SERIES | extra)
    assert status == 400, body
    assert set(errors_by_field(body)) == {field}
    assert not Event.objects.exists()


def test_exdates_list_is_capped_in_the_schema(api, owner_token):
    days = [
        (dt.datetime(2026, 6, 1, 8, tzinfo=dt.UTC) + dt.timedelta(days=i)).isoformat()
        for i in range(1001)
    ]
    body = SERIES | {"recurrence": "FREQ=DAILY", "exdates": days}
    status, answer = api.json("POST", "/events", owner_token, body)
    assert status == 422, answer
    assert errors_by_field(answer) == {"exdates": "At most 1000 items."}
    assert not Event.objects.exists()


def test_naive_exdate_is_422(api, owner_token):
    status, body = api.json(
        "POST", "/events", owner_token, SERIES | {"exdates": ["2026-06-08T10:00:00"]}
    )
    assert status == 422, body
    assert list(errors_by_field(body)) == ["exdates.0"]


def test_a_million_exdates_are_refused_before_parsing(api, owner_token, settings):
    days = ["2026-06-08T08:00:00Z"] * 1_000_000
    raw = json.dumps(SERIES | {"recurrence": "FREQ=DAILY", "exdates": days})
    assert len(raw) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = api.call("POST", "/events", owner_token, raw)
    assert response.status_code == 413
    body = response.json()
    assert "too large" in body["detail"] and body["errors"] == []
    assert not Event.objects.exists()


def test_a_huge_patch_body_changes_nothing(api, owner_token, series):
    before = snapshot(Event.objects.get(pk=series["id"]))
    raw = json.dumps({"exdates": ["2026-06-08T08:00:00Z"] * 1_000_000})
    response = api.call("PATCH", f"/events/{series['id']}", owner_token, raw)
    assert response.status_code == 413
    assert snapshot(Event.objects.get(pk=series["id"])) == before


# --------------------------------------------------------------------------- list


def test_list_gives_one_entry_per_occurrence(api, owner_token, colleague_token, series):
    for token in (owner_token, colleague_token):
        body = listed(api, token)
        assert [instant(e["start"]) for e in body] == [berlin(d, 10) for d in (1, 8, 15, 22, 29)]
        assert [instant(e["end"]) for e in body] == [berlin(d, 10, 15) for d in (1, 8, 15, 22, 29)]
        assert {e["id"] for e in body} == {series["id"]}
        assert [instant(e["recurrence_id"]) for e in body] == [
            berlin(d, 10) for d in (1, 8, 15, 22, 29)
        ]
        assert all(e["series_id"] == series["id"] for e in body)


def test_list_shows_a_changed_occurrence_as_its_own_row(api, owner_token, series):
    status, changed = api.json(
        "PATCH",
        f"/events/{series['id']}?scope=this&occurrence={q(berlin(8, 10))}",
        owner_token,
        {"start": "2026-06-09T15:00:00+02:00", "end": "2026-06-09T16:00:00+02:00"},
    )
    assert status == 200, changed
    assert changed["id"] != series["id"] and changed["series_id"] == series["id"]
    assert instant(changed["recurrence_id"]) == berlin(8, 10)
    assert changed["recurrence"] is None and changed["uid"] == series["uid"]
    body = listed(api, owner_token)
    assert [(e["id"], instant(e["start"])) for e in body] == [
        (series["id"], berlin(1, 10)),
        (changed["id"], berlin(9, 15)),
        (series["id"], berlin(15, 10)),
        (series["id"], berlin(22, 10)),
        (series["id"], berlin(29, 10)),
    ]
    status, one = api.json("GET", f"/events/{changed['id']}", owner_token)
    assert status == 200 and one["recurrence_id"] == changed["recurrence_id"]


# --------------------------------------------------------------------------- scoped writes


def test_patch_following_answers_with_the_new_series(api, owner_token, series):
    status, body = api.json(
        "PATCH",
        f"/events/{series['id']}?scope=following&occurrence={q(berlin(15, 10))}",
        owner_token,
        {"title": "Stand-up (new)"},
    )
    assert status == 200, body
    assert body["id"] != series["id"] and body["uid"] != series["uid"]
    assert body["recurrence"] == "FREQ=WEEKLY;COUNT=8;BYDAY=MO"
    titles = [(instant(e["start"]).day, e["title"]) for e in listed(api, owner_token)]
    assert titles == [
        (1, "Stand-up"),
        (8, "Stand-up"),
        (15, "Stand-up (new)"),
        (22, "Stand-up (new)"),
        (29, "Stand-up (new)"),
    ]


def test_delete_one_occurrence(api, owner_token, series):
    status, body = api.json(
        "DELETE", f"/events/{series['id']}?scope=this&occurrence={q(berlin(15, 10))}", owner_token
    )
    assert status == 200, body
    assert body["status"] == "confirmed" and body["sequence"] == series["sequence"] + 1
    assert [instant(d) for d in body["exdates"]] == [berlin(15, 10)]
    days = [instant(e["start"]).day for e in listed(api, owner_token)]
    assert days == [1, 8, 22, 29]


def test_delete_following_and_all(api, owner_token, series):
    status, body = api.json(
        "DELETE",
        f"/events/{series['id']}?scope=following&occurrence={q(berlin(15, 10))}",
        owner_token,
    )
    assert status == 200, body
    assert body["recurrence"] == "FREQ=WEEKLY;UNTIL=20260615T075959Z;BYDAY=MO"
    assert [instant(e["start"]).day for e in listed(api, owner_token)] == [1, 8]
    status, body = api.json("DELETE", f"/events/{series['id']}", owner_token)
    assert status == 200 and body["status"] == "cancelled"
    assert listed(api, owner_token) == []


def test_patch_recurrence_null_stops_the_repetition(api, owner_token, series):
    status, body = api.json("PATCH", f"/events/{series['id']}", owner_token, {"recurrence": None})
    assert status == 200, body
    assert body["recurrence"] is None and body["series_id"] is None
    assert len(listed(api, owner_token)) == 1


@pytest.mark.parametrize(
    ("query", "payload", "status", "field"),
    [
        ("scope=this", {"title": "x"}, 400, "occurrence"),
        ("scope=sometimes", {"title": "x"}, 422, "scope"),
        ("scope=this&occurrence=2026-06-08T10:00:00", {"title": "x"}, 422, "occurrence"),
        ("scope=this&occurrence=2026-06-09T08:00:00Z", {"title": "x"}, 400, "occurrence"),
        (
            "scope=this&occurrence=2026-06-08T08:00:00Z",
            {"recurrence": "FREQ=DAILY"},
            400,
            "recurrence",
        ),
        ("scope=this&occurrence=2026-06-08T08:00:00Z", {"exdates": []}, 400, "exdates"),
        ("", {"recurrence": "FREQ=SECONDLY"}, 400, "recurrence"),
        ("", {"exdates": ["2026-06-09T08:00:00Z"]}, 400, "exdates"),
    ],
)
def test_patch_errors_name_the_field_and_change_nothing(
    api, owner_token, series, query, payload, status, field
):
    before = snapshot(Event.objects.get(pk=series["id"]))
    got, body = api.json("PATCH", f"/events/{series['id']}?{query}", owner_token, payload)
    assert got == status, body
    assert field in errors_by_field(body)
    assert snapshot(Event.objects.get(pk=series["id"])) == before
    assert Event.objects.count() == 1


def test_a_single_event_has_no_occurrences_to_scope(api, owner_token):
    status, single = api.json(
        "POST", "/events", owner_token, {k: v for k, v in SERIES.items() if k != "recurrence"}
    )
    assert status == 201
    for method in ("PATCH", "DELETE"):
        status, body = api.json(
            method,
            f"/events/{single['id']}?scope=this&occurrence={q(berlin(1, 10))}",
            owner_token,
            {"title": "x"} if method == "PATCH" else None,
        )
        assert status == 400, body
        assert "scope" in errors_by_field(body)


# --------------------------------------------------------------------------- who may


def test_a_stranger_gets_404_with_any_scope(api, stranger_token, series):
    before = snapshot(Event.objects.get(pk=series["id"]))
    for query in ("", f"?scope=this&occurrence={q(berlin(8, 10))}", "?scope=following"):
        for method, payload in (("PATCH", {"title": "pwned"}), ("DELETE", None)):
            status, body = api.json(
                method, f"/events/{series['id']}{query}", stranger_token, payload
            )
            assert status == 404, body
            assert body == {"detail": "Not found.", "errors": []}
    assert snapshot(Event.objects.get(pk=series["id"])) == before
    assert Event.objects.count() == 1


def test_an_invited_colleague_is_403_and_an_uninvited_one_404(
    api, colleague_token, carol_token, series
):
    before = snapshot(Event.objects.get(pk=series["id"]))
    query = f"?scope=this&occurrence={q(berlin(8, 10))}"
    for method, payload in (("PATCH", {"title": "x"}), ("DELETE", None)):
        status, body = api.json(method, f"/events/{series['id']}{query}", colleague_token, payload)
        assert status == 403, body
        status, body = api.json(method, f"/events/{series['id']}{query}", carol_token, payload)
        assert status == 404, body
    assert snapshot(Event.objects.get(pk=series["id"])) == before
    assert Event.objects.count() == 1
    assert Attendee.objects.filter(event_id=series["id"]).count() == 2


def test_openapi_documents_scope_and_occurrence(api, owner_token):
    response = api.call("GET", "/openapi.json")
    spec = response.json()
    operation = spec["paths"]["/api/v1/events/{event_id}"]["patch"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"scope", "occurrence"} <= names
