"""The verbs of booking: configure/switch a link, book a slot, decline, cancel.

No double booking (invariant 5): ``book`` locks the owner's user row (the same lock
``events.services`` takes when it writes an event), re-computes the offered slots with
the busy time as it is now, and only then creates the meeting. On PostgreSQL an
exclusion constraint over confirmed bookings backs this up; its violation is the same
"just taken" conflict. On SQLite every write transaction is serialised anyway.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.dead_links import DeadLink
from accounts.models import User
from accounts.tokens import digest, new_token
from events.cancelling import event_cancel
from events.exceptions import Conflict
from events.services import event_create
from events.validation import validate_time_zone
from mail.ical import InvalidCalendarData, validate_email_address
from notifications.services import notify

from . import emails, webhook_events
from .conflicts import MAX_MESSAGE, clean_message, is_overlap, taken_conflict
from .links import (  # noqa: F401 (re-exported: callers have always found them here)
    LINK_FIELDS,
    clean_link_settings,
    configure_link,
    public_link_url,
    switch_off,
)
from .models import (
    Booking,
    BookingLink,
    BookingSeat,
    IdempotencyRecord,
)
from .questions import answers_text, clean_answers
from .rescheduling import check_change_allowed
from .selectors import (
    booking_for_manage_token,
    chosen_duration,
    link_for_token,
    link_people,
    rules_for,
    slots_by_person,
    slots_for_link,
)
from .slots import compute_slots
from .zones import canonical_zone

MAX_NAME = 200
MAX_PHONE = 40
MAX_COMMENT = 2000
MAX_IDEMPOTENCY_KEY = 255
IDEMPOTENCY_RETENTION = dt.timedelta(hours=24)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_EXCEPT_NEWLINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PHONE = re.compile(r"[0-9+()./ \-]*(?:\s*(?:ext\.?|x)\s*[0-9]+)?\Z", re.IGNORECASE)
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}\Z")

# ---------------------------------------------------------------- booking


@dataclass
class BookingRequest:
    """What a visitor sends; ``start`` is an aware datetime (the views parse it)."""

    start: Any
    name: Any
    email: Any
    phone: Any = ""
    comment: Any = ""
    timezone: Any = "UTC"
    #: One of the link's lengths; None: its default.
    duration_minutes: Any = None
    #: ``{question id: answer}`` for the link's questions.
    answers: Any = None

    def fingerprint(self) -> str:
        """A hash of the request as sent, to tell a retry from a different request."""
        start = self.start
        if isinstance(start, dt.datetime) and start.tzinfo is not None:
            start = start.astimezone(dt.UTC).isoformat()
        payload = {
            "start": str(start),
            "name": self.name,
            "email": self.email,
            "phone": self.phone or "",
            "comment": self.comment or "",
            "timezone": self.timezone,
            "duration_minutes": self.duration_minutes,
            "answers": self.answers,
        }
        text = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class BookingOutcome:
    """The answer to a booking request, as the API sends it and an idempotent retry replays it.

    ``manage_token`` is only set on the request that made the booking (never stored).
    """

    status_code: int
    body: dict[str, Any]
    booking: Booking | None = None
    manage_token: str | None = None
    replayed: bool = False


class IdempotencyKeyReused(Exception):
    """The same Idempotency-Key came with a different request (HTTP 422)."""


def _text(
    errors: dict, field: str, value: Any, limit: int, *, required: bool, multiline: bool = False
) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = _("Must be text.")
        return ""
    value = value.strip()
    bad = _CONTROL_EXCEPT_NEWLINE if multiline else _CONTROL
    if bad.search(value):
        errors[field] = _("Must not contain control characters or line breaks.")
    elif required and not value:
        errors[field] = _("This field is required.")
    elif len(value) > limit:
        errors[field] = _("At most %(limit)d characters (got %(count)d).") % {
            "limit": limit,
            "count": len(value),
        }
    return value


def clean_booking_request(
    request: BookingRequest, link: BookingLink | None = None
) -> dict[str, Any]:
    """Check the visitor's fields (with ``link``: the length and the answers to its
    questions too); one ValidationError naming every bad one."""
    errors: dict[str, str] = {}
    duration = answers = None
    if link is not None:
        try:
            duration = chosen_duration(link, request.duration_minutes)
        except ValidationError as exc:
            errors.update({k: " ".join(v) for k, v in exc.message_dict.items()})
        try:
            answers = clean_answers(link.questions, request.answers)
        except ValidationError as exc:
            errors.update({k: " ".join(v) for k, v in exc.message_dict.items()})
    name = _text(errors, "name", request.name, MAX_NAME, required=True)
    email = _text(errors, "email", request.email, 254, required=True)
    if "email" not in errors:
        try:
            email = validate_email_address(email, "email")
        except InvalidCalendarData:
            errors["email"] = _("Enter a valid e-mail address.")
    phone = _text(errors, "phone", request.phone, MAX_PHONE, required=False)
    if "phone" not in errors and phone and not _PHONE.match(phone):
        errors["phone"] = _("Use digits, spaces and + ( ) - . / only.")
    comment = _text(errors, "comment", request.comment, MAX_COMMENT, required=False, multiline=True)
    zone = (
        canonical_zone(request.timezone) if isinstance(request.timezone, str) else request.timezone
    )
    zone = zone or "UTC"
    try:
        validate_time_zone(zone)
    except ValidationError:
        errors["timezone"] = _("Unknown time zone %(name)r.") % {"name": str(zone)[:64]}
    start = request.start
    if not isinstance(start, dt.datetime):
        errors["start"] = _("Choose a time.")
    elif start.tzinfo is None or start.utcoffset() is None:
        errors["start"] = _(
            "Give a UTC offset (e.g. 2026-05-04T09:00:00+02:00); naive times are ambiguous."
        )
    if errors:
        raise ValidationError(errors)
    return {
        "start": start.astimezone(dt.UTC),
        "name": name,
        "email": email,
        "phone": phone,
        "comment": comment,
        "timezone": zone,
        "duration": duration,
        "answers": answers or [],
    }


def _video_url() -> str:
    template = settings.BOOKING_VIDEO_URL_TEMPLATE
    if template == "none":
        return ""
    return template.replace("{room}", "Rendezvous-" + secrets.token_hex(12))


def _check_slot(
    link: BookingLink, start: dt.datetime, now: dt.datetime, duration: int | None = None
) -> dt.datetime:
    """Raise unless ``start`` is offered right now; returns the meeting's end.

    A time the link never offers (off the grid, outside the hours, too soon, too far)
    is a 400 on ``start``; a time it would offer if nobody had booked or filled it is
    the 409 "just taken".
    """
    rules = rules_for(link, duration)
    window_end = start + dt.timedelta(seconds=1)
    ideal = compute_slots(rules, start, window_end, now, busy=[], booked_per_day=None)
    if not ideal or ideal[0].start != start:
        raise ValidationError(
            {"start": _("This time is not offered. Choose one of the listed times.")}
        )
    actual = slots_for_link(link, start, window_end, now=now, duration=duration)
    if not actual or actual[0].start != start:
        raise taken_conflict()
    return actual[0].end


def _create_booking(
    link: BookingLink, data: dict[str, Any], language: str, now: dt.datetime
) -> tuple[Booking, str]:
    end = _check_slot(link, data["start"], now, data.get("duration"))
    people = link_people(link)
    colleagues: list[User] = []
    if link.kind == BookingLink.Kind.ANY:
        owner = _assignee(link, people, data["start"], now, data.get("duration"))
    else:
        owner = link.owner
        if link.kind == BookingLink.Kind.ALL:
            colleagues = people[1:]
    with translation.override(owner.language):
        if link.name:
            title = _("%(type)s with %(name)s") % {"type": link.name, "name": data["name"]}
        else:
            title = _("Meeting with %(name)s") % {"name": data["name"]}
        answered = answers_text(data.get("answers") or [], _("yes"), _("no"))
    description = "\n\n".join(part for part in (data["comment"], answered) if part)
    event = event_create(
        owner,
        title=title[:200],
        start=data["start"],
        end=end,
        timezone=link.hours_timezone,
        description=description[:10_000],
        location=link.location,
        video_url=_video_url() if link.video else "",
        attendee_ids=[c.pk for c in colleagues],
    )
    token = new_token()
    booking = Booking.objects.create(
        link=link,
        owner=owner,
        event=event,
        start=event.start,
        end=event.end,
        name=data["name"],
        email=data["email"],
        phone=data["phone"],
        comment=data["comment"],
        answers=data.get("answers") or [],
        timezone=data["timezone"],
        language=language,
        manage_digest=digest(token),
    )
    BookingSeat.objects.bulk_create(
        [
            BookingSeat(booking=booking, user=person, start=booking.start, end=booking.end)
            for person in [owner, *colleagues]
        ]
    )
    emails.queue_booker_confirmation(booking, token)
    emails.queue_owner_mail(booking, cancelled=False)
    webhook_events.report(booking, "booking.created")
    with translation.override(owner.language):
        notify(
            owner,
            _("%(name)s booked “%(title)s” for %(when)s.")
            % {
                "name": booking.name,
                "title": event.title,
                "when": emails.format_when(booking.start, booking.end, owner.timezone),
            },
            emails.owner_booking_url(booking).removeprefix(settings.BASE_URL),
        )
    return booking, token


def _assignee(
    link: BookingLink,
    people: list[User],
    start: dt.datetime,
    now: dt.datetime,
    duration: int | None,
) -> User:
    """Round robin: of the people free at ``start``, the one with the fewest confirmed
    bookings from this link; ties go to the one whose last booking is oldest (never
    booked first), then to the lowest id. Called under the people's locks."""
    free_at = slots_by_person(
        link, start, start + dt.timedelta(seconds=1), now=now, duration=duration
    )
    free = [p for p in people if free_at[p.pk] and free_at[p.pk][0].start == start]
    if not free:
        raise taken_conflict()
    counts = {
        row["owner"]: (row["n"], row["last"])
        for row in Booking.objects.filter(link=link, status=Booking.Status.CONFIRMED)
        .values("owner")
        .annotate(n=Count("pk"), last=Max("created_at"))
    }
    never = dt.datetime.min.replace(tzinfo=dt.UTC)
    return min(
        free, key=lambda p: (counts.get(p.pk, (0, never))[0], counts.get(p.pk, (0, never))[1], p.pk)
    )


