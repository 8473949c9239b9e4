"""The verbs of the calendar: every write to an event goes through one of these.

Each runs in one transaction. Fields that matter to attendees (RFC 5546 §2.1.4: time,
place, recurrence, status, the participant list) bump SEQUENCE; title or description
edits do not.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User

from .exceptions import Conflict
from .models import Attendee, Event
from .validation import clean_event_fields

EDITABLE_FIELDS = (
    "title",
    "description",
    "location",
    "video_url",
    "start",
    "end",
    "timezone",
    "all_day",
    "transparency",
    "guests_can_see_participants",
    "notify_on_decision",
)
SEQUENCE_FIELDS = ("start", "end", "timezone", "all_day", "location", "recurrence", "status")


def _clean_transparency(value: Any) -> str:
    if value not in Event.Transparency.values:
        raise ValidationError({"transparency": _("Choose busy or free.")})
    return value


def _resolve_colleagues(organizer: User, attendee_ids: Iterable[Any]) -> list[User]:
    """Colleagues of the organizer's account only; a foreign id looks exactly like a missing one."""
    ids: list[int] = []
    for raw in attendee_ids:
        try:
            ids.append(int(raw))
        except (TypeError, ValueError):
            raise ValidationError(
                {"attendee_ids": _("%(value)r is not a user id.") % {"value": raw}}
            ) from None
    ids = list(dict.fromkeys(i for i in ids if i != organizer.pk))
    users = {
        u.pk: u
        for u in User.objects.filter(account_id=organizer.account_id, is_active=True, pk__in=ids)
    }
    missing = [i for i in ids if i not in users]
    if missing:
        raise ValidationError(
            {"attendee_ids": _("No colleague with id %(id)s in your account.") % {"id": missing[0]}}
        )
    return [users[i] for i in ids]


def _check_organizer(event: Event, actor: User) -> None:
    if event.organizer_id != actor.pk:
        raise PermissionDenied(_("Only the organizer can change this event."))


