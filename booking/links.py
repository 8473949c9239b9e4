"""The verbs of a booking link (a meeting type): check and save its settings, switch it
on (minting a token) and off.

A token is derived from a random salt and SECRET_KEY (``accounts.tokens.derive_token``)
and only its digest is stored: minting a new one kills every older link at once.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.tokens import derive_token, digest, new_salt
from events.validation import validate_time_zone
from scheduling.reminders import CHOICES as REMINDER_CHOICES
from scheduling.reminders import MAX_REMINDERS, clean_reminders

from .models import (
    DURATION_CHOICES,
    LINK_TOKEN_PURPOSE,
    MAX_BUFFER_MINUTES,
    MAX_CHANGES_UNTIL_HOURS,
    MAX_DAILY_LIMIT,
    MAX_HORIZON_DAYS,
    MAX_MIN_NOTICE_MINUTES,
    BookingLink,
    LinkMember,
)
from .questions import clean_questions
from .slots import normalize_hours

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: Meeting types per employee.
MAX_TYPES = 20
#: Colleagues on one joint or round-robin link (the owner besides).
MAX_MEMBERS = 20

#: Fields of a link an employee may set; anything else is refused by name.
LINK_FIELDS = (
    "name",
    "duration_minutes",
    "more_durations",
    "questions",
    "location",
    "video",
    "hours",
    "timezone",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "min_notice_minutes",
    "horizon_days",
    "daily_limit",
    "stale_sources_busy",
    "changes_until_hours",
    "reminders",
    "kind",
)


# ---------------------------------------------------------------- the link


def _whole_number(errors: dict, field: str, value: Any, lo: int, hi: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            if isinstance(value, bool) or not isinstance(value, str) or not value.strip():
                raise ValueError
            value = int(value.strip())
        except ValueError:
            errors[field] = _("Enter a whole number.")
            return None
    if not lo <= value <= hi:
        errors[field] = _("Must be between %(lo)d and %(hi)d.") % {"lo": lo, "hi": hi}
        return None
    return value


def clean_link_settings(changes: dict[str, Any]) -> dict[str, Any]:
    """Check the given settings (absent ones keep their value); one error per bad field."""
    errors: dict[str, str] = {}
    unknown = sorted(set(changes) - set(LINK_FIELDS))
    for field in unknown:
        errors[field] = _("This field cannot be set.")
    cleaned: dict[str, Any] = {}
    if "duration_minutes" in changes:
        value = _whole_number(errors, "duration_minutes", changes["duration_minutes"], 1, 10_000)
        if value is not None and value not in DURATION_CHOICES:
            errors["duration_minutes"] = _("Choose one of %(choices)s minutes.") % {
                "choices": ", ".join(str(d) for d in DURATION_CHOICES)
            }
        elif value is not None:
            cleaned["duration_minutes"] = value
    if "name" in changes:
        name = changes["name"]
        if not isinstance(name, str) or len(name.strip()) > 100 or _CONTROL.search(name):
            errors["name"] = _("At most 100 characters on one line.")
        else:
            cleaned["name"] = name.strip()
    if "more_durations" in changes:
        more = changes["more_durations"]
        if more is None:
            more = []
        if not isinstance(more, list | tuple) or any(
            isinstance(d, bool) or d not in DURATION_CHOICES for d in more
        ):
            errors["more_durations"] = _("Choose among %(choices)s minutes.") % {
                "choices": ", ".join(str(d) for d in DURATION_CHOICES)
            }
        else:
            cleaned["more_durations"] = sorted(set(more))
    if "questions" in changes:
        try:
            cleaned["questions"] = clean_questions(changes["questions"])
        except ValidationError as exc:
            errors["questions"] = " ".join(exc.messages)
    if "location" in changes:
        location = changes["location"]
        if location is None:
            location = ""
        if (
            not isinstance(location, str)
            or len(location.strip()) > 500
            or _CONTROL.search(location)
        ):
            errors["location"] = _("At most 500 characters on one line.")
        else:
            cleaned["location"] = location.strip()
    if "video" in changes:
        if not isinstance(changes["video"], bool):
            errors["video"] = _("Must be true or false.")
        else:
            cleaned["video"] = changes["video"]
    if "kind" in changes:
        if changes["kind"] not in BookingLink.Kind.values:
            errors["kind"] = _("Choose one, all or any.")
        else:
            cleaned["kind"] = changes["kind"]
    if "reminders" in changes:
        try:
            cleaned["reminders"] = clean_reminders(changes["reminders"])
        except ValueError:
            errors["reminders"] = _("Up to %(n)d reminders, each one of %(choices)s minutes.") % {
                "n": MAX_REMINDERS,
                "choices": ", ".join(str(c) for c in REMINDER_CHOICES),
            }
    if "hours" in changes:
        if changes["hours"] is None:
            cleaned["hours"] = None  # follow the working hours
        else:
            try:
                cleaned["hours"] = normalize_hours(changes["hours"])
            except ValueError as exc:
                errors["hours"] = str(exc)
    if "timezone" in changes:
        zone = changes["timezone"]
        if zone in (None, ""):
            cleaned["timezone"] = ""  # the employee's own zone
        else:
            try:
                validate_time_zone(zone)
                cleaned["timezone"] = zone
            except ValidationError as exc:
                errors["timezone"] = exc.message_dict["timezone"][0]
    bounds = {
        "buffer_before_minutes": (0, MAX_BUFFER_MINUTES),
        "buffer_after_minutes": (0, MAX_BUFFER_MINUTES),
        "min_notice_minutes": (0, MAX_MIN_NOTICE_MINUTES),
        "horizon_days": (1, MAX_HORIZON_DAYS),
        "changes_until_hours": (0, MAX_CHANGES_UNTIL_HOURS),
    }
    for field, (lo, hi) in bounds.items():
        if field in changes:
            value = _whole_number(errors, field, changes[field], lo, hi)
            if value is not None:
                cleaned[field] = value
    if "daily_limit" in changes:
        if changes["daily_limit"] in (None, ""):
            cleaned["daily_limit"] = None
        else:
            value = _whole_number(errors, "daily_limit", changes["daily_limit"], 1, MAX_DAILY_LIMIT)
            if value is not None:
                cleaned["daily_limit"] = value
    if "stale_sources_busy" in changes:
        if not isinstance(changes["stale_sources_busy"], bool):
            errors["stale_sources_busy"] = _("Must be true or false.")
        else:
            cleaned["stale_sources_busy"] = changes["stale_sources_busy"]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_members(owner: User, member_ids: Any) -> list[User]:
    """Colleagues of the owner's account who agreed to be on joint links; one error
    naming ``member_ids`` otherwise (another account's people are "unknown")."""
    if member_ids is None:
        return []
    if not isinstance(member_ids, list | tuple) or any(
        isinstance(i, bool) or not isinstance(i, int) for i in member_ids
    ):
        raise ValidationError({"member_ids": _("Give the colleagues as a list of ids.")})
    if len(member_ids) > MAX_MEMBERS:
        raise ValidationError(
            {"member_ids": _("At most %(n)d colleagues on one link.") % {"n": MAX_MEMBERS}}
        )
    wanted = set(member_ids) - {owner.pk}
    found = {
        u.pk: u
        for u in User.objects.filter(pk__in=wanted, account_id=owner.account_id, is_active=True)
    }
    unknown = sorted(wanted - set(found))
    if unknown:
        raise ValidationError(
            {"member_ids": _("Unknown colleague: %(ids)s.") % {"ids": ", ".join(map(str, unknown))}}
        )
    refused = sorted(u.full_name or u.email for u in found.values() if not u.joint_links_ok)
    if refused:
        raise ValidationError(
            {
                "member_ids": _("%(names)s chose not to be on colleagues' joint links.")
                % {"names": ", ".join(refused)}
            }
        )
    return sorted(found.values(), key=lambda u: u.pk)


def _set_members(link: BookingLink, members: list[User]) -> None:
    LinkMember.objects.filter(link=link).exclude(user__in=members).delete()
    have = set(LinkMember.objects.filter(link=link).values_list("user_id", flat=True))
    LinkMember.objects.bulk_create(
        [LinkMember(link=link, user=u) for u in members if u.pk not in have]
    )


def _check_team(link: BookingLink) -> None:
    if link.kind != BookingLink.Kind.ONE and not LinkMember.objects.filter(link=link).exists():
        raise ValidationError(
            {"member_ids": _("A joint or round-robin link needs at least one colleague.")}
        )


def _locked(owner: User, link: BookingLink | None) -> BookingLink:
    """The link to change, locked: the one given (the owner's own, not archived), or the
    first meeting type, made when there is none yet."""
    mine = BookingLink.objects.select_for_update().filter(owner=owner, archived_at=None)
    if link is not None:
        found = mine.filter(pk=link.pk).first()
        if found is None:
            raise Http404
        return found
    first = mine.order_by("created_at", "pk").first()
    return first if first is not None else BookingLink.objects.create(owner=owner)


def _mint(link: BookingLink) -> str:
    link.token_salt = new_salt()
    token = derive_token(LINK_TOKEN_PURPOSE, link.token_salt)
    link.token_digest = digest(token)
    link.token_created_at = timezone.now()
    return token


def _check_durations(link: BookingLink) -> None:
    if link.duration_minutes in link.more_durations:
        link.more_durations = [d for d in link.more_durations if d != link.duration_minutes]


@transaction.atomic
def configure_link(
    owner: User,
    changes: dict[str, Any] | None = None,
    *,
    switch_on: bool = False,
    new_link: bool = False,
    link: BookingLink | None = None,
) -> tuple[BookingLink, str | None]:
    """Save settings and/or switch a link on; returns the link and a freshly minted token.

    ``link`` is the meeting type (the owner's first when not given). A token is minted
    when the link was off and ``switch_on`` is asked, or whenever ``new_link`` is: the
    new digest replaces the old one, so every older link dies at once. The minted token
    is returned (and ``link.current_token()`` re-derives it later, so the owner can see
    the link and its QR code again). Settings are checked before anything is written.
    """
    changes = dict(changes or {})
    given_members = "member_ids" in changes
    members = _clean_members(owner, changes.pop("member_ids", None))
    cleaned = clean_link_settings(changes)
    link = _locked(owner, link)
    for field, value in cleaned.items():
        setattr(link, field, value)
    _check_durations(link)
    token = None
    if new_link or (switch_on and not link.is_on):
        token = _mint(link)
    link.save()
    if given_members:
        _set_members(link, members)
    _check_team(link)
    link.owner = owner
    return link, token


@transaction.atomic
def create_meeting_type(owner: User, changes: dict[str, Any]) -> tuple[BookingLink, str]:
    """A new meeting type with its own link, switched on; it needs a name."""
    changes = dict(changes)
    members = _clean_members(owner, changes.pop("member_ids", None))
    cleaned = clean_link_settings(changes)
    if not cleaned.get("name"):
        raise ValidationError({"name": _("Give the meeting type a name, e.g. “Intro call”.")})
    User.objects.select_for_update().filter(pk=owner.pk).values("pk").first()
    if BookingLink.objects.filter(owner=owner, archived_at=None).count() >= MAX_TYPES:
        raise ValidationError(
            {"name": _("You have %(n)d meeting types; remove one first.") % {"n": MAX_TYPES}}
        )
    link = BookingLink(owner=owner, **cleaned)
    _check_durations(link)
    token = _mint(link)
    link.save()
    _set_members(link, members)
    _check_team(link)
    return link, token


@transaction.atomic
def switch_off(owner: User, link: BookingLink | None = None) -> BookingLink | None:
    """Kill the link at once: its token no longer matches anything."""
    mine = BookingLink.objects.select_for_update().filter(owner=owner, archived_at=None)
    link = mine.filter(pk=link.pk).first() if link is not None else mine.first()
    if link is not None and link.is_on:
        link.token_digest = None
        link.token_created_at = None
        link.token_salt = ""
        link.save(update_fields=["token_digest", "token_created_at", "token_salt", "updated_at"])
    return link


@transaction.atomic
def remove_meeting_type(owner: User, link: BookingLink) -> None:
    """The link dies at once and the type leaves every list; its bookings stay (they are
    meetings in calendars). The last type cannot go: there is always a first one."""
    link = _locked(owner, link)
    if not BookingLink.objects.filter(owner=owner, archived_at=None).exclude(pk=link.pk).exists():
        raise ValidationError({"link": _("This is your only meeting type: switch it off instead.")})
    link.token_digest = None
    link.token_created_at = None
    link.token_salt = ""
    link.archived_at = timezone.now()
    link.save()


def public_link_url(token: str) -> str:
    return settings.BASE_URL + reverse("booking:public", args=[token])
