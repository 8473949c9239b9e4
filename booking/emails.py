"""The mail a booking causes, built with the project's one iCalendar/iMIP builder.

The ``queue_*`` functions are called by ``booking.services`` inside the transaction of
the change (the outbox row commits or rolls back with it); the worker renders the
message (``render_booking_mail``). Texts are rendered in the reader's
language and time zone: the booker's for the booker, the owner's for the owner.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Callable
from email.utils import formataddr, parseaddr
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.dates import format_date
from mail.ical import (
    CalendarEvent,
    CalendarPerson,
    InvalidCalendarData,
    build_calendar,
    validate_email_address,
)
from mail.imip import build_imip_message
from mail.senders import sender_for
from mail.services import queue_later

from .models import Booking

logger = logging.getLogger(__name__)

FALLBACK_SENDER = "noreply@rendezvous.invalid"
GOOGLE_URL = "https://calendar.google.com/calendar/render"
OUTLOOK_URL = "https://outlook.live.com/calendar/0/action/compose"


def absolute(path: str) -> str:
    return settings.BASE_URL + path


def manage_url(token: str) -> str:
    return absolute(reverse("booking:manage", args=[token]))


def owner_booking_url(booking: Booking) -> str:
    return absolute(reverse("booking:owner_booking", args=[booking.pk]))


def booker_title(booking: Booking) -> str:
    """The meeting as the booker's calendar names it (in the active language): the
    meeting type's name when it has one."""
    name = booking.owner.full_name or booking.owner.email
    kind = booking.link.name if booking.link_id else ""
    if kind:
        return _("%(type)s with %(name)s") % {"type": kind, "name": name}
    return _("Meeting with %(name)s") % {"name": name}


def format_when(start: dt.datetime, end: dt.datetime, zone_name: str) -> str:
    """ "Monday, 9 March 2026, 10:00–11:00 (America/New_York)" in the active language."""
    zone = zoneinfo.ZoneInfo(zone_name)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    day = format_date(local_start)
    return f"{day}, {local_start:%H:%M}–{local_end:%H:%M} ({zone_name})"


def _utc_stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def add_to_calendar_links(booking: Booking) -> dict[str, str]:
    """ "Add to Google Calendar" / "Add to Outlook.com" links: the meeting in the URL only."""
    title = booker_title(booking)
    details = booking.event.video_url or ""
    google = (
        GOOGLE_URL
        + "?"
        + urlencode(
            {
                "action": "TEMPLATE",
                "text": title,
                "dates": f"{_utc_stamp(booking.start)}/{_utc_stamp(booking.end)}",
                "details": details,
                "location": booking.event.video_url or "",
            }
        )
    )
    outlook = (
        OUTLOOK_URL
        + "?"
        + urlencode(
            {
                "rru": "addevent",
                "subject": title,
                "startdt": booking.start.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "enddt": booking.end.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "body": details,
                "location": booking.event.video_url or "",
            }
        )
    )
    return {"google": google, "outlook": outlook}


def calendar_event(booking: Booking) -> CalendarEvent:
    """The booked meeting as a VEVENT: the owner organizes, the booker attends (accepted)."""
    event = booking.event
    owner = booking.owner
    return CalendarEvent(
        uid=event.uid,
        sequence=event.sequence,
        title=booker_title(booking),
        start=event.start,
        end=event.end,
        timezone=event.timezone,
        organizer=CalendarPerson(email=owner.email, name=owner.full_name),
        attendees=[
            CalendarPerson(email=booking.email, name=booking.name, partstat="ACCEPTED", rsvp=False)
        ],
        description=booking.comment,
        location=event.video_url,
        url=event.video_url or None,
        status="CANCELLED" if event.is_cancelled else "CONFIRMED",
        created=event.created_at,
        last_modified=event.updated_at,
    )


def ics_for(booking: Booking, method: str = "PUBLISH") -> bytes:
    """The meeting as a downloadable .ics (PUBLISH: no attendee list, nothing to answer)."""
    return build_calendar(method, [calendar_event(booking)])


def _sender_address() -> str:
    """DEFAULT_FROM_EMAIL's address, if an iMIP From may carry it.

    A development setup derives it from BASE_URL (``noreply@127.0.0.1``), which is no
    mail domain; rather than refuse every booking we then send from a reserved
    ``.invalid`` domain (RFC 2606) and say so in the log.
    """
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    try:
        return validate_email_address(address, "DEFAULT_FROM_EMAIL")
    except InvalidCalendarData:
        logger.warning(
            "DEFAULT_FROM_EMAIL %r is not a usable mail address; booking mail is sent from %s",
            settings.DEFAULT_FROM_EMAIL,
            FALLBACK_SENDER,
        )
        return FALLBACK_SENDER


