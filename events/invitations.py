"""Mail to external guests (iTIP over iMIP) and to organizers about guests' answers.

The services in ``events.services`` decide *who* must be told *what*; this module turns
that into messages and queues them in the outbox inside the caller's transaction
(invariant 2). One message per guest: each carries the guest's own page links, and, when
``INBOUND_DOMAIN`` is set, the guest's own reply plus-address as ORGANIZER and Reply-To,
so a REPLY from any mail client can be traced to exactly one invitation.

What a guest sees (and so what decides whether a change is worth a mail) is
:func:`guest_view`: the event's details plus, only when the organizer allowed it, the
other participants. Without that permission a guest's calendar lists the organizer and
that guest alone.

Each message is three templates (subject, plain text, HTML) under
``events/templates/events/email/``, rendered in the organizer's language.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _

from mail.ical import (
    CalendarEvent,
    CalendarPerson,
    InvalidCalendarData,
    build_calendar,
    validate_email_address,
)
from mail.imip import build_imip_message
from mail.services import queue_email, queue_message
from notifications.services import notify

from . import guests as guest_tokens
from .exceptions import Conflict
from .models import Attachment, Attendee, Event

if TYPE_CHECKING:
    from accounts.models import User
    from mail.models import SenderMailbox

logger = logging.getLogger(__name__)

#: Used only where no mailbox exists and the mail must still go (cancellations).
_FALLBACK_SENDER = "noreply@rendezvous.invalid"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")

PARTSTAT = {
    Attendee.Status.NEEDS_ACTION: "NEEDS-ACTION",
    Attendee.Status.ACCEPTED: "ACCEPTED",
    Attendee.Status.TENTATIVE: "TENTATIVE",
    Attendee.Status.DECLINED: "DECLINED",
}
ICAL_STATUS = {
    Event.Status.CONFIRMED: "CONFIRMED",
    Event.Status.TENTATIVE: "TENTATIVE",
    Event.Status.CANCELLED: "CANCELLED",
}


# --------------------------------------------------------------------------- senders


def sender_mailbox_for(user: User) -> SenderMailbox | None:
    from mail.senders import sender_for

    return sender_for(user)


def require_sender(user: User) -> SenderMailbox:
    """The organizer's confirmed sender mailbox, or the 409 that says one is missing."""
    mailbox = sender_mailbox_for(user)
    if mailbox is None:
        raise Conflict(
            _("Add and confirm a sender mailbox before inviting guests."),
            code="sender_mailbox_required",
        )
    return mailbox


def one_line(value: str) -> str:
    """Text for a header or a display name: control characters and line breaks → spaces."""
    return " ".join(_CONTROL.sub(" ", value or "").split())


def _display_name(value: str) -> str:
    return one_line(value).replace("<", "").replace(">", "").replace('"', "'")


def _system_address() -> str:
    """DEFAULT_FROM_EMAIL's address, or a reserved ``.invalid`` one where it is no mail
    address (development derives it from BASE_URL, e.g. ``noreply@127.0.0.1``)."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    try:
        return validate_email_address(address, "DEFAULT_FROM_EMAIL")
    except InvalidCalendarData:
        return _FALLBACK_SENDER


@dataclass(frozen=True)
class Sender:
    """Who a guest mail is from: the From header and the organizer's mailbox address."""

    from_email: str
    address: str
    organizer_name: str

    @classmethod
    def for_event(cls, event: Event, mailbox: SenderMailbox | None) -> Sender:
        organizer_name = _display_name(event.organizer.full_name or event.organizer.email)
        if mailbox is not None:
            name = _display_name(mailbox.name) or organizer_name
            return cls(formataddr((name, mailbox.email)), mailbox.email, organizer_name)
        # Only for a cancellation whose organizer has no usable mailbox any more.
        label = _("%(name)s via Rendezvous") % {"name": organizer_name}
        return cls(formataddr((label, _system_address())), event.organizer.email, label)


# --------------------------------------------------------------------------- calendars


def _organizer_address(attendee: Attendee, sender: Sender) -> str:
    return guest_tokens.reply_address(attendee) or sender.address


def visible_attendees(event: Event, attendee: Attendee, everyone: Sequence[Attendee]) -> list:
    """The participants ``attendee`` (a guest) may see, the organizer excluded."""
    if event.guests_can_see_participants:
        return [a for a in everyone if a.user_id != event.organizer_id]
    return [attendee]


