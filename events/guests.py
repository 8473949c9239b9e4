"""External guests: their contacts, their capability tokens, and the free plan's quota.

Tokens (invariant 3). Each guest attendee gets a random 128-bit ``token_salt``. Its two
capability tokens are derived from it with the server's secret::

    link token  = base32(HMAC-SHA256(SECRET_KEY, "rsvp:"  + salt))   # /i/<token>/
    reply token = base32(HMAC-SHA256(SECRET_KEY, "reply:" + salt))   # reply+<token>@INBOUND_DOMAIN

(lower-case, no padding: 52 characters, 256 bits). Only SHA-256 digests of the tokens are
stored and looked up, so a database dump opens no invitation, yet every update mail can
carry the same links again. Rotating ``SECRET_KEY`` therefore kills every guest link.
Removing a guest deletes the attendee row, and with it both digests: the links die at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import languages
from accounts.models import Account, User
from accounts.tokens import derive_token, new_salt
from mail.ical import InvalidCalendarData, validate_email_address

from .exceptions import PlanLimitReached
from .models import Attendee, Event, Guest

#: Events with external guests an account on the free plan may create (ever).
FREE_PLAN_EVENTS_WITH_GUESTS = 10
#: Guests on one event: invitations are rendered and sent by the worker, so a large
#: guest list costs its request inserts, not messages (bench/fanout.py).
MAX_GUESTS_PER_EVENT = 1000
MAX_NAME = 100

_RSVP = "rsvp:"
_REPLY = "reply:"


# --------------------------------------------------------------------------- tokens


def _derive(purpose: str, salt: str) -> str:
    return derive_token(purpose, salt)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token_fields() -> dict[str, str]:
    """Fresh salt and the digests of the tokens derived from it, for a new guest attendee."""
    salt = new_salt()
    return {
        "token_salt": salt,
        "rsvp_digest": token_digest(_derive(_RSVP, salt)),
        "reply_digest": token_digest(_derive(_REPLY, salt)),
    }


def link_token(attendee: Attendee) -> str:
    """The token of the guest's page ``/i/<token>/`` (re-derived, never stored)."""
    return _derive(_RSVP, attendee.token_salt)


def reply_token(attendee: Attendee) -> str:
    """The token of the guest's reply plus-address ``reply+<token>@INBOUND_DOMAIN``."""
    return _derive(_REPLY, attendee.token_salt)


def _by_digest(field: str, token: object) -> Attendee | None:
    if not isinstance(token, str) or not 26 <= len(token) <= 128:
        return None
    return (
        Attendee.objects.select_related("event", "event__organizer", "guest")
        .filter(**{field: token_digest(token)}, guest__isnull=False)
        .first()
    )


def attendee_for_link_token(token: str) -> Attendee | None:
    """The guest attendee a page link opens, or None for an unknown or revoked token.

    Events are never deleted (cancelled ones keep their page, which says so); a removed
    guest's row is gone, so its token finds nothing.
    """
    return _by_digest("rsvp_digest", token)


def attendee_for_reply_token(token: str) -> Attendee | None:
    """The guest attendee a reply plus-address belongs to, or None."""
    return _by_digest("reply_digest", token)


def reply_address(attendee: Attendee) -> str | None:
    """``reply+<token>@INBOUND_DOMAIN`` when inbound mail is configured, else None."""
    domain = settings.INBOUND_DOMAIN
    if not domain:
        return None
    return f"reply+{reply_token(attendee)}@{domain}"


def page_url(attendee: Attendee, answer: str | None = None) -> str:
    url = f"{settings.BASE_URL.rstrip('/')}/i/{link_token(attendee)}/"
    return f"{url}?answer={answer}" if answer else url


# --------------------------------------------------------------------------- contacts


@dataclass(frozen=True)
class GuestInput:
    """One guest as the organizer typed it, checked."""

    email: str
    first_name: str
    last_name: str