def _from_owner(booking: Booking) -> str:
    """The owner's confirmed sender mailbox, as their invitations are (the booker answers
    a person, not a robot); without one ``"Ann via Rendezvous" <noreply@…>``. The name is
    quoted as RFC 5322 wants, so any printable name works."""
    owner_name = " ".join((booking.owner.full_name or "").split())
    mailbox = sender_for(booking.owner)
    if mailbox is not None:
        name = " ".join(mailbox.name.split()) or owner_name
        return formataddr((name, mailbox.email)) if name else mailbox.email
    label = _("%(name)s via Rendezvous") % {"name": owner_name or "Rendezvous"}
    return formataddr((label, _sender_address()))


#: The worker renders every booking mail (``render_booking_mail``): the booking request
#: pays for one outbox row per mail, not for building an iMIP message.
RENDERER = "booking.mail"


def queue_booker_confirmation(booking: Booking, token: str) -> None:
    """iMIP REQUEST with the .ics, the add links and the private manage link.

    The manage token exists in clear only here and in the message (the booking keeps its
    digest): it waits in the row's render arguments, which rendering clears.
    """
    queue_later(
        RENDERER, [({"booking": booking.pk, "kind": "confirmed", "token": token}, [booking.email])]
    )


def queue_booker_cancellation(booking: Booking, *, by_owner: bool, message: str = "") -> None:
    """iMIP CANCEL: takes the meeting out of the booker's calendar (``message``: the
    owner's words on decline)."""
    args = {"booking": booking.pk, "kind": "cancelled", "by_owner": by_owner, "message": message}
    queue_later(RENDERER, [(args, [booking.email])])


def queue_booker_moved(
    booking: Booking, token: str, old_start: dt.datetime, old_end: dt.datetime
) -> None:
    """iMIP REQUEST of the moved meeting (same UID, higher SEQUENCE) and the manage link."""
    args = {"booking": booking.pk, "kind": "moved", "token": token,
            "sequence": booking.event.sequence, "old_start": old_start.isoformat(),
            "old_end": old_end.isoformat()}  # fmt: skip
    queue_later(RENDERER, [(args, [booking.email])])


def queue_owner_moved(booking: Booking, old_start: dt.datetime, old_end: dt.datetime) -> None:
    args = {"booking": booking.pk, "kind": "owner_moved", "old_start": old_start.isoformat(),
            "old_end": old_end.isoformat()}  # fmt: skip
    queue_later(RENDERER, [(args, [booking.owner.email])])


def queue_new_time_request(booking: Booking, token: str, message: str) -> None:
    """The owner asks for another time: a plain mail with the new private link to choose."""
    args = {"booking": booking.pk, "kind": "new_time", "token": token, "message": message}
    queue_later(RENDERER, [(args, [booking.email])])


def reschedule_url(token: str) -> str:
    return absolute(reverse("booking:reschedule", args=[token]))


def book_again_url(booking: Booking) -> str:
    """The owner's booking link as it is now, for a declined booker to pick another time;
    empty when the link is off (a dead link would be worse than none)."""
    token = booking.link.current_token() if booking.link_id else None
    return settings.BASE_URL + reverse("booking:public", args=[token]) if token else ""


def queue_owner_mail(booking: Booking, *, cancelled: bool) -> None:
    """Tell the owner, in the owner's language and zone, that a meeting was booked/cancelled."""
    args = {"booking": booking.pk, "kind": "owner_cancelled" if cancelled else "owner_booked"}
    queue_later(RENDERER, [(args, [booking.owner.email])])