def _lock_calendars(user_ids: Iterable[int]) -> None:
    """Row-lock the people whose busy time this write changes, in id order.

    The booking service holds the same lock while it re-checks a slot, so a booking and
    an event written at the same moment for one person are serialised: the later one
    sees the earlier (invariant 5). NO KEY UPDATE does not block inserts that merely
    reference the user.
    """
    ids = sorted(set(user_ids))
    list(User.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk").values("pk"))


def _refuse_booked(event: Event) -> None:
    """A meeting booked through a booking link may be declined (booking app), not edited."""
    if Event.objects.filter(pk=event.pk, booking__isnull=False).exists():
        raise Conflict(
            _(
                "This meeting was booked through your booking link: it cannot be changed, "
                "only declined (the booker is then told)."
            ),
            code="booked_meeting",
        )


@transaction.atomic
def event_create(
    organizer: User,
    *,
    title: str,
    start: Any,
    end: Any,
    timezone: str | None = None,
    description: str = "",
    location: str = "",
    video_url: str = "",
    all_day: bool = False,
    transparency: str = Event.Transparency.BUSY,
    attendee_ids: Iterable[Any] = (),
    guests_can_see_participants: bool = False,
    notify_on_decision: bool = True,
) -> Event:
    cleaned = clean_event_fields(
        {
            "title": title,
            "description": description,
            "location": location,
            "video_url": video_url,
            "start": start,
            "end": end,
            "timezone": timezone or organizer.timezone,
            "all_day": bool(all_day),
        }
    )
    colleagues = _resolve_colleagues(organizer, attendee_ids)
    _lock_calendars([organizer.pk, *(u.pk for u in colleagues)])
    event = Event.objects.create(
        account_id=organizer.account_id,
        organizer=organizer,
        title=cleaned["title"],
        description=cleaned["description"],
        location=cleaned["location"],
        video_url=cleaned["video_url"],
        start=cleaned["start"],
        end=cleaned["end"],
        timezone=cleaned["timezone"],
        all_day=bool(all_day),
        transparency=_clean_transparency(transparency),
        guests_can_see_participants=bool(guests_can_see_participants),
        notify_on_decision=bool(notify_on_decision),
    )
    Attendee.objects.bulk_create(
        [Attendee(event=event, user=organizer, status=Attendee.Status.ACCEPTED)]
        + [Attendee(event=event, user=u) for u in colleagues]
    )
    return event


@transaction.atomic
def event_update(event: Event, actor: User, **changes: Any) -> Event:
    """Apply the given fields (absent ones keep their value); ``attendee_ids`` replaces colleagues."""
    event = Event.objects.select_for_update().get(pk=event.pk)
    _check_organizer(event, actor)
    _refuse_booked(event)
    if event.is_cancelled:
        raise ValidationError({"status": _("A cancelled event cannot be changed.")})
    _lock_calendars(
        [
            event.organizer_id,
            *event.attendees.filter(user__isnull=False).values_list("user_id", flat=True),
        ]
    )
    unknown = set(changes) - set(EDITABLE_FIELDS) - {"attendee_ids"}
    if unknown:
        field = sorted(unknown)[0]
        raise ValidationError({field: _("This field cannot be changed.")})

    merged = {f: getattr(event, f) for f in EDITABLE_FIELDS}
    merged.update({k: v for k, v in changes.items() if k in EDITABLE_FIELDS})
    if changes.get("all_day") is False and event.all_day and "end" not in changes:
        merged["end"] = merged["start"] + (event.end - event.start)
    cleaned = clean_event_fields(merged)
    cleaned["transparency"] = _clean_transparency(merged["transparency"])
    for flag in ("all_day", "guests_can_see_participants", "notify_on_decision"):
        cleaned[flag] = bool(merged[flag])

    significant = any(getattr(event, f) != cleaned[f] for f in SEQUENCE_FIELDS if f in cleaned)
    for field in EDITABLE_FIELDS:
        setattr(event, field, cleaned[field])

    if "attendee_ids" in changes:
        wanted = {u.pk: u for u in _resolve_colleagues(event.organizer, changes["attendee_ids"])}
        current = {
            a.user_id: a
            for a in event.attendees.filter(user__isnull=False).exclude(user=event.organizer)
        }
        removed = [a.pk for uid, a in current.items() if uid not in wanted]
        added = [u for uid, u in wanted.items() if uid not in current]
        _lock_calendars(u.pk for u in added)
        if removed or added:
            significant = True
            Attendee.objects.filter(pk__in=removed).delete()
            Attendee.objects.bulk_create([Attendee(event=event, user=u) for u in added])
    if significant:
        event.sequence += 1
    event.save()
    return event


@transaction.atomic
def event_cancel(event: Event, actor: User, *, booked_ok: bool = False) -> Event:
    """Cancel rather than delete: the UID and history stay, attendees can be told.

    A booked meeting is cancelled only by the booking app (``booked_ok``), which also
    tells the booker; anyone else gets a Conflict.
    """
    event = Event.objects.select_for_update().get(pk=event.pk)
    _check_organizer(event, actor)
    if not booked_ok:
        _refuse_booked(event)
    if not event.is_cancelled:
        event.status = Event.Status.CANCELLED
        event.sequence += 1
        event.save(update_fields=["status", "sequence", "updated_at"])
    return event


@transaction.atomic
def attendee_respond(event: Event, user: User, status: str) -> Attendee:
    """A colleague answers an invitation from inside the app."""
    if status not in Attendee.Status.values or status == Attendee.Status.NEEDS_ACTION:
        raise ValidationError({"status": _("Choose accepted, tentative or declined.")})
    attendee = Attendee.objects.select_for_update().filter(event=event, user=user).first()
    if attendee is None:
        raise PermissionDenied(_("You are not invited to this event."))
    attendee.status = status
    attendee.save(update_fields=["status"])
    return attendee
