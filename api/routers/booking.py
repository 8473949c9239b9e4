"""Booking links: ``/booking-link`` and ``/bookings`` (the employee), ``/public/booking/…``
(anyone holding a link).

Public operations need no API token (``auth=None``) and are rate-limited per client
address (slot queries and bookings separately, 429 with ``Retry-After``). A token that
is unknown, revoked or malformed is the API's ordinary 404. The booking POST ignores
fields it does not know (``owner``, ``status``, …): a visitor sets only their own
details and the time. It honours ``Idempotency-Key``: a retry gets the first answer and
books nothing twice; the same key with a different body is a 422.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import ConfigDict, field_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from accounts import languages
from booking import selectors, services
from booking.models import Booking, BookingLink
from booking.ratelimit import PublicRateThrottle
from booking.zones import canonical_zone, zone_names
from events.validation import EARLIEST, LATEST, clip, outside_supported_years

from ..schemas import Instant, _Input, answers

router = Router(tags=["booking"])

#: The longest window one slots query may cover.
MAX_SLOTS_RANGE = dt.timedelta(days=62)
DEFAULT_SLOTS_RANGE = dt.timedelta(days=31)


# --- shapes ----------------------------------------------------------------------------------


class QuestionOut(Schema):
    id: str = Field(description="Stable across edits; answers are given by it.")
    label: str
    kind: str = Field(description="short, long, choice or checkbox")
    required: bool
    choices: list[str] = Field(description="The answers offered (kind choice).")


class BookingLinkOut(Schema):
    id: int | None = Field(description="The meeting type (null: never saved yet).")
    name: str = Field(description="The meeting type's name; empty for an unnamed first one.")
    enabled: bool
    url: str | None = Field(description="The public link while it is on (null when off).")
    token_created_at: dt.datetime | None
    duration_minutes: int = Field(description="The default length.")
    more_durations: list[int] = Field(description="Other lengths the booker may choose.")
    durations: list[int] = Field(description="Every length offered, shortest first.")
    questions: list[QuestionOut]
    location: str
    video: bool = Field(description="Each booked meeting gets a video room.")
    hours: dict[str, list[list[str]]] = Field(description="Bookable hours in effect.")
    uses_working_hours: bool
    timezone: str = Field(description="Time zone of the hours in effect.")
    timezone_is_mine: bool
    buffer_before_minutes: int
    buffer_after_minutes: int
    min_notice_minutes: int
    horizon_days: int
    daily_limit: int | None
    stale_sources_busy: bool = Field(
        description="A busy source not read for too long makes the whole window busy."
    )
    changes_until_hours: int = Field(
        description="Bookers may move or cancel until this many hours before (0: until it starts)."
    )
    reminders: list[int] = Field(
        description="E-mails before each booked meeting, in minutes (to the booker; to me "
        "when I want reminders)."
    )
    kind: str = Field(
        description="one: me; all: me and every member at once (the times all are free); "
        "any: one free member, round robin."
    )
    members: list[dict[str, Any]] = Field(description="The colleagues on it: [{id, name}].")


class BookingLinkIn(_Input):
    """Every field optional: absent ones keep their value. PUT also switches the link on."""

    name: str = Field(None, description="The meeting type's name, e.g. “Intro call” (≤ 100).")  # type: ignore[assignment]
    duration_minutes: int = Field(None, description="15, 30, 45, 60, 90 or 120.")  # type: ignore[arg-type]
    more_durations: list[int] | None = Field(
        None, description="Other lengths the booker may choose (same values)."
    )
    questions: list[dict[str, Any]] | None = Field(
        None,
        description="Asked of the booker (≤ 10): {id?, label, kind: short|long|choice|"
        "checkbox, required, choices (kind choice)}. The whole list replaces the old one; "
        "give a question's id to keep it.",
    )
    location: str | None = Field(None, description="The place of the meetings (≤ 500).")
    video: bool = Field(None, description="A video room for each booked meeting.")  # type: ignore[assignment]
    hours: dict[str, list[list[str]]] | None = Field(
        None, description="Weekly ranges like working hours; null: follow my working hours."
    )
    timezone: str | None = Field(None, description="IANA zone of the hours; null: my own.")
    buffer_before_minutes: int = None  # type: ignore[assignment]
    buffer_after_minutes: int = None  # type: ignore[assignment]
    min_notice_minutes: int = None  # type: ignore[assignment]
    horizon_days: int = None  # type: ignore[assignment]
    daily_limit: int | None = Field(None, description="At most this many a day; null: no limit.")
    stale_sources_busy: bool = Field(  # type: ignore[assignment]
        None, description="A busy source not read for too long blocks its whole window (default)."
    )
    changes_until_hours: int = Field(  # type: ignore[assignment]
        None, description="No changes by the booker later than this many hours before (0-720)."
    )
    reminders: list[int] | None = Field(
        None, description="Up to 3 of 10, 15, 30, 60, 120, 1440, 2880 minutes before."
    )
    kind: str = Field(None, description="one, all (joint) or any (round robin).")  # type: ignore[assignment]
    member_ids: list[int] | None = Field(
        None,
        description="Colleagues of a joint or round-robin link (they must allow it); "
        "replaces the list.",
    )
    new_link: bool = Field(False, description="Mint a new link; every older one dies.")


class AnswerOut(Schema):
    question: str = Field(description="The question as it was asked.")
    kind: str
    answer: str | bool


class OwnerBookingOut(Schema):
    id: int
    link_id: int = Field(description="The meeting type it was booked through.")
    event_id: int
    status: str
    start: dt.datetime
    end: dt.datetime
    name: str
    email: str
    phone: str
    comment: str
    answers: list[AnswerOut]
    timezone: str = Field(description="The booker's time zone.")
    moves: int = Field(description="How often the booker moved it.")
    new_time_requested_at: dt.datetime | None = Field(
        description="When you asked the booker for another time (until they chose)."
    )
    created_at: dt.datetime


class PublicLinkOut(Schema):
    owner_name: str
    name: str = Field(description="The meeting type; empty for an unnamed one.")
    duration_minutes: int = Field(description="The default length.")
    durations: list[int] = Field(description="Every length the booker may choose.")
    questions: list[QuestionOut]
    location: str
    timezone: str = Field(description="Time zone of the owner's bookable hours.")
    horizon_days: int
    min_notice_minutes: int


class SlotOut(Schema):
    start: dt.datetime
    end: dt.datetime


class SlotsOut(Schema):
    timezone: str
    duration_minutes: int
    start: dt.datetime
    end: dt.datetime
    slots: list[SlotOut]


def _date_or_instant(value: Any) -> dt.date | dt.datetime | None:
    """``2026-03-08`` (a date: midnight in ``tz``) or an ISO instant *with* its offset."""
    if value is None or isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise PydanticCustomError(
            "date_or_instant", _("Give a date (2026-03-08) or an ISO instant with offset.")
        ) from None
    if parsed.utcoffset() is None:
        raise PydanticCustomError(
            "naive_datetime",
            _("Give a UTC offset (e.g. 2026-05-04T09:00:00+02:00); naive times are ambiguous."),
        )
    return parsed


class SlotsQuery(Schema):
    start: str | None = Field(
        None, description="ISO instant with offset, or a date (midnight in tz). Default: now."
    )
    end: str | None = Field(
        None, description="Exclusive; at most 62 days after start. Default: start + 31 days."
    )
    tz: str | None = Field(
        None, description="IANA zone for dates and answers; default: the owner's."
    )
    duration: int | None = Field(
        None, description="One of the link's lengths (minutes); default: its default."
    )

    @field_validator("start", "end", mode="after")
    @classmethod
    def _parse(cls, value: str | None) -> Any:
        return _date_or_instant(value)

    @field_validator("tz")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None and value not in zone_names():
            raise PydanticCustomError(
                "unknown_zone", _("Unknown time zone %(name)r.") % {"name": value[:64]}
            )
        return value


class BookingIn(Schema):
    # Unknown fields (owner, status, title, ...) are ignored, never applied.
    model_config = ConfigDict(extra="ignore")

    start: Instant = Field(description="Start of a listed slot, ISO 8601 with offset.")
    name: str
    email: str
    phone: str | None = None
    comment: str | None = None
    timezone: str = Field("UTC", description="The booker's IANA zone (for their e-mails).")
    duration_minutes: int | None = Field(
        None, description="One of the link's lengths; default: its default."
    )
    answers: dict[str, Any] | None = Field(
        None,
        description="Answers by question id: text, a choice's text, or true/false for a checkbox.",
    )
    language: str | None = Field(
        None,
        description="The booker's language for their e-mails: en, it, pl, es or de. "
        "Default: the first of those in Accept-Language, else en.",
    )


class AddLinksOut(Schema):
    google: str
    outlook: str


class PublicBookingOut(Schema):
    status: str
    title: str
    owner: dict[str, str]
    start: dt.datetime
    end: dt.datetime
    timezone: str
    name: str
    email: str
    video_url: str | None
    add_to_calendar: AddLinksOut
    manage_link_sent_to: str


# --- helpers ---------------------------------------------------------------------------------


def link_out(link: BookingLink) -> dict[str, Any]:
    token = link.current_token()
    return {
        "id": link.pk,
        "name": link.name,
        "enabled": link.is_on,
        "url": services.public_link_url(token) if token else None,
        "token_created_at": link.token_created_at,
        "duration_minutes": link.duration_minutes,
        "more_durations": link.more_durations,
        "durations": link.offered_durations,
        "questions": link.questions,
        "location": link.location,
        "video": link.video,
        "hours": link.effective_hours,
        "uses_working_hours": link.hours is None,
        "timezone": link.hours_timezone,
        "timezone_is_mine": not link.timezone,
        "buffer_before_minutes": link.buffer_before_minutes,
        "buffer_after_minutes": link.buffer_after_minutes,
        "min_notice_minutes": link.min_notice_minutes,
        "horizon_days": link.horizon_days,
        "daily_limit": link.daily_limit,
        "stale_sources_busy": link.stale_sources_busy,
        "changes_until_hours": link.changes_until_hours,
        "reminders": link.reminders,
        "kind": link.kind,
        "members": [
            {"id": u.pk, "name": u.full_name} for u in (link.members.all() if link.pk else [])
        ],
    }


def owner_booking_out(booking: Booking) -> dict[str, Any]:
    return {
        "id": booking.pk,
        "link_id": booking.link_id,
        "event_id": booking.event_id,
        "status": booking.status,
        "start": booking.start,
        "end": booking.end,
        "name": booking.name,
        "email": booking.email,
        "phone": booking.phone,
        "comment": booking.comment,
        "answers": booking.answers,
        "timezone": booking.timezone,
        "moves": booking.moves,
        "new_time_requested_at": booking.new_time_requested_at,
        "created_at": booking.created_at,
    }


def _public_headers(response: HttpResponse) -> None:
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store, private"


def _schema_error(field: str, message: str) -> NinjaValidationError:
    return NinjaValidationError([{"loc": ("header", field), "msg": message, "type": "value_error"}])


# --- the employee's link -------------------------------------------------------------------


@router.get("/booking-link", response=answers(200, BookingLinkOut), summary="My booking link")
def get_link(request: HttpRequest) -> dict[str, Any]:
    """Settings, whether the link is on, and its public URL while it is."""
    link = selectors.link_for_owner(request.auth) or BookingLink(owner=request.auth)
    return link_out(link)


@router.put(
    "/booking-link",
    response=answers(200, BookingLinkOut, 400, 422),
    summary="Switch my booking link on / change its settings",
)
def put_link(request: HttpRequest, payload: BookingLinkIn) -> dict[str, Any]:
    """Switches the link on (minting a link if it was off) and applies the given settings.

    ``new_link: true`` mints a new URL and kills the old one at once.
    """
    changes = payload.dict(exclude_unset=True)
    new_link = bool(changes.pop("new_link", False))
    link, _token = services.configure_link(request.auth, changes, switch_on=True, new_link=new_link)
    return link_out(link)


@router.delete(
    "/booking-link", response=answers(200, BookingLinkOut), summary="Switch my booking link off"
)
def delete_link(request: HttpRequest) -> dict[str, Any]:
    """The link dies at once (404 like any unknown link); the settings are kept."""
    link = services.switch_off(request.auth) or BookingLink(owner=request.auth)
    return link_out(link)


@router.get(
    "/bookings", response=answers(200, list[OwnerBookingOut]), summary="Bookings through my link"
)
def list_bookings(request: HttpRequest) -> list[dict[str, Any]]:
    return [owner_booking_out(b) for b in selectors.bookings_for_owner(request.auth)]


class DeclineIn(_Input):
    message: str = Field(
        "",
        description="A word to the booker, in the decline e-mail (plain text, at most "
        f"{services.MAX_DECLINE_MESSAGE} characters).",
    )


def optional_message(request: HttpRequest) -> str:
    """The optional JSON body's ``message``. Read by hand, not as a ninja body parameter:
    a POST without a body (as clients sent it before the message existed) must go on
    working, and ninja refuses an empty or form-encoded body for a declared one."""
    if request.content_type != "application/json" or not request.body.strip():
        return ""
    try:
        return DeclineIn.model_validate_json(request.body).message
    except PydanticValidationError as exc:
        # Located as ninja locates a body parameter's errors (source, parameter, field),
        # so that they name the client's field.
        raise NinjaValidationError(
            [{**error, "loc": ("body", "body", *error["loc"])} for error in exc.errors()]
        ) from None


@router.post(
    "/bookings/{booking_id}/decline",
    response=answers(200, OwnerBookingOut, 400, 404, 409, 422),
    summary="Decline a booked meeting",
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": DeclineIn.model_json_schema()}},
        }
    },
)
def decline_booking(request: HttpRequest, booking_id: int) -> dict[str, Any]:
    """The meeting is cancelled, its time free again, the booker e-mailed (iMIP CANCEL,
    with the optional ``message``, and the booking link to choose another time while it
    is on).

    Declining twice is harmless; a booking the booker cancelled answers 409.
    """
    booking = selectors.get_booking_for_owner(request.auth, booking_id)
    message = optional_message(request)
    return owner_booking_out(services.decline_booking(request.auth, booking, message=message))


# --- public ----------------------------------------------------------------------------------


@router.get(
    "/public/booking/{token}",
    auth=None,
    throttle=[PublicRateThrottle("slots")],
    response=answers(200, PublicLinkOut, 404),
    summary="A booking link (public)",
)
def public_link(request: HttpRequest, token: str, response: HttpResponse) -> dict[str, Any]:
    link = selectors.link_for_token(token)
    _public_headers(response)
    return {
        "owner_name": link.owner.full_name,
        "name": link.name,
        "duration_minutes": link.duration_minutes,
        "durations": link.offered_durations,
        "questions": link.questions,
        "location": link.location,
        "timezone": link.hours_timezone,
        "horizon_days": link.horizon_days,
        "min_notice_minutes": link.min_notice_minutes,
    }


def _instant(value: dt.datetime | dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if not 1899 <= value.year <= 2201:  # clipped by the caller; no offset arithmetic here
        return EARLIEST if value.year < 1899 else LATEST
    return dt.datetime(value.year, value.month, value.day, tzinfo=zone)


@router.get(
    "/public/booking/{token}/slots",
    auth=None,
    throttle=[PublicRateThrottle("slots")],
    response=answers(200, SlotsOut, 404, 422),
    summary="Free slots of a booking link (public)",
)
def public_slots(
    request: HttpRequest, token: str, query: Query[SlotsQuery], response: HttpResponse
) -> dict[str, Any]:
    """Slots whose start lies in [start, end), in ``tz``."""
    link = selectors.link_for_token(token)
    zone_name = canonical_zone(query.tz) if query.tz else link.hours_timezone
    zone = zoneinfo.ZoneInfo(zone_name)
    # Read within the supported years: a date far out is clipped, not computed with.
    start = clip(_instant(query.start, zone)) if query.start is not None else timezone.now()
    end = clip(_instant(query.end, zone) if query.end is not None else start + DEFAULT_SLOTS_RANGE)
    if end <= start and not outside_supported_years(start, end):
        raise NinjaValidationError(
            [{"loc": ("query", "end"), "msg": _("The end must be after the start."), "type": "x"}]
        )
    if end - start > MAX_SLOTS_RANGE:
        raise NinjaValidationError(
            [
                {
                    "loc": ("query", "end"),
                    "msg": _("The range may cover at most %(days)d days.")
                    % {"days": MAX_SLOTS_RANGE.days},
                    "type": "x",
                }
            ]
        )
    duration = selectors.chosen_duration(link, query.duration)
    slots = selectors.slots_for_link(link, start, end, duration=duration)
    _public_headers(response)
    return {
        "timezone": zone_name,
        "duration_minutes": duration,
        "start": start.astimezone(zone),
        "end": end.astimezone(zone),
        "slots": [
            {"start": s.start.astimezone(zone), "end": s.end.astimezone(zone)} for s in slots
        ],
    }


@router.post(
    "/public/booking/{token}/bookings",
    auth=None,
    throttle=[PublicRateThrottle("bookings")],
    response=answers(201, PublicBookingOut, 400, 404, 409, 422),
    summary="Book a slot (public)",
)
def public_book(
    request: HttpRequest,
    token: str,
    payload: BookingIn,
    response: HttpResponse,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> Status:
    """201 with the booking; 409 ``slot_taken`` when the time was just taken.

    The private link to cancel is e-mailed to the booker only.
    """
    if idempotency_key is not None:
        reason = services.idempotency_key_error(idempotency_key)
        if reason:
            raise _schema_error("Idempotency-Key", reason)
    language = languages.from_browser(request) or settings.LANGUAGE_CODE
    if payload.language is not None:
        try:
            language = languages.clean(payload.language)
        except ValidationError as exc:
            raise _schema_error("language", exc.message_dict["language"][0]) from None
    try:
        outcome = services.book(
            token,
            services.BookingRequest(
                start=payload.start,
                name=payload.name,
                email=payload.email,
                phone=payload.phone or "",
                comment=payload.comment or "",
                timezone=payload.timezone,
                duration_minutes=payload.duration_minutes,
                answers=payload.answers,
            ),
            language=language,
            idempotency_key=idempotency_key,
        )
    except services.IdempotencyKeyReused:
        raise _schema_error(
            "Idempotency-Key",
            _("This Idempotency-Key was already used with a different request."),
        ) from None
    _public_headers(response)
    if outcome.replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(outcome.status_code, outcome.body)
