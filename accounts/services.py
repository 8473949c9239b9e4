"""Verbs for accounts, employees and API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from events.validation import validate_time_zone

from .addresses import InvalidAddress, normalize_address
from .emails import queue_welcome_mail
from .models import Account, ApiToken, User
from .tokens import digest, new_token

TOKEN_PREFIX = "rdv_"


def _clean_email(email: Any) -> str:
    if not isinstance(email, str) or not email.strip():
        raise ValidationError({"email": _("This field is required.")})
    try:
        return normalize_address(email.strip()).lower()
    except InvalidAddress:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from None


def _clean_full_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValidationError({"full_name": _("This field is required.")})
    name = " ".join(name.split())
    if len(name) > 200:
        raise ValidationError({"full_name": _("At most 200 characters.")})
    return name


def _clean_language(language: Any) -> str:
    from .languages import clean

    return clean(language)


def _clean_working_hours(hours: Any) -> dict:
    from scheduling.hours import format_weekly_hours, parse_weekly_hours

    if not isinstance(hours, dict):
        raise ValidationError({"working_hours": _("Give an object with days mon…sun.")})
    try:
        return format_weekly_hours(parse_weekly_hours(hours))
    except ValueError as exc:
        raise ValidationError({"working_hours": str(exc)}) from None


@transaction.atomic
def create_account(
    name: str,
    admin_email: str,
    *,
    plan: str = Account.Plan.FREE,
    password: str | None = None,
    full_name: str | None = None,
    timezone_name: str = "UTC",
) -> tuple[Account, User, str]:
    """A new company with its first employee, an account admin; returns that admin's API token."""
    if not isinstance(name, str) or not name.strip():
        raise ValidationError({"name": _("This field is required.")})
    if plan not in Account.Plan.values:
        raise ValidationError({"plan": _("Choose free or paid.")})
    email = _clean_email(admin_email)
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("An employee with this e-mail already exists.")})
    validate_time_zone(timezone_name)
    account = Account.objects.create(name=name.strip(), plan=plan)
    user = User.objects.create_user(
        email,
        password,
        account=account,
        full_name=_clean_full_name(full_name or email.split("@")[0]),
        timezone=timezone_name,
        is_account_admin=True,
    )
    _token, raw = create_api_token(user, "createaccount")
    return account, user, raw


@transaction.atomic
def add_employee(
    admin: User,
    *,
    email: str,
    full_name: str,
    password: str | None = None,
    timezone_name: str | None = None,
    language: str = "en",
    is_account_admin: bool = False,
) -> User:
    if not admin.is_account_admin:
        raise PermissionDenied(_("Only an account admin can add employees."))
    email = _clean_email(email)
    full_name = _clean_full_name(full_name)
    tz = timezone_name or admin.timezone
    validate_time_zone(tz)
    language = _clean_language(language)
    if User.objects.filter(email__iexact=email).exists():
        # Deliberately the same text whether the address is in this account or another.
        raise ValidationError({"email": _("An employee with this e-mail already exists.")})
    if password:
        try:
            validate_password(password)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from None
    employee = User.objects.create_user(
        email,
        password,
        account_id=admin.account_id,
        full_name=full_name,
        timezone=tz,
        language=language,
        is_account_admin=bool(is_account_admin),
    )
    # Same transaction: the employee and the mail that lets them set a password exist
    # together or not at all, whichever way (page, API, command) they were added.
    queue_welcome_mail(employee, invited_by=admin)
    return employee


@transaction.atomic
def update_preferences(user: User, **changes: Any) -> User:
    """Change the employee's own settings; absent fields keep their value."""
    allowed = {
        "full_name",
        "timezone",
        "language",
        "working_hours",
        "event_mail",
        "wants_reminders",
        "joint_links_ok",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be changed.")})
    errors: dict[str, Any] = {}
    cleaners = {
        "full_name": _clean_full_name,
        "timezone": lambda v: validate_time_zone(v) and v,
        "language": _clean_language,
        "working_hours": _clean_working_hours,
        "event_mail": _clean_flag,
        "wants_reminders": lambda v: _clean_flag(v, "wants_reminders"),
        "joint_links_ok": lambda v: _clean_flag(v, "joint_links_ok"),
    }
    cleaned = {}
    for field, value in changes.items():
        try:
            cleaned[field] = cleaners[field](value)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    user = User.objects.select_for_update().get(pk=user.pk)
    for field, value in cleaned.items():
        setattr(user, field, value)
    user.save(update_fields=[*cleaned] or None)
    return user


def _clean_flag(value: Any, field: str = "event_mail") -> bool:
    if not isinstance(value, bool):
        raise ValidationError({field: _("Give true or false.")})
    return value


def adopt_browser_language(user: User, browser_language: str | None) -> None:
    """On an employee's first sign-in, their browser's language (of ours) becomes theirs.

    Whoever added them guessed a language; the browser they sign in with is better
    evidence. Later sign-ins never change it: from then on the settings page decides.
    """
    from .languages import supported

    language = supported(browser_language)
    if language is None or user.last_login is not None:
        return
    User.objects.filter(pk=user.pk, last_login__isnull=True).update(language=language)
    user.language = language


def set_plan(account: Account, plan: Any) -> Account:
    """The operator changes an account's plan (``manage.py setplan``, or the admin site).

    Events already counted against the free plan stay counted; going back to free keeps
    them and refuses new events with guests until the count is under the limit again.
    """
    if plan not in Account.Plan.values:
        raise ValidationError({"plan": _("Choose free or paid.")})
    Account.objects.filter(pk=account.pk).update(plan=plan)
    account.plan = plan
    return account


def create_api_token(user: User, name: str) -> tuple[ApiToken, str]:
    """Returns the stored token row and the raw token, which is never stored or shown again."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("This field is required.")})
    if len(name) > 100:
        raise ValidationError({"name": _("At most 100 characters.")})
    raw = new_token(TOKEN_PREFIX)
    token = ApiToken.objects.create(user=user, name=name, digest=digest(raw), prefix=raw[:8])
    return token, raw


def revoke_api_token(user: User, token_id: int) -> None:
    updated = ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if not updated:
        from django.http import Http404

        raise Http404("No such token.")


def user_for_api_token(raw: str) -> User | None:
    """The active employee holding this token, or None. Lookup is by digest only."""
    if not raw or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user", "user__account")
        .filter(digest=digest(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
