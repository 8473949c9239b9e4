"""Sender mailboxes: the addresses invitations are sent From, and how one is proven.

An employee adds a mailbox (display name, address, "available to all employees"); a
6-digit code goes to that address through the outbox; typing the code back proves the
employee reads that mailbox, and only then may mail be sent From it. The code expires
after 10 minutes, allows 5 tries and works once; the database keeps only a keyed hash of
it (HMAC with SECRET_KEY), so a leaked table reveals no usable code.

A confirmed shared mailbox is usable by every employee of its account, never by another
account. Each employee may pick a default; ``sender_for`` is what invitations use.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from accounts.addresses import InvalidAddress, normalize_address
from accounts.models import User
from events.exceptions import Conflict

from .models import MailboxConfirmation, SenderMailbox
from .services import queue_email

CODE_LIFETIME = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 5
#: Codes one mailbox may be sent per hour: the form must not become a way to spam a stranger.
MAX_CODES_PER_HOUR = 5
#: Mailboxes one employee may hold (confirmed or not).
MAX_MAILBOXES_PER_USER = 20
_CODE = re.compile(r"[0-9]{6}\Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


# ------------------------------------------------------------------------------- reads


def visible_mailboxes(user: User) -> QuerySet[SenderMailbox]:
    """What the employee may see: all of their own (confirmed or not) and the confirmed
    shared mailboxes of their account."""
    return (
        SenderMailbox.objects.filter(account_id=user.account_id)
        .filter(Q(owner=user) | Q(shared=True, confirmed_at__isnull=False))
        .select_related("owner")
    )


def usable_mailboxes(user: User) -> QuerySet[SenderMailbox]:
    """Confirmed mailboxes the employee may send From: their own and their account's shared."""
    return SenderMailbox.objects.filter(
        account_id=user.account_id, confirmed_at__isnull=False
    ).filter(Q(owner=user) | Q(shared=True))


def sender_for(user: User) -> SenderMailbox | None:
    """The mailbox an invitation by ``user`` goes out From, or None when there is none.

    The employee's default if it is still usable; otherwise, when exactly one mailbox is
    usable, that one (no choice to make); otherwise None (the caller asks for one).
    """
    usable = usable_mailboxes(user)
    default_id = (
        User.objects.filter(pk=user.pk).values_list("default_sender_mailbox_id", flat=True).first()
    )
    if default_id is not None:
        default = usable.filter(pk=default_id).first()
        if default is not None:
            return default
    candidates = list(usable[:2])
    return candidates[0] if len(candidates) == 1 else None


def _own_mailbox(user: User, mailbox_id: Any, *, lock: bool = False) -> SenderMailbox:
    """The employee's own mailbox; anything else (a colleague's, another account's, a
    missing id) is the same 404."""
    queryset = SenderMailbox.objects.filter(owner=user, account_id=user.account_id)
    if lock:
        queryset = queryset.select_for_update()
    mailbox = queryset.filter(pk=_as_id(mailbox_id)).first()
    if mailbox is None:
        raise Http404("No such sender mailbox.")
    return mailbox


def _parse_id(value: Any) -> int | None:
    """A database id from an int or a string of digits; anything else is None."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        return None
    return value


def _as_id(value: Any) -> int:
    number = _parse_id(value)
    if number is None:
        raise Http404("No such sender mailbox.")
    return number


# ------------------------------------------------------------------------------- input


def _clean_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError({"name": _("This field is required.")})
    if _CONTROL.search(value):
        raise ValidationError({"name": _("Line breaks and control characters are not allowed.")})
    name = " ".join(value.split())
    if len(name) > 200:
        raise ValidationError({"name": _("At most 200 characters.")})
    return name


def _clean_email(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError({"email": _("This field is required.")})
    if _CONTROL.search(value):
        raise ValidationError({"email": _("Enter a valid e-mail address.")})
    try:
        return normalize_address(value.strip()).lower()
    except InvalidAddress:
        raise ValidationError({"email": _("Enter a valid e-mail address.")}) from None


def _clean_shared(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValidationError({"shared": _("Must be true or false.")})
    return value


def _code_digest(mailbox: SenderMailbox, code: str) -> str:
    # Keyed with SECRET_KEY and bound to the mailbox: a 6-digit code's plain SHA-256
    # could be reversed by trying all million codes.
    return salted_hmac("mail.senders.code", f"{mailbox.pk}:{code}", algorithm="sha256").hexdigest()


# ------------------------------------------------------------------------------- verbs


@transaction.atomic
def add_sender_mailbox(user: User, *, name: Any, email: Any, shared: Any = False) -> SenderMailbox:
    """Add an unconfirmed mailbox and e-mail it a confirmation code (through the outbox).

    Adding an address one already added but has not confirmed updates its name and
    switch and sends a fresh code (the earlier codes stop working).
    """
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for field, value, cleaner in (
        ("name", name, _clean_name),
        ("email", email, _clean_email),
        ("shared", shared, _clean_shared),
    ):
        try:
            cleaned[field] = cleaner(value)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)

    # Serialises one employee's additions (the per-user cap and the unique address).
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
    existing = (
        SenderMailbox.objects.select_for_update().filter(owner=user, email=cleaned["email"]).first()
    )
    if existing is not None and existing.is_confirmed:
        raise ValidationError({"email": _("You have already added and confirmed this address.")})
    if existing is None:
        if SenderMailbox.objects.filter(owner=user).count() >= MAX_MAILBOXES_PER_USER:
            raise ValidationError(
                {"email": _("You can add at most %(count)d sender mailboxes.")
                 % {"count": MAX_MAILBOXES_PER_USER}}
            )  # fmt: skip
        mailbox = SenderMailbox.objects.create(
            account_id=user.account_id,
            owner=user,
            name=cleaned["name"],
            email=cleaned["email"],
            shared=cleaned["shared"],
        )
    else:
        mailbox = existing
        mailbox.name = cleaned["name"]
        mailbox.shared = cleaned["shared"]
        mailbox.save(update_fields=["name", "shared"])
    _send_code(mailbox, user)
    return mailbox


@transaction.atomic
def resend_confirmation_code(user: User, mailbox_id: Any) -> SenderMailbox:
    """A fresh code for one's own unconfirmed mailbox (the earlier codes stop working)."""
    mailbox = _own_mailbox(user, mailbox_id, lock=True)
    if mailbox.is_confirmed:
        raise Conflict(_("This mailbox is already confirmed."), code="already_confirmed")
    _send_code(mailbox, user)
    return mailbox


