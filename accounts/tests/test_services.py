import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from accounts.models import Account, ApiToken, User
from accounts.services import (
    add_employee,
    create_account,
    create_api_token,
    revoke_api_token,
    update_preferences,
    user_for_api_token,
)
from accounts.tokens import digest


def test_create_account_makes_admin_and_token(db):
    account, user, token = create_account("Initech", "Peter@Initech.test", plan="paid")
    assert account.plan == "paid"
    assert user.email == "peter@initech.test" and user.is_account_admin
    assert user_for_api_token(token) == user
    assert ApiToken.objects.get().digest == digest(token)
    assert not ApiToken.objects.filter(digest=token).exists()


def test_create_account_rejects_duplicate_email_and_changes_nothing(owner):
    with pytest.raises(ValidationError) as exc:
        create_account("Copycat", "ALICE@acme.test")
    assert "email" in exc.value.message_dict
    assert Account.objects.filter(name="Copycat").count() == 0


def test_createaccount_command_prints_token_on_last_line(db, capsys):
    call_command("createaccount", "Umbrella", "admin@umbrella.test", "--plan", "paid")
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert user_for_api_token(last_line).email == "admin@umbrella.test"


def test_createaccount_command_reports_bad_email(db):
    with pytest.raises(CommandError, match="email: Enter a valid e-mail address"):
        call_command("createaccount", "Umbrella", "not-an-address")


def test_admin_adds_employee_in_own_account(owner):
    user = add_employee(owner, email="carol@acme.test", full_name="Carol  New")
    assert user.account_id == owner.account_id and user.full_name == "Carol New"
    assert not user.has_usable_password()


def test_non_admin_cannot_add_employee(colleague):
    with pytest.raises(PermissionDenied):
        add_employee(colleague, email="eve@acme.test", full_name="Eve")
    assert not User.objects.filter(email="eve@acme.test").exists()


def test_adding_an_address_of_another_account_says_only_it_exists(owner, stranger):
    with pytest.raises(ValidationError) as exc:
        add_employee(owner, email=stranger.email, full_name="Sam")
    assert exc.value.message_dict["email"] == ["An employee with this e-mail already exists."]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timezone", "Mars/Olympus"),
        ("language", "xx"),
        ("working_hours", {"mon": [["18:00", "09:00"]]}),
        ("full_name", "   "),
    ],
)
def test_update_preferences_names_the_bad_field_and_changes_nothing(owner, field, value):
    before = User.objects.get(pk=owner.pk)
    with pytest.raises(ValidationError) as exc:
        update_preferences(
            owner,
            **{field: value, "full_name": "Renamed"} if field != "full_name" else {field: value},
        )
    assert field in exc.value.message_dict
    after = User.objects.get(pk=owner.pk)
    assert (after.full_name, after.timezone, after.language, after.working_hours) == (
        before.full_name,
        before.timezone,
        before.language,
        before.working_hours,
    )


def test_update_preferences_normalises_working_hours(owner):
    user = update_preferences(
        owner, working_hours={"mon": [["13:00", "18:00"], ["09:00", "12:00"]], "sat": []}
    )
    assert user.working_hours["mon"] == [["09:00", "12:00"], ["13:00", "18:00"]]


def test_revoked_token_stops_working(owner):
    token, raw = create_api_token(owner, "laptop")
    revoke_api_token(owner, token.pk)
    assert user_for_api_token(raw) is None


def test_cannot_revoke_someone_elses_token(owner, stranger):
    token, raw = create_api_token(owner, "laptop")
    from django.http import Http404

    with pytest.raises(Http404):
        revoke_api_token(stranger, token.pk)
    assert user_for_api_token(raw) == owner


def test_inactive_employee_token_is_refused(owner):
    _token, raw = create_api_token(owner, "laptop")
    User.objects.filter(pk=owner.pk).update(is_active=False)
    assert user_for_api_token(raw) is None
