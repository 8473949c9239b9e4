"""/sender-mailboxes and the default on /me: happy paths and the hostile ones beside them."""

from __future__ import annotations

import pytest

from accounts.models import User
from mail.models import MailboxConfirmation, OutboxMessage, SenderMailbox
from mail.tests.test_senders import last_code

from .conftest import errors_by_field

pytestmark = pytest.mark.django_db


def add(api, token, email="sales@acme.test", name="Acme Sales", shared=False):
    return api.json(
        "POST", "/sender-mailboxes", token, {"name": name, "email": email, "shared": shared}
    )


def add_confirmed(api, token, email="sales@acme.test", **kw) -> dict:
    status, body = add(api, token, email, **kw)
    assert status == 201, body
    status, body = api.json(
        "POST", f"/sender-mailboxes/{body['id']}/confirm", token, {"code": last_code(email)}
    )
    assert status == 200, body
    return body


def test_add_confirm_and_use_as_default(api, owner, owner_token):
    status, body = add(api, owner_token, "Sales@Acme.test")
    assert status == 201
    assert body == {
        "id": body["id"],
        "name": "Acme Sales",
        "email": "sales@acme.test",
        "shared": False,
        "confirmed": False,
        "confirmed_at": None,
        "owner": {"id": owner.pk, "name": "Alice Owner"},
        "mine": True,
        "is_default": False,
    }
    assert api.json("GET", "/me", owner_token)[1]["sender_mailbox_id"] is None
    mailbox_id = body["id"]
    status, body = api.json(
        "POST",
        f"/sender-mailboxes/{mailbox_id}/confirm",
        owner_token,
        {"code": last_code("sales@acme.test")},
    )
    assert status == 200 and body["confirmed"] and body["confirmed_at"]
    # One usable mailbox: no choice needed.
    me = api.json("GET", "/me", owner_token)[1]
    assert (me["default_sender_mailbox_id"], me["sender_mailbox_id"]) == (None, mailbox_id)

    second = add_confirmed(api, owner_token, "ceo@acme.test")
    assert api.json("GET", "/me", owner_token)[1]["sender_mailbox_id"] is None
    status, me = api.json("PATCH", "/me", owner_token, {"default_sender_mailbox_id": second["id"]})
    assert status == 200
    assert (me["default_sender_mailbox_id"], me["sender_mailbox_id"]) == (second["id"],) * 2
    listing = api.json("GET", "/sender-mailboxes", owner_token)[1]
    assert [(m["email"], m["is_default"]) for m in listing] == [
        ("ceo@acme.test", True),  # ordered by name, then address
        ("sales@acme.test", False),
    ]
    status, me = api.json("PATCH", "/me", owner_token, {"default_sender_mailbox_id": None})
    assert status == 200 and me["default_sender_mailbox_id"] is None


def test_wrong_code_is_400_naming_code_and_counts_a_try(api, owner_token):
    mailbox_id = add(api, owner_token)[1]["id"]
    code = last_code("sales@acme.test")
    wrong = "000000" if code != "000000" else "111111"
    status, body = api.json(
        "POST", f"/sender-mailboxes/{mailbox_id}/confirm", owner_token, {"code": wrong}
    )
    assert status == 400
    assert "4 tries left" in errors_by_field(body)["code"]
    assert MailboxConfirmation.objects.get(mailbox_id=mailbox_id).attempts == 1
    assert not SenderMailbox.objects.get(pk=mailbox_id).is_confirmed


def test_confirming_twice_is_a_409_with_a_code(api, owner_token):
    mailbox = add_confirmed(api, owner_token)
    status, body = api.json(
        "POST", f"/sender-mailboxes/{mailbox['id']}/confirm", owner_token, {"code": "123456"}
    )
    assert status == 409
    assert body["code"] == "already_confirmed"
    assert set(body) == {"detail", "errors", "code"}


