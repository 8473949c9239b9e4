"""Guests through the API: invite on POST/PATCH, list contacts, 409 / 403 with codes."""

from __future__ import annotations

import pytest

from events import guests as guest_lib
from events.models import Attendee, Event
from events.tests.guest_helpers import GINA, HUGO, calendar_of, make_mailbox, outbox
from mail.models import OutboxMessage

from .conftest import errors_by_field

BODY = {
    "title": "Kick-off",
    "start": "2026-06-01T10:00:00+02:00",
    "end": "2026-06-01T11:00:00+02:00",
    "timezone": "Europe/Berlin",
}


@pytest.fixture
def mailbox(owner):
    return make_mailbox(owner)


def test_post_with_guests_invites_them(api, owner_token, mailbox):
    status, body = api.json("POST", "/events", owner_token, BODY | {"guests": [GINA, HUGO]})
    assert status == 201, body
    guests = [a for a in body["attendees"] if a["kind"] == "guest"]
    assert guests == [
        {
            "user_id": None,
            "email": "gina@client.example",
            "name": "Gina Guest",
            "kind": "guest",
            "status": "needs-action",
            "delegated_to": "",
        },
        {
            "user_id": None,
            "email": "hugo@partner.example",
            "name": "Hugo Hall",
            "kind": "guest",
            "status": "needs-action",
            "delegated_to": "",
        },
    ]
    employee = [a for a in body["attendees"] if a["kind"] == "employee"]
    assert employee[0]["user_id"] and employee[0]["email"] == "alice@acme.test"
    assert len(outbox()) == 2


def test_without_a_sender_mailbox_409_names_what_is_missing(api, owner_token):
    status, body = api.json("POST", "/events", owner_token, BODY | {"guests": [GINA]})
    assert status == 409
    assert body["code"] == "sender_mailbox_required"
    assert "sender mailbox" in body["detail"]
    assert not Event.objects.exists() and not OutboxMessage.objects.exists()


def test_free_plan_limit_is_403_with_a_reason_code(api, owner, owner_token, mailbox):
    for index in range(10):
        status, _body = api.json(
            "POST",
            "/events",
            owner_token,
            BODY | {"title": f"E{index}", "guests": [{"email": f"g{index}@c.example"}]},
        )
        assert status == 201
    status, body = api.json("POST", "/events", owner_token, BODY | {"guests": [GINA]})
    assert status == 403
    assert body["code"] == "plan_limit_reached"
    assert "10 events with external guests" in body["detail"]
    assert Event.objects.count() == 10


def test_bad_guest_address_is_400_naming_the_item(api, owner_token, mailbox):
    guests = [GINA, {"email": "no\r\nBcc: evil@x.example"}]
    status, body = api.json("POST", "/events", owner_token, BODY | {"guests": guests})
    assert status == 400
    assert "guests.1.email" in errors_by_field(body)
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("guests", "field"),
    [
        ([{"email": "a@b.example", "phone": "1"}], "guests.0.phone"),
        ([{"first_name": "No address"}], "guests.0.email"),
        ("a@b.example", "guests"),
        ([{"email": 5}], "guests.0.email"),
    ],
)
def test_malformed_guests_are_422(api, owner_token, mailbox, guests, field):
    status, body = api.json("POST", "/events", owner_token, BODY | {"guests": guests})
    assert status == 422
    assert field in errors_by_field(body), body


def test_patch_replaces_guests(api, owner_token, mailbox):
    _status, created = api.json("POST", "/events", owner_token, BODY | {"guests": [GINA, HUGO]})
    OutboxMessage.objects.all().delete()
    status, body = api.json("PATCH", f"/events/{created['id']}", owner_token, {"guests": [GINA]})
    assert status == 200, body
    assert [a["email"] for a in body["attendees"] if a["kind"] == "guest"] == [GINA["email"]]
    assert body["sequence"] == 1
    (mail,) = outbox()
    assert calendar_of(mail)["METHOD"] == "CANCEL"


def test_delete_cancels_for_every_guest(api, owner_token, mailbox):
    _status, created = api.json("POST", "/events", owner_token, BODY | {"guests": [GINA, HUGO]})
    OutboxMessage.objects.all().delete()
    status, _body = api.json("DELETE", f"/events/{created['id']}", owner_token)
    assert status == 200
    assert sorted(calendar_of(m)["METHOD"] for m in outbox()) == ["CANCEL", "CANCEL"]


def test_guests_list_is_the_accounts_contacts_only(
    api, owner_token, colleague_token, stranger, stranger_token, mailbox
):
    api.json("POST", "/events", owner_token, BODY | {"guests": [GINA, HUGO]})
    make_mailbox(stranger, "sam@mail.globex.test")
    api.json("POST", "/events", stranger_token, BODY | {"guests": [{"email": "x@y.example"}]})

    status, body = api.json("GET", "/guests", colleague_token)  # the whole account's contacts
    assert status == 200
    assert [g["email"] for g in body] == [GINA["email"], HUGO["email"]]
    assert body[0]["name"] == "Gina Guest" and body[0]["first_name"] == "Gina"
    status, body = api.json("GET", "/guests", stranger_token)
    assert [g["email"] for g in body] == ["x@y.example"]
    status, _body = api.json("GET", "/guests")
    assert status == 401


def test_guests_never_appear_among_employees(api, owner_token, mailbox):
    api.json("POST", "/events", owner_token, BODY | {"guests": [GINA]})
    _status, body = api.json("GET", "/users", owner_token)
    assert GINA["email"] not in [u["email"] for u in body]


def test_a_guest_token_is_no_api_token(api, owner_token, mailbox):
    _status, created = api.json("POST", "/events", owner_token, BODY | {"guests": [GINA]})
    gina = Attendee.objects.get(guest__email=GINA["email"])
    for token in (guest_lib.link_token(gina), guest_lib.reply_token(gina)):
        for method, path in [
            ("GET", f"/events/{created['id']}"),
            ("GET", "/events?start=2026-06-01T00:00:00Z&end=2026-06-02T00:00:00Z"),
            ("GET", "/me"),
            ("GET", "/guests"),
            ("DELETE", f"/events/{created['id']}"),
        ]:
            status, _body = api.json(method, path, token)
            assert status == 401, (method, path)
    assert Event.objects.get(pk=created["id"]).status == "confirmed"


def test_openapi_documents_guests(api, owner_token):
    response = api.call("GET", "/openapi.json")
    schema = response.json()
    assert "get" in schema["paths"]["/api/v1/guests"]
    assert "403" in schema["paths"]["/api/v1/events"]["post"]["responses"]
    assert "guests" in schema["components"]["schemas"]["EventIn"]["properties"]
