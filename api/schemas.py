"""Shapes of the API: what comes in (typed, checked for form) and what goes out.

Input schemas check *form* only (types, required fields, an offset on every instant,
unknown fields); an input that breaks one of them gets a 422 naming the field. The
*rules* (title length, known time zone, end after start, colleagues of the same
account, ...) live in the services, which answer 400 naming the field. Nothing is
written before both have passed.

Output is built by the ``*_out`` functions from model instances the selectors loaded
(with their related rows prefetched), so serializing never queries per item.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Annotated, Any, Literal

from django.utils.translation import gettext as _
from ninja import Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from accounts.models import User
from events.guests import MAX_GUESTS_PER_EVENT
from events.models import Attachment, Attendee, Event, Guest
from events.occurrences import Occurrence
from events.validation import clip, out_of_range, outside_supported_years, range_message
from mail.senders import sender_for
from scheduling.intervals import Interval
from scheduling.recurrence import MAX_EXDATES

#: The longest range one list or free/busy request may cover.
MAX_RANGE = dt.timedelta(days=366)
#: The most employees one free/busy request may ask about.
MAX_FREEBUSY_USERS = 50
#: Colleagues on one event (guests have their own limit, MAX_GUESTS_PER_EVENT).
MAX_ATTENDEES = 200
_MAX_ID = 2**63 - 1


def _require_offset(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise PydanticCustomError(
            "naive_datetime",
            _("Give a UTC offset (e.g. 2026-05-04T09:00:00+02:00); naive times are ambiguous."),
        )
    return value


def _within_supported_years(value: dt.datetime) -> dt.datetime:
    if out_of_range(value):
        raise PydanticCustomError("instant_range", range_message())
    return value


#: An instant in ISO 8601 *with* a UTC offset, in the years 1900-2200; a naive time or
#: one outside those years is refused (422).
Instant = Annotated[
    dt.datetime, AfterValidator(_require_offset), AfterValidator(_within_supported_years)
]
#: The end of a range to read: like ``Instant``, but moved into the supported years.
RangeInstant = Annotated[dt.datetime, AfterValidator(_require_offset), AfterValidator(clip)]


#: A database id: positive and within a 64-bit integer.
Id = Annotated[int, Field(ge=1, le=_MAX_ID)]


def _split_commas(value: Any) -> Any:
    """``?users=1,2`` and ``?users=1&users=2`` both become ``["1", "2"]``."""
    items = value if isinstance(value, list) else [value]
    out: list[Any] = []
    for item in items:
        if isinstance(item, str):
            out.extend(part.strip() for part in item.split(",") if part.strip())
        else:
            out.append(item)
    return out


class _Input(Schema):
    # An unknown field is an error, not silently dropped: a typo must not look like success.
    model_config = ConfigDict(extra="forbid")


# --- errors --------------------------------------------------------------------------------


class FieldErrorOut(Schema):
    field: str | None = Field(
        description="The input field, dotted for nested ones; null: the whole input."
    )
    message: str


class ErrorOut(Schema):
    """The one shape of every error (see api/errors.py); a 409 (and a 403 caused by the
    plan) also has ``code``."""

    detail: str
    errors: list[FieldErrorOut]
    code: str | None = Field(
        None,
        description=(
            "On 409: what the conflict is (e.g. sender_mailbox_required); on a 403 that the "
            "plan causes: plan_limit_reached."
        ),
    )


def answers(ok: int, schema: Any, *errors: int) -> dict[int, Any]:
    """The ``response=`` of an operation: its success and the errors it can give.

    Every operation can also answer 401 (no valid token) and 429 (slow down).
    """
    return {ok: schema, **{code: ErrorOut for code in sorted({401, 429, *errors})}}


# --- ranges (query strings) -------------------------------------------------------------


class RangeQuery(Schema):
    start: RangeInstant = Field(
        description="Start of the range, ISO 8601 with offset (read within 1900-2200)."
    )
    end: RangeInstant = Field(description="End of the range (exclusive), at most 366 days later.")

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: dt.datetime, info: Any) -> dt.datetime:
        start = info.data.get("start")
        if start is not None:
            if end <= start and not outside_supported_years(start, end):
                raise PydanticCustomError("range_order", _("The end must be after the start."))
            if end - start > MAX_RANGE:
                raise PydanticCustomError(
                    "range_length",
                    _("The range may cover at most %(days)d days.") % {"days": MAX_RANGE.days},
                )
        return end


class EventsQuery(RangeQuery):
    include_cancelled: bool = Field(False, description="Also list cancelled events.")


class ScopeQuery(Schema):
    """Which part of a recurring event a change or cancellation is for."""

    scope: Literal["all", "this", "following"] = Field(
        "all",
        description=(
            "all: the whole series (or a single event); this: one occurrence; following: "
            "that occurrence and the later ones (the series is split)."
        ),
    )
    occurrence: Instant | None = Field(
        None,
        description=(
            "The occurrence's original start (its recurrence_id), ISO 8601 with offset; "
            "required for this/following unless the id is a changed occurrence's."
        ),
    )


class FreeBusyQuery(RangeQuery):
    users: Annotated[
        list[Id], BeforeValidator(_split_commas), Field(min_length=1, max_length=MAX_FREEBUSY_USERS)
    ] = Field(description="Employee ids of your account, comma-separated: users=3,7")


# --- people --------------------------------------------------------------------------------


class AccountOut(Schema):
    id: int
    name: str
    plan: Literal["free", "paid"]


class MeOut(Schema):
    id: int
    email: str
    full_name: str
    timezone: str
    language: str
    event_mail: bool = Field(
        description="E-mail me when a colleague invites me, or changes or cancels an event I am in."
    )
    wants_reminders: bool = Field(
        description="E-mail me reminders before my meetings that have reminders set."
    )
    joint_links_ok: bool = Field(
        description="Colleagues may put me on their joint and round-robin booking links."
    )
    working_hours: dict[str, list[list[str]]]
    account: AccountOut
    is_account_admin: bool
    default_sender_mailbox_id: int | None = Field(
        description="My chosen sender mailbox (see /sender-mailboxes), or null."
    )
    sender_mailbox_id: int | None = Field(
        description="The mailbox my invitations go out From now: the default, else my only "
        "usable one; null when I must add, confirm or choose one."
    )


class MePatch(_Input):
    """Every field optional; an absent field keeps its value, ``null`` is refused."""

    full_name: str = None  # type: ignore[assignment]
    timezone: str = None  # type: ignore[assignment]
    language: str = None  # type: ignore[assignment]
    event_mail: bool = None  # type: ignore[assignment]
    wants_reminders: bool = None  # type: ignore[assignment]
    joint_links_ok: bool = None  # type: ignore[assignment]
    working_hours: dict[str, list[list[str]]] = Field(
        None,  # type: ignore[arg-type]
        description='Local wall-clock ranges per weekday: {"mon": [["09:00", "18:00"]], ...}',
    )
    default_sender_mailbox_id: Id | None = Field(
        None, description="A confirmed sender mailbox I may use; null clears the choice."
    )


class UserOut(Schema):
    id: int
    email: str
    full_name: str
    timezone: str
    language: str
    is_account_admin: bool


class UserIn(_Input):
    email: str
    full_name: str
    timezone: str | None = Field(None, description="IANA zone; the admin's own by default.")
    language: str = "en"
    is_account_admin: bool = False
    password: str | None = Field(
        None, description="Optional; without it the employee cannot sign in with a password yet."
    )


def me_out(user: User) -> dict[str, Any]:
    account = user.account
    return {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "timezone": user.timezone,
        "language": user.language,
        "event_mail": user.event_mail,
        "wants_reminders": user.wants_reminders,
        "joint_links_ok": user.joint_links_ok,
        "working_hours": user.working_hours,
        "account": {"id": account.pk, "name": account.name, "plan": account.plan},
        "is_account_admin": user.is_account_admin,
        "default_sender_mailbox_id": user.default_sender_mailbox_id,
        "sender_mailbox_id": getattr(sender_for(user), "pk", None),
    }


def user_out(user: User) -> dict[str, Any]:
    return {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "timezone": user.timezone,
        "language": user.language,
        "is_account_admin": user.is_account_admin,
    }


# --- events --------------------------------------------------------------------------------


class PersonOut(Schema):
    id: int
    name: str
    email: str


class AttendeeOut(Schema):
    user_id: int | None = Field(description="The employee's id; null for a guest.")
    email: str
    name: str
    kind: Literal["employee", "guest"]
    status: Literal["needs-action", "accepted", "tentative", "declined", "delegated"]
    delegated_to: str = Field(
        "", description="Whom a guest delegated the invitation to (status delegated)."
    )


class GuestIn(_Input):
    """An external guest, invited by e-mail; the address is the key (case-insensitive)."""

    email: str
    first_name: str = ""
    last_name: str = ""


class GuestOut(Schema):
    """One of the account's e-mail contacts (guests are never users)."""

    id: int
    email: str
    first_name: str
    last_name: str
    name: str
    created_at: dt.datetime
    updated_at: dt.datetime