def _clean_name(value: Any, field: str, errors: dict[str, str]) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[field] = _("Must be text.")
        return ""
    value = value.strip()
    if any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F or c in "\u2028\u2029" for c in value):
        errors[field] = _("Must be one line without control characters.")
    elif len(value) > MAX_NAME:
        errors[field] = _("At most %(limit)d characters (got %(count)d).") % {
            "limit": MAX_NAME,
            "count": len(value),
        }
    return value


def clean_guests(raw: Iterable[Any], organizer: User) -> list[GuestInput]:
    """Check the ``guests`` list of an event write; one ValidationError names every bad item.

    Addresses must be plain ``local@domain`` (nothing that could become a header or an
    iCalendar parameter); they are compared lower-case. An employee of the account is
    invited as a colleague, not as a guest.
    """
    if isinstance(raw, str | bytes | dict) or not isinstance(raw, Iterable):
        raise ValidationError({"guests": _("Give a list of guests.")})
    items = list(raw)
    if len(items) > MAX_GUESTS_PER_EVENT:
        raise ValidationError(
            {"guests": _("At most %(limit)d guests per event.") % {"limit": MAX_GUESTS_PER_EVENT}}
        )
    errors: dict[str, str] = {}
    cleaned: list[GuestInput] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        prefix = f"guests.{index}."
        if isinstance(item, GuestInput):
            item = {"email": item.email, "first_name": item.first_name, "last_name": item.last_name}
        if not isinstance(item, dict):
            errors[f"guests.{index}"] = _("Give e-mail, first_name and last_name.")
            continue
        unknown = set(item) - {"email", "first_name", "last_name"}
        if unknown:
            errors[prefix + sorted(unknown)[0]] = _("Unknown field.")
            continue
        email = item.get("email")
        if not isinstance(email, str) or not email.strip():
            errors[prefix + "email"] = _("An e-mail address is required.")
            email = ""
        else:
            try:
                email = validate_email_address(email.strip(), "email").lower()
            except InvalidCalendarData:
                errors[prefix + "email"] = _("“%(value)s” is not a valid e-mail address.") % {
                    "value": email.strip()[:254]
                }
                email = ""
        first = _clean_name(item.get("first_name"), prefix + "first_name", errors)
        last = _clean_name(item.get("last_name"), prefix + "last_name", errors)
        if email:
            if email in seen:
                errors[prefix + "email"] = _("%(email)s is listed twice.") % {"email": email}
            seen[email] = index
            cleaned.append(GuestInput(email, first, last))
    if seen:
        employees = set(
            User.objects.filter(account_id=organizer.account_id, email__in=list(seen)).values_list(
                "email", flat=True
            )
        )
        for email in sorted(employees):
            errors.setdefault(
                f"guests.{seen[email]}.email",
                _("%(email)s is an employee of your account: invite them as a colleague.")
                % {"email": email},
            )
    if errors:
        raise ValidationError(errors)
    return cleaned


def upsert_guests(account_id: int, guests: list[GuestInput]) -> dict[str, Guest]:
    """The account's contacts for these addresses, created or renamed as typed.

    A name left empty keeps the name the contact already has.
    """
    existing = {
        g.email: g
        for g in Guest.objects.select_for_update().filter(
            account_id=account_id, email__in=[g.email for g in guests]
        )
    }
    missing = [item for item in guests if item.email not in existing]
    if missing:
        # One insert for all new contacts; one a concurrent request has just made is
        # skipped by the database and read back with the others.
        Guest.objects.bulk_create(
            [
                Guest(
                    account_id=account_id,
                    email=item.email,
                    first_name=item.first_name,
                    last_name=item.last_name,
                )
                for item in missing
            ],
            ignore_conflicts=True,
        )
        existing |= {
            g.email: g
            for g in Guest.objects.select_for_update().filter(
                account_id=account_id, email__in=[item.email for item in missing]
            )
        }
        missing_emails = {item.email for item in missing}
    else:
        missing_emails = set()
    result: dict[str, Guest] = {}
    for item in guests:
        guest = existing[item.email]
        if item.email not in missing_emails:
            changed = []
            for field in ("first_name", "last_name"):
                value = getattr(item, field)
                if value and value != getattr(guest, field):
                    setattr(guest, field, value)
                    changed.append(field)
            if changed:
                guest.save(update_fields=[*changed, "updated_at"])
        result[item.email] = guest
    return result


