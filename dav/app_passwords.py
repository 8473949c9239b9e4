"""App passwords: what a phone's or desktop's calendar app signs in to CalDAV with.

The web password is never accepted by CalDAV: a calendar app keeps its password on the
device, often for years, so each device gets its own random one, named after it and
revocable alone. Only a digest is stored; the password is shown once.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.tokens import digest

from .models import AppPassword

#: An employee rarely has more than a few devices; a cap keeps a script from piling up
#: thousands of live credentials.
MAX_PER_USER = 50
#: Letters and digits that cannot be mistaken for each other when typed from a screen.
ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
#: 28 characters of 32 = 140 random bits, typed in groups of four.
LENGTH = 28
GROUP = 4


def _new_password() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def _canonical(password: str) -> str:
    """What was typed, without the dashes and spaces a person may add or leave out."""
    return "".join(password.split()).replace("-", "").lower()


def _clean_name(value: Any) -> str:
    name = value.strip() if isinstance(value, str) else ""
    if not name:
        raise ValidationError({"name": _("Name the device, e.g. “Maria's iPhone”.")})
    if len(name) > 100:
        raise ValidationError({"name": _("At most 100 characters.")})
    return name


@transaction.atomic
def create_app_password(user: User, name: Any) -> tuple[AppPassword, str]:
    """The stored row and the password itself, which exists only in this return value."""
    name = _clean_name(name)
    # Lock the employee so that two requests at once cannot both pass the cap.
    User.objects.select_for_update().filter(pk=user.pk).first()
    if AppPassword.objects.filter(user=user).count() >= MAX_PER_USER:
        raise ValidationError(
            {"name": _("You have %(n)d app passwords; revoke one first.") % {"n": MAX_PER_USER}}
        )
    password = _new_password()
    row = AppPassword.objects.create(user=user, name=name, digest=digest(_canonical(password)))
    return row, password


def revoke_app_password(user: User, password_id: int) -> None:
    """Delete it; the device is refused from its next request on. Someone else's id is
    the same 404 as a missing one."""
    deleted, _kinds = AppPassword.objects.filter(pk=password_id, user=user).delete()
    if not deleted:
        raise Http404("No such app password.")


def user_for_app_password(username: str, password: str) -> User | None:
    """The active employee whose user name (e-mail) and app password these are, or None.

    Both must match: a password found under another user name is refused, so that a
    leaked list of user names and a lucky password together still open nothing.
    """
    canonical = _canonical(password)
    if len(canonical) != LENGTH or not username or len(username) > 254:
        return None
    row = (
        AppPassword.objects.select_related("user", "user__account")
        .filter(digest=digest(canonical), user__is_active=True)
        .first()
    )
    if row is None or row.user.email.lower() != username.strip().lower():
        return None
    now = timezone.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        AppPassword.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user