class AttachmentOut(Schema):
    id: int
    filename: str = Field(description="The original name, cleaned; downloads use it.")
    content_type: str = Field(description="Guessed from the name; risky types download as bytes.")
    size: int = Field(description="Bytes.")
    created_at: dt.datetime


class EventOut(Schema):
    id: int
    uid: str
    title: str
    description: str
    location: str
    video_url: str
    start: dt.datetime = Field(description="UTC instant.")
    end: dt.datetime = Field(description="UTC instant (exclusive).")
    timezone: str = Field(description="IANA zone the event is planned in.")
    all_day: bool
    recurrence: str | None = Field(
        description="RRULE text (canonical, without RRULE:) on a series, else null."
    )
    exdates: list[dt.datetime] = Field(
        description="Starts (UTC) of occurrences taken out of the series (EXDATE)."
    )
    series_id: int | None = Field(
        description="The series this event or occurrence belongs to (its own id for a "
        "series); null for a single event."
    )
    recurrence_id: dt.datetime | None = Field(
        description="The occurrence's original start (UTC), on an occurrence or a changed "
        "occurrence; null otherwise."
    )
    status: Literal["confirmed", "tentative", "cancelled"]
    sequence: int
    transparency: Literal["busy", "free"]
    organizer: PersonOut
    attendees: list[AttendeeOut]
    guests_can_see_participants: bool
    notify_on_decision: bool
    reminders: list[int] = Field(description="E-mail reminders, minutes before each occurrence.")
    attachments: list[AttachmentOut] = Field(
        description="Files attached by the organizer (see /events/{id}/attachments)."
    )