def adopt_organizer_language(guests: list[Guest], organizer: User) -> None:
    """A guest invited for the first time reads in the organizer's language until they choose."""
    fresh = [g for g in guests if not g.language]
    if not fresh:
        return
    language = languages.or_default(organizer.language)
    Guest.objects.filter(pk__in=[g.pk for g in fresh], language="").update(language=language)
    for guest in fresh:
        guest.language = language


def language_of(guest: Guest, organizer: User) -> str:
    """The language of every page and mail for this guest."""
    return languages.supported(guest.language) or languages.or_default(organizer.language)


@transaction.atomic
def choose_language(attendee: Attendee, language: Any) -> Guest:
    """The guest's own choice on their page; every later mail to them uses it."""
    code = languages.clean(language)
    guest = Guest.objects.select_for_update().get(pk=attendee.guest_id)
    if guest.language != code:
        guest.language = code
        guest.save(update_fields=["language", "updated_at"])
    attendee.guest = guest
    return guest


def account_contacts(account_id: int):
    """The account's guests (contacts), ordered by address."""
    return Guest.objects.filter(account_id=account_id).order_by("email")


@transaction.atomic
def rename_guest(actor: User, guest_id: Any, *, first_name: Any, last_name: Any) -> Guest:
    """Any employee of the account corrects a contact's names (the address is the key).

    A contact of another account, or an unknown id, is the same 404. Mail already sent
    keeps the old name; later invitations and updates use the new one.
    """
    try:
        pk = int(guest_id)
    except (TypeError, ValueError):
        raise Http404("No such guest.") from None
    errors: dict[str, str] = {}
    first = _clean_name(first_name, "first_name", errors)
    last = _clean_name(last_name, "last_name", errors)
    if errors:
        raise ValidationError(errors)
    guest = Guest.objects.select_for_update().filter(account_id=actor.account_id, pk=pk).first()
    if guest is None:
        raise Http404("No such guest.")
    guest.first_name, guest.last_name = first, last
    guest.save(update_fields=["first_name", "last_name", "updated_at"])
    return guest


# --------------------------------------------------------------------------- quota


def events_with_guests_used(account: Account) -> int:
    """Events of the account that used a slot of the quota.

    A changed occurrence is part of its series, and a series split off by "this and
    following" is part of the one it came from when that one already had guests (it
    inherits ``guests_first_invited_at``): neither counts again. A split-off series that
    got its first guest itself (the old part had none) counts like any new event.
    """
    return (
        Event.objects.filter(
            account=account, guests_first_invited_at__isnull=False, series__isnull=True
        )
        .exclude(split_from__guests_first_invited_at__isnull=False)
        .count()
    )


def events_with_guests_left(account: Account) -> int | None:
    """How many more events with guests the account may create; None: unlimited (paid)."""
    if account.plan != Account.Plan.FREE:
        return None
    return max(FREE_PLAN_EVENTS_WITH_GUESTS - events_with_guests_used(account), 0)


def claim_guest_quota(event: Event) -> None:
    """Count ``event`` against the free plan's quota the first time it gets a guest.

    Called inside the event's transaction. The account row is locked first, so two
    requests of one account cannot both see the last free slot (invariant 8): the second
    waits, then counts the first. An event counts once and is never given back.
    """
    if event.guests_first_invited_at is not None:
        return
    account = Account.objects.select_for_update().get(pk=event.account_id)
    if account.plan == Account.Plan.FREE:
        used = events_with_guests_used(account)
        if used >= FREE_PLAN_EVENTS_WITH_GUESTS:
            raise PlanLimitReached(
                _(
                    "The free plan allows %(limit)d events with external guests, and your "
                    "account has used them all. Your account admin's plan page says how "
                    "to change the plan."
                )
                % {"limit": FREE_PLAN_EVENTS_WITH_GUESTS}
            )
    event.guests_first_invited_at = timezone.now()