def _send_code(mailbox: SenderMailbox, user: User) -> None:
    """Retire the open codes, store the hash of a new one and queue the mail (one transaction)."""
    now = timezone.now()
    recent = MailboxConfirmation.objects.filter(
        mailbox=mailbox, created_at__gt=now - dt.timedelta(hours=1)
    ).count()
    if recent >= MAX_CODES_PER_HOUR:
        raise ValidationError(
            {"email": _("Too many codes were sent to this address; try again in an hour.")}
        )
    MailboxConfirmation.objects.filter(mailbox=mailbox, used_at__isnull=True).update(used_at=now)
    code = f"{secrets.randbelow(10**6):06d}"
    MailboxConfirmation.objects.create(
        mailbox=mailbox,
        code_digest=_code_digest(mailbox, code),
        expires_at=now + CODE_LIFETIME,
    )
    context = {
        "code": code,
        "mailbox": mailbox,
        "user": user,
        "minutes": int(CODE_LIFETIME.total_seconds() // 60),
        "base_url": settings.BASE_URL.rstrip("/"),
    }
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = _("Your Rendezvous confirmation code: %(code)s") % {"code": code}
        text = render_to_string("mail/email/sender_code.txt", context)
    queue_email(to=[mailbox.email], subject=subject, text=text)


def confirm_sender_mailbox(user: User, mailbox_id: Any, code: Any) -> SenderMailbox:
    """Check the code typed back; on success the mailbox is confirmed and usable.

    A wrong code counts as a try even though the call fails: the count is committed in
    its own transaction before the error is raised. Call it outside any transaction that
    the error would roll back.
    """
    text = "".join(str(code).split()) if isinstance(code, str | int) else ""
    if not _CODE.match(text):
        raise ValidationError({"code": _("Enter the 6-digit code from the e-mail.")})
    error: str | None = None
    with transaction.atomic():
        mailbox = _own_mailbox(user, mailbox_id, lock=True)
        if mailbox.is_confirmed:
            raise Conflict(_("This mailbox is already confirmed."), code="already_confirmed")
        now = timezone.now()
        pending = MailboxConfirmation.objects.filter(mailbox=mailbox, used_at__isnull=True).first()
        if pending is None:
            error = _("There is no open code for this mailbox; ask for a new one.")
        elif pending.expires_at <= now:
            error = _("This code has expired; ask for a new one.")
        elif pending.attempts >= MAX_ATTEMPTS:
            error = _("Too many wrong tries; ask for a new code.")
        else:
            pending.attempts += 1
            if constant_time_compare(pending.code_digest, _code_digest(mailbox, text)):
                pending.used_at = now
                pending.save(update_fields=["attempts", "used_at"])
                mailbox.confirmed_at = now
                mailbox.save(update_fields=["confirmed_at"])
                return mailbox
            pending.save(update_fields=["attempts"])
            left = MAX_ATTEMPTS - pending.attempts
            if left:
                error = translation.ngettext(
                    "This code is not right; %(count)d try left.",
                    "This code is not right; %(count)d tries left.",
                    left,
                ) % {"count": left}
            else:
                error = _("This code is not right, and that was the last try; ask for a new code.")
    raise ValidationError({"code": error})


@transaction.atomic
def delete_sender_mailbox(user: User, mailbox_id: Any) -> None:
    """Delete one's own mailbox; everyone who had it as default loses that default.

    A colleague's shared mailbox is visible but not deletable (403); anything else is 404.
    """
    mailbox = (
        SenderMailbox.objects.select_for_update()
        .filter(pk=_as_id(mailbox_id), account_id=user.account_id)
        .filter(Q(owner=user) | Q(shared=True, confirmed_at__isnull=False))
        .first()
    )
    if mailbox is None:
        raise Http404("No such sender mailbox.")
    if mailbox.owner_id != user.pk:
        raise PermissionDenied(_("Only the employee who added this mailbox can delete it."))
    # The foreign key is SET_NULL; doing it here as well keeps it explicit and in-transaction.
    User.objects.filter(default_sender_mailbox=mailbox).update(default_sender_mailbox=None)
    mailbox.delete()


@transaction.atomic
def set_default_sender_mailbox(user: User, mailbox_id: Any) -> User:
    """Pick the mailbox invitations go out From (``None`` clears the choice).

    Only a usable mailbox can be the default: an unconfirmed one, a colleague's private
    one or another account's are refused with the same message.
    """
    if mailbox_id is None:
        mailbox = None
    else:
        number = _parse_id(mailbox_id)
        mailbox = usable_mailboxes(user).filter(pk=number).first() if number else None
        if mailbox is None:
            raise ValidationError(
                {"default_sender_mailbox_id": _("Choose one of your confirmed sender mailboxes.")}
            )
    locked = User.objects.select_for_update().get(pk=user.pk)
    locked.default_sender_mailbox = mailbox
    locked.save(update_fields=["default_sender_mailbox"])
    user.default_sender_mailbox = mailbox
    return locked
