"""Instants outside the years 1900-2200 are refused on writes (naming the field) and
clipped on reads, so nothing computed from them can overflow (issue 10, reproductions 2
and 3: each of these answered 500)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from events.models import Event
from events.services import event_create

FAR = [
    "9999-12-31T22:00:00-12:00",
    "0001-01-01T00:00:00+14:00",
    "2201-01-01T00:00:00+00:00",
    "1899-12-31T23:59:59+00:00",
]


@pytest.mark.parametrize("start", FAR)
def test_an_event_outside_the_years_is_refused_by_field(client, owner, owner_token, start):
    response = client.post(
        "/api/v1/events",
        {"title": "Far", "start": start, "end": "2026-06-01T10:00:00+00:00", "timezone": "UTC"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {owner_token}",
    )

    assert response.status_code == 422, response.content
    (error,) = response.json()["errors"]
    assert error["field"] == "start"
    assert "between the years 1900 and 2200" in error["message"]
    assert not Event.objects.exists()


def test_the_edges_inside_are_taken(owner):
    start = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
    event = event_create(
        owner, title="Old", start=start, end=start + dt.timedelta(hours=1), timezone="Europe/Rome"
    )
    assert event.start == start
    late = dt.datetime(2200, 12, 31, 22, tzinfo=dt.UTC)
    event_create(
        owner,
        title="Late",
        start=late,
        end=late + dt.timedelta(hours=1),
        timezone="Pacific/Kiritimati",
    )


def test_the_service_refuses_it_for_every_caller(owner):
    far = dt.datetime(2300, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(ValidationError) as caught:
        event_create(owner, title="Far", start=far, end=far + dt.timedelta(hours=1), timezone="UTC")
    assert set(caught.value.message_dict) == {"start", "end"}


def test_the_event_form_says_so_next_to_the_date(client, owner):
    client.force_login(owner)

    response = client.post(
        reverse("events:create"),
        {"title": "Far", "start_date": "9999-12-31", "start_time": "10:00",
         "end_date": "9999-12-31", "end_time": "11:00", "timezone": "Europe/Rome",
         "transparency": "busy"},
    )  # fmt: skip

    assert response.status_code == 400  # the form again, with its errors
    assert "Dates must lie between the years 1900 and 2200." in response.content.decode()
    assert not Event.objects.exists()


def test_public_slots_far_ahead_answer_nothing(client, link_token):
    response = client.get(
        f"/api/v1/public/booking/{link_token}/slots",
        {"start": "9999-12-30", "tz": "Pacific/Kiritimati"},
    )

    assert response.status_code == 200, response.content
    assert response.json()["slots"] == []


def test_planner_far_ahead_answers_nothing(client, owner, owner_token):
    response = client.post(
        "/api/v1/planner/find",
        {"users": [owner.pk], "duration_minutes": 30,
         "start": "9999-12-30T00:00:00+14:00", "end": "9999-12-31T23:00:00-12:00"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {owner_token}",
    )  # fmt: skip

    assert response.status_code == 200, response.content
    assert response.json()["slots"] == []