class EventIn(_Input):
    title: str
    start: Instant
    end: Instant
    timezone: str | None = Field(None, description="IANA zone; your own by default.")
    description: str = ""
    location: str = ""
    video_url: str = ""
    all_day: bool = False
    transparency: Literal["busy", "free"] = "busy"
    reminders: list[int] = Field(
        default_factory=list,
        description="E-mail reminders to guests (and to colleagues who want them): up to 3 "
        "of 10, 15, 30, 60, 120, 1440, 2880 minutes before.",
    )
    attendee_ids: list[Id] = Field(
        default_factory=list, max_length=MAX_ATTENDEES, description="Colleagues to invite."
    )
    guests: list[GuestIn] = Field(
        default_factory=list,
        max_length=MAX_GUESTS_PER_EVENT,
        description=(
            "External guests to invite by e-mail (needs a confirmed sender mailbox: 409 "
            "sender_mailbox_required; on the free plan at most 10 events with guests: 403 "
            "plan_limit_reached)."
        ),
    )
    guests_can_see_participants: bool = False
    notify_on_decision: bool = True
    recurrence: str | None = Field(
        None,
        description="RRULE text, e.g. FREQ=WEEKLY;BYDAY=MO;COUNT=10; start must be the first "
        "occurrence (DAILY to YEARLY; COUNT ≤ 1000). 400 naming recurrence when refused.",
    )
    exdates: list[Instant] = Field(
        default_factory=list,
        max_length=MAX_EXDATES,
        description=f"Occurrence starts to leave out (at most {MAX_EXDATES}).",
    )