def _people(
    event: Event,
    attendee: Attendee,
    everyone: Sequence[Attendee],
    sender: Sender,
    *,
    only_this_guest: bool = False,
) -> tuple[CalendarPerson, list[CalendarPerson]]:
    """ORGANIZER and the ATTENDEE list this guest may see.

    The organizer also appears as an accepted CHAIR attendee (as Google and Outlook write
    it), except in the CANCEL to a removed guest, which names that guest alone (RFC 5546
    §3.2.5: the attendees being removed).
    """
    organizer = CalendarPerson(
        email=_organizer_address(attendee, sender), name=sender.organizer_name
    )
    if only_this_guest:
        return organizer, [
            CalendarPerson(
                email=attendee.email,
                name=attendee.name,
                partstat=PARTSTAT[attendee.status],
                rsvp=False,
            )
        ]
    people = [
        CalendarPerson(
            email=organizer.email,
            name=organizer.name,
            partstat="ACCEPTED",
            rsvp=False,
            role="CHAIR",
        )
    ]
    for other in visible_attendees(event, attendee, everyone):
        people.append(
            CalendarPerson(
                email=other.email,
                name=other.name,
                partstat=PARTSTAT[other.status],
                rsvp=other.pk == attendee.pk,
            )
        )
    return organizer, people


def guest_calendar_event(
    event: Event,
    attendee: Attendee,
    everyone: Sequence[Attendee],
    sender: Sender,
    *,
    only_this_guest: bool = False,
) -> CalendarEvent:
    organizer, people = _people(event, attendee, everyone, sender, only_this_guest=only_this_guest)
    return CalendarEvent(
        uid=event.uid,
        sequence=event.sequence,
        title=event.title,
        start=event.start,
        end=event.end,
        timezone=event.timezone,
        organizer=organizer,
        attendees=people,
        description=event.description,
        location=event.location,
        url=event.video_url or None,
        all_day=event.all_day,
        status=ICAL_STATUS[event.status],
        transparency="OPAQUE",
        rrule=event.recurrence or None,
        created=event.created_at,
        last_modified=event.updated_at,
    )


def guest_ics(event: Event, attendee: Attendee, everyone: Sequence[Attendee]) -> bytes:
    """The "add to my calendar" file of the guest page: PUBLISH, so nothing to answer."""
    mailbox = sender_mailbox_for(event.organizer)
    sender = Sender.for_event(event, mailbox)
    return build_calendar("PUBLISH", [guest_calendar_event(event, attendee, everyone, sender)])


def guest_view(event: Event, attendee: Attendee, everyone: Sequence[Attendee]) -> tuple:
    """Everything about ``event`` that ``attendee`` (a guest) can see, for change detection.

    Other people's answers are left out: a colleague accepting is no reason to mail guests.
    """
    people = ()
    if event.guests_can_see_participants:
        people = tuple(
            sorted((a.email, a.name) for a in everyone if a.user_id != event.organizer_id)
        )
    return (
        event.title,
        event.description,
        event.location,
        event.video_url,
        event.start,
        event.end,
        event.timezone,
        event.all_day,
        event.recurrence or None,
        event.status,
        attendee.status,
        people,
    )


# --------------------------------------------------------------------------- guest mail


def format_when(event: Event) -> str:
    """ "Monday, 4 May 2026, 09:00–10:00 (Europe/Berlin)" in the event's own zone."""
    zone = event.zone
    start, end = event.start.astimezone(zone), event.end.astimezone(zone)
    if event.all_day:
        last = end - dt.timedelta(days=1)
        if last.date() <= start.date():
            return _("%(day)s (all day)") % {"day": formats.date_format(start, "l, j F Y")}
        return _("%(first)s – %(last)s (all day)") % {
            "first": formats.date_format(start, "l, j F Y"),
            "last": formats.date_format(last, "l, j F Y"),
        }
    day = formats.date_format(start, "l, j F Y")
    if start.date() == end.date():
        return f"{day}, {start:%H:%M}–{end:%H:%M} ({event.timezone})"
    other = formats.date_format(end, "l, j F Y")
    return f"{day}, {start:%H:%M} – {other}, {end:%H:%M} ({event.timezone})"