def render_booking_mail(args: dict[str, Any], memo: dict[Any, Any]) -> EmailMessage | None:
    """The worker's half of the ``queue_*`` functions above.

    A confirmation (to either side) of a booking already ended when the worker comes to
    it is not sent: its cancellation, queued by the ending, says all there is to say.
    """
    booking = (
        Booking.objects.select_related("owner", "event", "link").filter(pk=args["booking"]).first()
    )
    if booking is None:
        return None
    kind = args["kind"]
    live_kinds = ("confirmed", "owner_booked", "moved", "owner_moved", "new_time")
    if kind in live_kinds and not booking.is_confirmed:
        return None
    if kind == "moved" and args["sequence"] != booking.event.sequence:
        return None  # moved again since: that later mail says where it is now
    if kind == "moved":
        with translation.override(booking.language):
            previous = format_when(
                dt.datetime.fromisoformat(args["old_start"]),
                dt.datetime.fromisoformat(args["old_end"]),
                booking.timezone,
            )
        return _booker_imip(
            booking,
            "REQUEST",
            template="booking/email/booker_moved.txt",
            subject=lambda title, when: (
                _("Moved: %(title)s, now %(when)s") % {"title": title, "when": when}
            ),
            extra={
                "video_url": booking.event.video_url,
                "manage_url": manage_url(args["token"]),
                "previous_when": previous,
            },
        )
    if kind == "new_time":
        return _booker_plain(
            booking,
            template="booking/email/booker_new_time.txt",
            subject=lambda title, when: (
                _("Please choose another time: %(title)s") % {"title": title}
            ),
            extra={"message": args["message"], "reschedule_url": reschedule_url(args["token"])},
        )
    if kind == "owner_moved":
        return _owner_mail(
            booking,
            cancelled=False,
            moved_from=(
                dt.datetime.fromisoformat(args["old_start"]),
                dt.datetime.fromisoformat(args["old_end"]),
            ),
        )
    if kind == "confirmed":
        return _booker_imip(
            booking,
            "REQUEST",
            template="booking/email/booker_confirmed.txt",
            subject=lambda title, when: (
                _("Confirmed: %(title)s, %(when)s") % {"title": title, "when": when}
            ),
            extra={
                "video_url": booking.event.video_url,
                "manage_url": manage_url(args["token"]),
                "links": add_to_calendar_links(booking),
            },
        )
    if kind == "cancelled":
        return _booker_imip(
            booking,
            "CANCEL",
            template="booking/email/booker_cancelled.txt",
            subject=lambda title, when: (
                _("Cancelled: %(title)s, %(when)s") % {"title": title, "when": when}
            ),
            extra={
                "by_owner": args["by_owner"],
                "message": args.get("message", ""),
                "book_again_url": book_again_url(booking) if args["by_owner"] else "",
            },
        )
    return _owner_mail(booking, cancelled=kind == "owner_cancelled")


def _booker_context(
    booking: Booking, subject: Callable[[str, str], str], extra: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """The subject and template context of a mail to the booker, in the active language
    (the booker's) and their zone."""
    title = booker_title(booking)
    when = format_when(booking.start, booking.end, booking.timezone)
    context = {
        "booking": booking,
        "title": title,
        "when": when,
        "owner_name": booking.owner.full_name,
        **extra,
    }
    return subject(title, when), context


def _booker_imip(
    booking: Booking,
    method: str,
    *,
    template: str,
    subject: Callable[[str, str], str],
    extra: dict[str, Any],
) -> EmailMessage:
    """One iMIP mail to the booker, written in the booker's language and zone."""
    with translation.override(booking.language):
        subject_line, context = _booker_context(booking, subject, extra)
        return build_imip_message(
            method=method,
            calendar=build_calendar(method, [calendar_event(booking)]),
            subject=subject_line,
            text=render_to_string(template, context),
            html=None,
            from_email=_from_owner(booking),
            to=[booking.email],
            reply_to=[booking.owner.email],
        )


def _booker_plain(
    booking: Booking,
    *,
    template: str,
    subject: Callable[[str, str], str],
    extra: dict[str, Any],
) -> EmailMessage:
    """A mail to the booker without a calendar part (nothing in their calendar changes)."""
    with translation.override(booking.language):
        subject_line, context = _booker_context(booking, subject, extra)
        return EmailMessage(
            subject=subject_line,
            body=render_to_string(template, context),
            from_email=_from_owner(booking),
            to=[booking.email],
            reply_to=[booking.owner.email],
        )


def _owner_mail(
    booking: Booking,
    *,
    cancelled: bool,
    moved_from: tuple[dt.datetime, dt.datetime] | None = None,
) -> EmailMessage:
    owner = booking.owner
    with translation.override(owner.language):
        when = format_when(booking.start, booking.end, owner.timezone)
        context = {
            "booking": booking,
            "title": booking.event.title,
            "when": when,
            "url": owner_booking_url(booking),
            "cancelled": cancelled,
            "previous_when": format_when(*moved_from, owner.timezone) if moved_from else "",
        }
        if cancelled:
            subject = _("Booking cancelled: %(title)s, %(when)s")
        elif moved_from:
            subject = _("Booking moved: %(title)s, now %(when)s")
        else:
            subject = _("New booking: %(title)s, %(when)s")
        return EmailMessage(
            subject=subject % {"title": booking.event.title, "when": when},
            body=render_to_string("booking/email/owner_notice.txt", context),
            to=[owner.email],
            reply_to=[booking.email],
        )