def end_seats(booking: Booking) -> None:
    """The booking no longer takes anyone's time (declined, cancelled)."""
    BookingSeat.objects.filter(booking=booking).update(active=False)


def public_booking_body(booking: Booking) -> dict[str, Any]:
    """What the booker is told about their booking (API answer; no secrets in it)."""
    zone = zoneinfo.ZoneInfo(booking.timezone)
    with translation.override(booking.language):
        title = emails.booker_title(booking)
    return {
        "status": booking.status,
        "title": title,
        "owner": {"name": booking.owner.full_name},
        "start": booking.start.astimezone(zone).isoformat(),
        "end": booking.end.astimezone(zone).isoformat(),
        "timezone": booking.timezone,
        "name": booking.name,
        "email": booking.email,
        "video_url": booking.event.video_url or None,
        "add_to_calendar": emails.add_to_calendar_links(booking),
        "manage_link_sent_to": booking.email,
    }


def _error_body(exc: ValidationError | Conflict) -> tuple[int, dict[str, Any]]:
    if isinstance(exc, Conflict):
        return 409, {
            "detail": exc.message,
            "errors": [{"field": "start", "message": exc.message}],
            "code": exc.code,
        }
    errors = [
        {"field": field, "message": " ".join(messages)}
        for field, messages in exc.message_dict.items()
    ]
    return 400, {"detail": _("The input is not valid."), "errors": errors}