def _attachments(event: Event, attendee: Attendee) -> list[dict[str, Any]]:
    """Each file of the event, linked through this guest's own token."""
    base = settings.BASE_URL.rstrip("/")
    token = guest_tokens.link_token(attendee)
    return [
        {
            "name": a.filename,
            "size": a.size,
            "url": base + reverse("guest:attachment", args=[token, a.pk]),
        }
        for a in Attachment.objects.filter(event=event).order_by("created_at", "id")
    ]


def _render(prefix: str, context: dict[str, Any]) -> tuple[str, str, str]:
    subject = one_line(render_to_string(f"events/email/{prefix}-subject.txt", context))
    text = render_to_string(f"events/email/{prefix}-body.txt", context)
    html = render_to_string(f"events/email/{prefix}-body.html", context)
    return subject, text, html


def _guest_context(
    event: Event, attendee: Attendee, everyone: Sequence[Attendee], sender: Sender, kind: str
) -> dict[str, Any]:
    visible = visible_attendees(event, attendee, everyone)
    return {
        "kind": kind,
        "event": event,
        "title": one_line(event.title),
        "when": format_when(event),
        "organizer_name": sender.organizer_name,
        "guest_name": attendee.name,
        "participants": visible if event.guests_can_see_participants else [],
        "page_url": guest_tokens.page_url(attendee),
        "accept_url": guest_tokens.page_url(attendee, "accepted"),
        "decline_url": guest_tokens.page_url(attendee, "declined"),
        "attachments": _attachments(event, attendee) if kind != "removed" else [],
    }


def queue_guest_mail(
    event: Event,
    attendee: Attendee,
    everyone: Sequence[Attendee],
    sender: Sender,
    *,
    kind: str,
) -> None:
    """Queue one iMIP message to one guest.

    ``kind``: ``"invitation"`` (new guest) or ``"update"`` → REQUEST; ``"cancelled"``
    (the whole event) or ``"removed"`` (this guest only) → CANCEL. A CANCEL for a removed
    guest lists that guest alone, whatever the participant switch says.
    """
    method = "CANCEL" if kind in ("cancelled", "removed") else "REQUEST"
    people_pool = [attendee] if kind == "removed" else everyone
    with translation.override(event.organizer.language or settings.LANGUAGE_CODE):
        vevent = guest_calendar_event(
            event, attendee, people_pool, sender, only_this_guest=kind == "removed"
        )
        calendar = build_calendar(method, [vevent])
        context = _guest_context(event, attendee, people_pool, sender, kind)
        prefix = "invitation" if method == "REQUEST" else "cancellation"
        subject, text, html = _render(prefix, context)
        reply_to = guest_tokens.reply_address(attendee)
        message = build_imip_message(
            method=method,
            calendar=calendar,
            subject=subject,
            text=text,
            html=html,
            from_email=sender.from_email,
            to=[formataddr((_display_name(attendee.guest.name), attendee.guest.email))],
            reply_to=[formataddr((sender.organizer_name, reply_to))] if reply_to else None,
        )
    queue_message(message)


# --------------------------------------------------------------------------- organizer mail


def notify_decision(attendee: Attendee) -> None:
    """Tell the organizer a guest answered: in-app always, by e-mail when the event says so."""
    event = attendee.event
    organizer = event.organizer
    with translation.override(organizer.language or settings.LANGUAGE_CODE):
        context = {
            "event": event,
            "title": one_line(event.title),
            "when": format_when(event),
            "guest_name": attendee.guest.name,
            "guest_email": attendee.guest.email,
            "status": attendee.status,
            "status_label": Attendee.Status(attendee.status).label,
            "event_url": settings.BASE_URL.rstrip("/") + reverse("events:detail", args=[event.pk]),
        }
        texts = {
            Attendee.Status.ACCEPTED: _("%(guest)s accepted “%(title)s”."),
            Attendee.Status.TENTATIVE: _("%(guest)s might come to “%(title)s”."),
            Attendee.Status.DECLINED: _("%(guest)s declined “%(title)s”."),
        }
        text = texts.get(attendee.status, _("%(guest)s answered “%(title)s”.")) % {
            "guest": attendee.guest.name,
            "title": context["title"],
        }
        notify(organizer, text, reverse("events:detail", args=[event.pk]))
        if event.notify_on_decision:
            subject, body, html = _render("decision", context)
            queue_email(to=[organizer.email], subject=subject, text=body, html=html)
