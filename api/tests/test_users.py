"""/users: the employees of my account, and an admin adding one."""

from __future__ import annotations

import pytest

from accounts.models import User

from .conftest import errors_by_field


def test_list_users_is_my_account_only(api, owner, colleague, stranger, owner_token):
    status, body = api.json("GET", "/users", owner_token)
    assert status == 200
    assert [u["email"] for u in body] == ["alice@acme.test", "bob@acme.test"]
    assert body[1] == {
        "id": colleague.pk,
        "email": "bob@acme.test",
        "full_name": "Bob Colleague",
        "timezone": "America/New_York",
        "language": "en",
        "is_account_admin": False,
    }


def test_stranger_never_sees_acme_employees(api, owner, colleague, stranger, stranger_token):
    status, body = api.json("GET", "/users", stranger_token)
    assert status == 200
    assert [u["email"] for u in body] == ["sam@globex.test"]


def test_inactive_employees_are_not_listed(api, owner, colleague, owner_token):
    colleague.is_active = False
    colleague.save()
    assert [u["id"] for u in api.json("GET", "/users", owner_token)[1]] == [owner.pk]


def test_admin_adds_an_employee_to_their_own_account(api, owner, owner_token):
    status, body = api.json(
        "POST",
        "/users",
        owner_token,
        {"email": "Dana@Acme.test", "full_name": "Dana New", "language": "pl"},
    )
    assert status == 201, body
    dana = User.objects.get(email="dana@acme.test")
    assert dana.account_id == owner.account_id and not dana.is_account_admin
    assert body == {
        "id": dana.pk,
        "email": "dana@acme.test",
        "full_name": "Dana New",
        "timezone": "Europe/Berlin",  # the admin's zone by default
        "language": "pl",
        "is_account_admin": False,
    }
    assert "dana@acme.test" in [u["email"] for u in api.json("GET", "/users", owner_token)[1]]


def test_an_employee_added_through_the_api_gets_the_welcome_mail(api, owner, owner_token):
    from mail.models import OutboxMessage

    status, _body = api.json(
        "POST", "/users", owner_token, {"email": "erin@acme.test", "full_name": "Erin New"}
    )
    assert status == 201
    (row,) = OutboxMessage.objects.all()
    assert row.recipients == ["erin@acme.test"] and b"/accounts/" in bytes(row.raw)


def test_a_non_admin_cannot_add_employees(api, colleague, colleague_token):
    before = User.objects.count()
    status, body = api.json(
        "POST", "/users", colleague_token, {"email": "eve@acme.test", "full_name": "Eve"}
    )
    assert status == 403 and body["detail"] and body["errors"] == []
    assert User.objects.count() == before


def test_the_stranger_admin_adds_to_globex_not_acme(api, owner, stranger, stranger_token):
    status, body = api.json(
        "POST", "/users", stranger_token, {"email": "gil@globex.test", "full_name": "Gil"}
    )
    assert status == 201
    assert User.objects.get(pk=body["id"]).account_id == stranger.account_id


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"email": "alice@acme.test", "full_name": "Copy"}, 400, "email"),
        ({"email": "sam@globex.test", "full_name": "Copy"}, 400, "email"),
        ({"email": "not-an-address", "full_name": "X"}, 400, "email"),
        ({"email": "x@acme.test", "full_name": " "}, 400, "full_name"),
        ({"email": "x@acme.test", "full_name": "X", "timezone": "Bad/Zone"}, 400, "timezone"),
        ({"email": "x@acme.test", "full_name": "X", "language": "xx"}, 400, "language"),
        ({"email": "x@acme.test", "full_name": "X", "password": "123"}, 400, "password"),
        ({"full_name": "X"}, 422, "email"),
        ({"email": '"ceo@bank.test"@acme.test', "full_name": "X"}, 400, "email"),
        ({"email": "X <x@acme.test>", "full_name": "X"}, 400, "email"),
        ({"email": "x@acme.test", "full_name": "X", "account_id": 99}, 422, "account_id"),
    ],
)
def test_bad_employee_input_names_the_field_and_adds_nobody(
    api, owner, stranger, owner_token, payload, status, field
):
    before = User.objects.count()
    got_status, body = api.json("POST", "/users", owner_token, payload)
    assert got_status == status, body
    assert field in errors_by_field(body), body
    assert User.objects.count() == before


def test_duplicate_email_answer_does_not_tell_which_account(api, owner, stranger, owner_token):
    ours = api.json("POST", "/users", owner_token, {"email": "alice@acme.test", "full_name": "A"})
    theirs = api.json("POST", "/users", owner_token, {"email": "sam@globex.test", "full_name": "S"})
    assert ours == theirs