def test_resend_sends_a_new_code(api, owner_token):
    mailbox_id = add(api, owner_token)[1]["id"]
    status, _body = api.json("POST", f"/sender-mailboxes/{mailbox_id}/resend", owner_token)
    assert status == 200
    assert OutboxMessage.objects.filter(recipients=["sales@acme.test"]).count() == 2


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"name": "", "email": "a@acme.test"}, 400, "name"),
        ({"name": "A\r\nBcc: x@evil.test", "email": "a@acme.test"}, 400, "name"),
        ({"name": "A", "email": "nope"}, 400, "email"),
        ({"name": "A", "email": '"ceo@bank.test"@client.test'}, 400, "email"),
        ({"name": "A", "email": "Ann <a@acme.test>"}, 400, "email"),
        ({"name": "A", "email": "a@acme.test\nBcc: x@evil.test"}, 400, "email"),
        ({"email": "a@acme.test"}, 422, "name"),
        ({"name": "A", "email": "a@acme.test", "shared": "maybe"}, 422, "shared"),
        ({"name": "A", "email": "a@acme.test", "owner": 3}, 422, "owner"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(api, owner_token, body, status, field):
    got, answer = api.json("POST", "/sender-mailboxes", owner_token, body)
    assert got == status, answer
    assert field in errors_by_field(answer)
    assert not SenderMailbox.objects.exists() and not OutboxMessage.objects.exists()


def test_bad_default_is_400_naming_the_field_and_changes_nothing(api, owner, owner_token):
    pending = add(api, owner_token)[1]
    for value in (pending["id"], 999999):
        status, body = api.json(
            "PATCH", "/me", owner_token, {"default_sender_mailbox_id": value, "full_name": "New"}
        )
        assert status == 400
        assert errors_by_field(body) == {
            "default_sender_mailbox_id": "Choose one of your confirmed sender mailboxes."
        }
        assert User.objects.get(pk=owner.pk).full_name == "Alice Owner"  # all or nothing
    status, body = api.json("PATCH", "/me", owner_token, {"default_sender_mailbox_id": "x"})
    assert status == 422 and "default_sender_mailbox_id" in errors_by_field(body)


def test_shared_mailbox_is_seen_and_used_by_colleagues_only_in_the_same_account(
    api, owner_token, colleague, colleague_token, stranger, stranger_token
):
    shared = add_confirmed(api, owner_token, shared=True)
    private = add_confirmed(api, owner_token, "alice@acme.test")
    pending_shared = add(api, owner_token, "later@acme.test", shared=True)[1]

    listing = api.json("GET", "/sender-mailboxes", colleague_token)[1]
    assert [(m["id"], m["mine"]) for m in listing] == [(shared["id"], False)]
    me = api.json("GET", "/me", colleague_token)[1]
    assert me["sender_mailbox_id"] == shared["id"]
    assert (
        api.json("PATCH", "/me", colleague_token, {"default_sender_mailbox_id": shared["id"]})[0]
        == 200
    )
    assert (
        api.json("PATCH", "/me", colleague_token, {"default_sender_mailbox_id": private["id"]})[0]
        == 400
    )
    # A colleague may not delete or confirm what someone else added.
    status, body = api.json("DELETE", f"/sender-mailboxes/{shared['id']}", colleague_token)
    assert status == 403 and body["detail"]
    for mailbox_id in (private["id"], pending_shared["id"]):
        assert api.json("DELETE", f"/sender-mailboxes/{mailbox_id}", colleague_token)[0] == 404
    assert (
        api.json(
            "POST",
            f"/sender-mailboxes/{pending_shared['id']}/confirm",
            colleague_token,
            {"code": last_code("later@acme.test")},
        )[0]
        == 404
    )

    # Another account sees nothing and reaches nothing; every miss is the same 404.
    assert api.json("GET", "/sender-mailboxes", stranger_token) == (200, [])
    assert api.json("GET", "/me", stranger_token)[1]["sender_mailbox_id"] is None
    missing = api.json("DELETE", "/sender-mailboxes/999999", stranger_token)
    assert missing[0] == 404
    for mailbox_id in (shared["id"], private["id"], pending_shared["id"]):
        assert api.json("DELETE", f"/sender-mailboxes/{mailbox_id}", stranger_token) == missing
        for path, body in (("confirm", {"code": "123456"}), ("resend", None)):
            status, answer = api.json(
                "POST", f"/sender-mailboxes/{mailbox_id}/{path}", stranger_token, body
            )
            assert (status, answer) == missing
        status, body = api.json(
            "PATCH", "/me", stranger_token, {"default_sender_mailbox_id": mailbox_id}
        )
        assert status == 400
    assert SenderMailbox.objects.count() == 3
    assert User.objects.get(pk=stranger.pk).default_sender_mailbox_id is None


def test_delete_clears_the_default_of_everyone(api, owner, owner_token, colleague, colleague_token):
    shared = add_confirmed(api, owner_token, shared=True)
    api.json("PATCH", "/me", colleague_token, {"default_sender_mailbox_id": shared["id"]})
    response = api.call("DELETE", f"/sender-mailboxes/{shared['id']}", owner_token)
    assert response.status_code == 204 and response.content == b""
    assert User.objects.get(pk=colleague.pk).default_sender_mailbox_id is None
    me = api.json("GET", "/me", colleague_token)[1]
    assert me["default_sender_mailbox_id"] is None and me["sender_mailbox_id"] is None
    assert api.json("DELETE", f"/sender-mailboxes/{shared['id']}", owner_token)[0] == 404


def test_needs_a_token(api):
    status, body = api.json("GET", "/sender-mailboxes")
    assert status == 401 and body["detail"]
    assert api.json("POST", "/sender-mailboxes", None, {"name": "x", "email": "a@b.test"})[0] == 401


def test_an_internationalised_domain_is_kept_in_its_ascii_form(api, owner_token):
    got, answer = api.json(
        "POST", "/sender-mailboxes", owner_token, {"name": "B", "email": "info@bücher.example"}
    )
    assert got == 201, answer
    assert SenderMailbox.objects.get().email == "info@xn--bcher-kva.example"
