"""The input boundary: text that can never be stored or shown is refused, by field, with
nothing written (``rendezvous.input_boundary``). Each case answered 500, or stored a NUL,
before it existed."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from accounts.models import User
from booking.models import Booking
from events.models import Event

SURROGATE = '"A\\ud800B"'  # as a JSON text: an escape that decodes to a lone surrogate
NUL = '"A\\u0000B"'


def api(client, method, path, body: bytes | str, token: str | None = None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return getattr(client, method)(path, body, content_type="application/json", **headers)


@pytest.mark.parametrize(
    ("text", "why"),
    [(SURROGATE, "unpaired UTF-16 surrogate"), (NUL, "control character (U+0000)")],
)
def test_a_json_string_that_no_database_can_store_is_refused_by_field(
    client, owner, owner_token, text, why
):
    response = api(client, "patch", "/api/v1/me", f'{{"full_name": {text}}}', owner_token)

    assert response.status_code == 422
    body = response.json()
    assert body["errors"] == [{"field": "full_name", "message": body["errors"][0]["message"]}]
    assert why in body["errors"][0]["message"]
    owner.refresh_from_db()
    assert owner.full_name == "Alice Owner"


def test_raw_bytes_that_are_not_utf8_are_refused(client, owner, owner_token):
    body = b'{"full_name": "A\xed\xa0\x80B"}'  # the UTF-8-like encoding of a surrogate

    response = api(client, "patch", "/api/v1/me", body, owner_token)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body"
    owner.refresh_from_db()
    assert owner.full_name == "Alice Owner"


def test_nested_fields_are_named_with_their_path(client, owner, owner_token):
    body = json.dumps({"title": "Review", "guests": [{"email": "g@x.test", "first_name": "x"}]})
    body = body.replace('"first_name": "x"', f'"first_name": {SURROGATE}')

    response = api(client, "post", "/api/v1/events", body, owner_token)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "guests.0.first_name"
    assert not Event.objects.exists()


def test_the_public_booking_endpoint_refuses_it_without_sign_in(client, link_token):
    body = f'{{"start": "2030-01-01T10:00:00+01:00", "name": {SURROGATE}, "email": "m@x.test"}}'

    response = api(client, "post", f"/api/v1/public/booking/{link_token}/bookings", body)

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "name"
    assert not Booking.objects.exists()


def test_emoji_and_line_breaks_are_text(client, owner, owner_token):
    body = '{"full_name": "Ann \\ud83d\\ude00\\tO\'Neil"}'  # a surrogate *pair*, and a tab

    response = api(client, "patch", "/api/v1/me", body, owner_token)

    assert response.status_code == 200, response.content
    owner.refresh_from_db()
    assert owner.full_name.startswith("Ann \U0001f600")


def test_a_query_parameter_is_checked_too(client, owner_token):
    response = client.get(
        "/api/v1/freebusy", {"users": "1", "start": "2026-06-01\x00"},
        HTTP_AUTHORIZATION=f"Bearer {owner_token}",
    )  # fmt: skip

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "start"


def test_a_page_form_gets_a_400_naming_the_field_and_nothing_is_saved(client, owner):
    client.force_login(owner)

    response = client.post(
        reverse("events:create"),
        {"title": "Review\x00", "start_date": "2026-06-01", "start_time": "10:00",
         "end_date": "2026-06-01", "end_time": "11:00", "timezone": "Europe/Berlin"},
    )  # fmt: skip

    assert response.status_code == 400
    assert "“title” contains a control character (U+0000)" in response.content.decode()
    assert not Event.objects.exists()
    assert User.objects.get(pk=owner.pk).full_name == "Alice Owner"
