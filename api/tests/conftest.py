"""Helpers for API tests: a JSON client that speaks with a bearer token, and events."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

UTC = dt.UTC


class ApiClient:
    """Thin wrapper over Django's test client: JSON in, (status, JSON out)."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        body: Any = None,
        **headers: str,
    ):
        kwargs: dict[str, Any] = {}
        if token is not None:
            kwargs["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        for name, value in headers.items():
            kwargs[f"HTTP_{name.upper()}"] = value
        if body is not None:
            kwargs["data"] = body if isinstance(body, str) else json.dumps(body)
            kwargs["content_type"] = "application/json"
        response = getattr(self.client, method.lower())("/api/v1" + path, **kwargs)
        return response

    def json(self, method: str, path: str, token: str | None = None, body: Any = None):
        response = self.call(method, path, token, body)
        return response.status_code, response.json()


@pytest.fixture
def api(client) -> ApiClient:
    return ApiClient(client)


@pytest.fixture
def carol(acme):
    """A third Acme employee, invited to nothing."""
    from accounts.models import User

    return User.objects.create_user(
        "carol@acme.test", "x" * 12, account=acme, full_name="Carol Third", timezone="UTC"
    )


@pytest.fixture
def carol_token(carol) -> str:
    from accounts.services import create_api_token

    return create_api_token(carol, "tests")[1]


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """An instant in May 2026, UTC."""
    return dt.datetime(2026, 5, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def meeting(owner, colleague):
    """Alice's event on 2026-05-04 09:00-10:00 UTC, Bob invited."""
    from events.services import event_create

    return event_create(
        owner,
        title="Roadmap",
        start=at(4, 9),
        end=at(4, 10),
        timezone="Europe/Berlin",
        location="Room 1",
        attendee_ids=[colleague.pk],
    )


def snapshot(event) -> dict:
    """Everything about an event a request could change, to prove it did not."""
    from events.models import Attendee, Event

    fresh = Event.objects.get(pk=event.pk)
    return {
        "fields": {f.attname: getattr(fresh, f.attname) for f in Event._meta.concrete_fields},
        "attendees": sorted(Attendee.objects.filter(event=fresh).values_list("user_id", "status")),
    }


def errors_by_field(body: dict) -> dict:
    assert set(body) >= {"detail", "errors"}, body
    return {e["field"]: e["message"] for e in body["errors"]}