def idempotency_key_error(key: str) -> str | None:
    """Why an Idempotency-Key header is unusable, or None when it is fine."""
    if not _IDEMPOTENCY_KEY.match(key):
        return _("Use 1 to 255 visible ASCII characters.")
    return None


def book(
    token: str,
    request: BookingRequest,
    *,
    language: str = "en",
    idempotency_key: str | None = None,
    now: dt.datetime | None = None,
) -> BookingOutcome:
    """Book a slot through a link; never raises for the visitor's mistakes, answers them.

    Returns the 201 answer (booking made), a 409 (taken) or a 400 (bad fields). Raises
    Http404 for a dead token and ``IdempotencyKeyReused`` when the key was first used
    with a different request. With ``idempotency_key`` the first answer is stored in the
    same transaction and every retry gets it back (nothing is booked twice); retries of
    one link are serialised by the same owner lock as bookings.
    """
    now = now or timezone.now()
    link = link_for_token(token)
    if idempotency_key is not None and idempotency_key_error(idempotency_key):
        raise ValidationError({"Idempotency-Key": idempotency_key_error(idempotency_key)})
    fingerprint = request.fingerprint()
    key_digest = digest(f"{link.pk}:{idempotency_key}") if idempotency_key is not None else None
    with transaction.atomic():
        # Everyone the link books, locked in id order (the order every writer uses).
        people = [p.pk for p in link_people(link)]
        list(
            User.objects.select_for_update(no_key=True)
            .filter(pk__in=people)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        # Switched off (or to a new link) while we waited for the lock: dead now.
        if not BookingLink.objects.filter(pk=link.pk, token_digest=link.token_digest).exists():
            raise DeadLink
        if key_digest is not None:
            record = IdempotencyRecord.objects.filter(link=link, key_digest=key_digest).first()
            if record is not None:
                if record.request_hash != fingerprint:
                    raise IdempotencyKeyReused
                return BookingOutcome(
                    record.status_code, record.body, booking=record.booking, replayed=True
                )
        try:
            data = clean_booking_request(request, link)
            try:
                with transaction.atomic():  # a savepoint: a refusal leaves nothing behind
                    booking, manage_token = _create_booking(link, data, language, now)
            except IntegrityError as exc:
                if not is_overlap(exc):
                    raise
                raise taken_conflict() from exc
            outcome = BookingOutcome(
                201, public_booking_body(booking), booking=booking, manage_token=manage_token
            )
        except (ValidationError, Conflict) as exc:
            status_code, body = _error_body(exc)
            outcome = BookingOutcome(status_code, body)
        if key_digest is not None:
            IdempotencyRecord.objects.filter(created_at__lt=now - IDEMPOTENCY_RETENTION).delete()
            IdempotencyRecord.objects.create(
                link=link,
                key_digest=key_digest,
                request_hash=fingerprint,
                status_code=outcome.status_code,
                body=outcome.body,
                booking=outcome.booking,
            )
        return outcome


# ---------------------------------------------------------------- ending a booking


MAX_DECLINE_MESSAGE = MAX_MESSAGE


@transaction.atomic
def decline_booking(owner: User, booking: Booking, *, message: str = "") -> Booking:
    """The owner declines: the meeting is cancelled, its time free, the booker e-mailed
    (with ``message`` when one is given, and a way to book another time)."""
    message = clean_message(message)
    booking = (
        Booking.objects.select_for_update().select_related("owner", "event").get(pk=booking.pk)
    )
    if booking.owner_id != owner.pk:
        raise Http404
    if booking.status == Booking.Status.DECLINED:
        return booking  # already done; nobody is told twice
    if booking.status == Booking.Status.CANCELLED:
        raise Conflict(_("The booker has already cancelled this meeting."), code="booking_ended")
    booking.event = event_cancel(booking.event, owner, booked_ok=True)
    booking.status = Booking.Status.DECLINED
    booking.ended_at = timezone.now()
    booking.save(update_fields=["status", "ended_at"])
    end_seats(booking)
    emails.queue_booker_cancellation(booking, by_owner=True, message=message)
    webhook_events.report(booking, "booking.declined")
    return booking


@transaction.atomic
def cancel_by_booker(manage_token: str) -> Booking:
    """The booker cancels through the private link; the owner is told (in-app and e-mail)."""
    found = booking_for_manage_token(manage_token)
    booking = (
        Booking.objects.select_for_update()
        .select_related("owner", "event", "link")
        .get(pk=found.pk)
    )
    if not booking.is_confirmed:
        return booking  # declined or already cancelled: nothing more to do
    check_change_allowed(booking, timezone.now())
    owner = booking.owner
    booking.event = event_cancel(booking.event, owner, booked_ok=True)
    booking.status = Booking.Status.CANCELLED
    booking.ended_at = timezone.now()
    booking.save(update_fields=["status", "ended_at"])
    end_seats(booking)
    emails.queue_booker_cancellation(booking, by_owner=False)
    emails.queue_owner_mail(booking, cancelled=True)
    webhook_events.report(booking, "booking.cancelled")
    with translation.override(owner.language):
        notify(
            owner,
            _("%(name)s cancelled “%(title)s” (%(when)s).")
            % {
                "name": booking.name,
                "title": booking.event.title,
                "when": emails.format_when(booking.start, booking.end, owner.timezone),
            },
            emails.owner_booking_url(booking).removeprefix(settings.BASE_URL),
        )
    return booking
