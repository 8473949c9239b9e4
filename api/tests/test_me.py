"""/me: the employee holding the token reads and changes their own preferences."""

from __future__ import annotations

import pytest

from accounts.models import User

from .conftest import errors_by_field


def _prefs(user: User) -> tuple:
    user = User.objects.get(pk=user.pk)
    return (user.full_name, user.timezone, user.language, user.working_hours)


def test_get_me(api, owner, owner_token):
    status, body = api.json("GET", "/me", owner_token)
    assert status == 200
    assert body == {
        "id": owner.pk,
        "email": "alice@acme.test",
        "full_name": "Alice Owner",
        "timezone": "Europe/Berlin",
        "language": "en",
        "event_mail": True,
        "wants_reminders": False,
        "joint_links_ok": True,
        "working_hours": owner.working_hours,
        "account": {"id": owner.account_id, "name": "Acme", "plan": "free"},
        "is_account_admin": True,
        "default_sender_mailbox_id": None,
        "sender_mailbox_id": None,
    }


def test_each_token_sees_only_its_own_employee(api, colleague, colleague_token, stranger_token):
    assert api.json("GET", "/me", colleague_token)[1]["email"] == "bob@acme.test"
    body = api.json("GET", "/me", stranger_token)[1]
    assert body["email"] == "sam@globex.test" and body["account"]["name"] == "Globex"


def test_patch_me_changes_only_the_given_fields(api, owner, owner_token):
    hours = {"mon": [["08:00", "12:00"], ["13:00", "17:00"]], "fri": [["09:00", "13:00"]]}
    status, body = api.json(
        "PATCH", "/me", owner_token, {"timezone": "Asia/Tokyo", "working_hours": hours}
    )
    assert status == 200, body
    assert body["timezone"] == "Asia/Tokyo"
    assert body["full_name"] == "Alice Owner"  # absent: kept
    assert body["working_hours"]["mon"] == [["08:00", "12:00"], ["13:00", "17:00"]]
    assert body["working_hours"]["tue"] == []  # a day not given is a day off
    owner.refresh_from_db()
    assert owner.timezone == "Asia/Tokyo" and owner.working_hours == body["working_hours"]


def test_patch_me_language(api, owner, owner_token):
    status, body = api.json("PATCH", "/me", owner_token, {"language": "de"})
    assert status == 200 and body["language"] == "de"


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"timezone": "Mars/Olympus"}, 400, "timezone"),
        ({"language": "xx"}, 400, "language"),
        ({"full_name": "   "}, 400, "full_name"),
        ({"full_name": "x" * 201}, 400, "full_name"),
        ({"working_hours": {"mon": [["18:00", "09:00"]]}}, 400, "working_hours"),
        ({"working_hours": {"mon": [["09:00", "25:00"]]}}, 400, "working_hours"),
        ({"working_hours": {"mon": "all day"}}, 422, "working_hours.mon"),
        ({"timezone": None}, 422, "timezone"),
        ({"full_name": 42}, 422, "full_name"),
        ({"email": "evil@acme.test"}, 422, "email"),
        ({"is_account_admin": True}, 422, "is_account_admin"),
    ],
)
def test_bad_preferences_name_the_field_and_change_nothing(
    api, owner, owner_token, payload, status, field
):
    before = _prefs(owner)
    got_status, body = api.json("PATCH", "/me", owner_token, payload)
    assert got_status == status, body
    assert field in errors_by_field(body), body
    assert _prefs(owner) == before


def test_one_bad_field_rejects_the_whole_patch(api, owner, owner_token):
    before = _prefs(owner)
    status, body = api.json(
        "PATCH", "/me", owner_token, {"full_name": "New Name", "timezone": "Nowhere/Land"}
    )
    assert status == 400 and set(errors_by_field(body)) == {"timezone"}
    assert _prefs(owner) == before