class EventPatch(_Input):
    """Every field optional; an absent field keeps its value, ``null`` is refused.

    ``attendee_ids``, when given, replaces the invited colleagues; ``guests`` replaces the
    external guests (a guest left out gets a cancellation, a new one an invitation).
    """

    title: str = None  # type: ignore[assignment]
    start: Instant = None  # type: ignore[assignment]
    end: Instant = None  # type: ignore[assignment]
    timezone: str = None  # type: ignore[assignment]
    description: str = None  # type: ignore[assignment]
    location: str = None  # type: ignore[assignment]
    video_url: str = None  # type: ignore[assignment]
    all_day: bool = None  # type: ignore[assignment]
    transparency: Literal["busy", "free"] = None  # type: ignore[assignment]
    attendee_ids: list[Id] = Field(None, max_length=MAX_ATTENDEES)  # type: ignore[arg-type]
    guests: list[GuestIn] = Field(None, max_length=MAX_GUESTS_PER_EVENT)  # type: ignore[arg-type]
    guests_can_see_participants: bool = None  # type: ignore[assignment]
    notify_on_decision: bool = None  # type: ignore[assignment]
    reminders: list[int] = Field(None, description="Replaces the reminders.")  # type: ignore[arg-type]
    recurrence: str | None = Field(
        None, description="RRULE text; null stops the repetition (scope all only)."
    )
    exdates: list[Instant] = Field(None, max_length=MAX_EXDATES)  # type: ignore[arg-type]


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)


def attendee_out(attendee: Attendee) -> dict[str, Any]:
    """Uses ``attendee.user`` / ``attendee.guest``: load them with the attendee."""
    if attendee.guest_id:
        guest = attendee.guest
        return {
            "user_id": None,
            "email": guest.email,
            "name": guest.name,
            "kind": "guest",
            "status": attendee.status,
            "delegated_to": attendee.delegated_to,
        }
    user = attendee.user
    return {
        "user_id": attendee.user_id,
        "email": user.email if user else "",
        "name": user.full_name if user else "",
        "kind": "employee",
        "status": attendee.status,
    }


def guest_out(guest: Guest) -> dict[str, Any]:
    return {
        "id": guest.pk,
        "email": guest.email,
        "first_name": guest.first_name,
        "last_name": guest.last_name,
        "name": guest.name,
        "created_at": guest.created_at,
        "updated_at": guest.updated_at,
    }


def event_out(event: Event, occurrence: Occurrence | None = None) -> dict[str, Any]:
    """Uses ``event.organizer`` and ``event.attendees.all()``: load them with the event.

    With ``occurrence`` (one happening of ``event`` in a listed range) ``start``, ``end``
    and ``recurrence_id`` are that occurrence's; ``id`` stays the row's (the series, or
    the changed occurrence's own row).
    """
    organizer = event.organizer
    start, end = event.start, event.end
    recurrence_id = event.recurrence_id
    if occurrence is not None:
        start, end, recurrence_id = occurrence.start, occurrence.end, occurrence.recurrence_id
    series_id = event.series_id or (event.pk if event.recurrence else None)
    return {
        "id": event.pk,
        "uid": event.uid,
        "title": event.title,
        "description": event.description,
        "location": event.location,
        "video_url": event.video_url,
        "start": _utc(start),
        "end": _utc(end),
        "timezone": event.timezone,
        "all_day": event.all_day,
        "recurrence": event.recurrence or None,
        "exdates": [_utc(dt.datetime.fromisoformat(d)) for d in event.exdates or ()],
        "series_id": series_id,
        "recurrence_id": _utc(recurrence_id) if recurrence_id else None,
        "status": event.status,
        "sequence": event.sequence,
        "transparency": event.transparency,
        "reminders": event.reminders,
        "organizer": {"id": organizer.pk, "name": organizer.full_name, "email": organizer.email},
        "attendees": [attendee_out(a) for a in event.attendees.all()],
        "guests_can_see_participants": event.guests_can_see_participants,
        "notify_on_decision": event.notify_on_decision,
        "attachments": [attachment_out(a) for a in event.attachments.all()],
    }


def attachment_out(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "created_at": attachment.created_at,
    }


# --- free/busy -----------------------------------------------------------------------------


class IntervalOut(Schema):
    start: dt.datetime
    end: dt.datetime


class UserBusyOut(Schema):
    user_id: int
    busy: list[IntervalOut]


class FreeBusyOut(Schema):
    start: dt.datetime
    end: dt.datetime
    users: list[UserBusyOut]


def freebusy_out(
    user_ids: Iterable[int],
    busy: dict[int, list[Interval]],
    start: dt.datetime,
    end: dt.datetime,
) -> dict[str, Any]:
    """Users in the order asked for; each one's busy time merged, clipped to the range."""
    return {
        "start": _utc(start),
        "end": _utc(end),
        "users": [
            {
                "user_id": uid,
                "busy": [{"start": iv.start, "end": iv.end} for iv in busy.get(uid, [])],
            }
            for uid in user_ids
        ],
    }
