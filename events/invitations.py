"""Mail to external guests (iTIP over iMIP) and to organizers about guests' answers.

The services in ``events.services`` decide *who* must be told *what*; this module turns
that into messages, and ``events.invitation_queue`` puts them in the outbox inside the
caller's transaction (invariant 2), to be rendered now or by the worker. One message per guest: each carries the guest's own page links, and, when
``INBOUND_DOMAIN`` is set, the guest's own reply plus-address as ORGANIZER and Reply-To,
so a REPLY from any mail client can be traced to exactly one invitation.

What a guest sees (and so what decides whether a change is worth a mail) is
:func:`guest_view`: the event's details plus, only when the organizer allowed it, the
other participants. Without that permission a guest's calendar lists the organizer and
that guest alone.

A series goes out as one calendar: the master VEVENT (RRULE, EXDATE) and one VEVENT
per changed occurrence (RECURRENCE-ID) the guest is on. A change or cancellation of
one date sends only that date's VEVENT. Guests' capability tokens live on their row of
the series (``tokens`` below); their copies on changed occurrences have none.

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
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Prefetch
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
from mail.services import queue_email
from notifications.services import notify
from scheduling.recurrence import parse_rule

from . import guests as guest_tokens
from . import series as series_rows
from .exceptions import Conflict
from .models import Attachment, Attendee, Event
from .rule_text import describe_rule

if TYPE_CHECKING:
    from accounts.models import User
    from mail.models import SenderMailbox

    from .occurrences import Occurrence

logger = logging.getLogger(__name__)

#: Used only where no mailbox exists and the mail must still go (cancellations).
_FALLBACK_SENDER = "noreply@rendezvous.invalid"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")

PARTSTAT = {
    Attendee.Status.NEEDS_ACTION: "NEEDS-ACTION",
    Attendee.Status.ACCEPTED: "ACCEPTED",
    Attendee.Status.TENTATIVE: "TENTATIVE",
    Attendee.Status.DECLINED: "DECLINED",
    Attendee.Status.DELEGATED: "DELEGATED",
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
    """A name as typed, on one line: ``formataddr`` quotes it for headers and the
    iCalendar library for CN, so "Ann <Sales>" stays itself (names are data)."""
    return one_line(value)


def system_address() -> str:
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
        return cls(formataddr((label, system_address())), event.organizer.email, label)


# --------------------------------------------------------------------------- calendars


@dataclass(frozen=True)
class ExceptionRow:
    """A changed occurrence of a series with its participants (organizer first)."""

    event: Event
    everyone: list[Attendee]

    def row_of(self, attendee: Attendee) -> Attendee | None:
        """The copy of ``attendee`` (a guest) on this occurrence, None if not invited to it."""
        return next((a for a in self.everyone if a.guest_id == attendee.guest_id), None)


def participants(event: Event) -> list[Attendee]:
    """All attendees with their person loaded, organizer first."""
    rows = list(Attendee.objects.filter(event=event).select_related("user", "guest"))
    return sorted(rows, key=lambda a: (a.user_id != event.organizer_id, a.pk))


def exception_rows(series: Event) -> list[ExceptionRow]:
    """The series' changed occurrences, in date order, each with its participants."""
    if not series.is_series:
        return []
    rows = list(
        Event.objects.filter(series=series)
        .select_related("organizer")
        .prefetch_related(
            Prefetch("attendees", queryset=Attendee.objects.select_related("user", "guest"))
        )
        .order_by("recurrence_id")
    )
    return [
        ExceptionRow(
            row,
            sorted(row.attendees.all(), key=lambda a: (a.user_id != row.organizer_id, a.pk)),
        )
        for row in rows
    ]


def _organizer_address(tokens: Attendee, sender: Sender) -> str:
    return guest_tokens.reply_address(tokens) or sender.address


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
    tokens: Attendee,
    only_this_guest: bool = False,
) -> tuple[CalendarPerson, list[CalendarPerson]]:
    """ORGANIZER and the ATTENDEE list this guest may see.

    The organizer also appears as an accepted CHAIR attendee (as Google and Outlook write
    it), except in the CANCEL to a removed guest, which names that guest alone (RFC 5546
    §3.2.5: the attendees being removed). ORGANIZER is the guest's own reply address,
    which belongs to ``tokens`` (the guest's row on the series or single event).
    """
    organizer = CalendarPerson(email=_organizer_address(tokens, sender), name=sender.organizer_name)
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
    tokens: Attendee | None = None,
    extra_exdates: Sequence[dt.datetime] = (),
    occurrence: Occurrence | None = None,
) -> CalendarEvent:
    """One VEVENT for one guest.

    ``event`` is a single event, a series (its master VEVENT: RRULE and EXDATE, plus
    ``extra_exdates``: occurrences this guest is not invited to), or an exception row
    (``RECURRENCE-ID``). ``occurrence`` makes a plain occurrence of a series (for the
    CANCEL of one date): that date's start, end and RECURRENCE-ID, no rule.
    """
    organizer, people = _people(
        event,
        attendee,
        everyone,
        sender,
        tokens=tokens or attendee,
        only_this_guest=only_this_guest,
    )
    start, end = event.start, event.end
    rrule = event.recurrence or None
    exdates = sorted({*series_rows.stored_exdates(event), *extra_exdates}) if rrule else []
    recurrence_id = event.recurrence_id
    if occurrence is not None:
        start, end, recurrence_id = occurrence.start, occurrence.end, occurrence.recurrence_id
        rrule, exdates = None, []
    return CalendarEvent(
        uid=event.uid,
        sequence=event.sequence,
        title=event.title,
        start=start,
        end=end,
        timezone=event.timezone,
        organizer=organizer,
        attendees=people,
        description=event.description,
        location=event.location,
        url=event.video_url or None,
        all_day=event.all_day,
        status=ICAL_STATUS[event.status],
        transparency="OPAQUE",
        rrule=rrule,
        exdates=exdates,
        recurrence_id=recurrence_id,
        created=event.created_at,
        last_modified=event.updated_at,
    )


def guest_series_events(
    event: Event,
    attendee: Attendee,
    everyone: Sequence[Attendee],
    sender: Sender,
    exceptions: Sequence[ExceptionRow] = (),
) -> list[CalendarEvent]:
    """The whole event as this guest may see it: the master and each changed occurrence.

    An occurrence the guest was taken off is an EXDATE in this guest's master instead.
    """
    missing: list[dt.datetime] = []
    changed: list[CalendarEvent] = []
    for exception in exceptions:
        row = exception.row_of(attendee)
        if row is None:
            missing.append(exception.event.recurrence_id)
            continue
        changed.append(
            guest_calendar_event(exception.event, row, exception.everyone, sender, tokens=attendee)
        )
    master = guest_calendar_event(event, attendee, everyone, sender, extra_exdates=missing)
    return [master, *changed]


def guest_ics(event: Event, attendee: Attendee, everyone: Sequence[Attendee]) -> bytes:
    """The "add to my calendar" file of the guest page: PUBLISH, so nothing to answer.

    For a series: the whole series (master and changed occurrences).
    """
    mailbox = sender_mailbox_for(event.organizer)
    sender = Sender.for_event(event, mailbox)
    return build_calendar(
        "PUBLISH",
        guest_series_events(event, attendee, everyone, sender, exception_rows(event)),
    )


def _one_view(event: Event, attendee: Attendee, everyone: Sequence[Attendee]) -> tuple:
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
        tuple(event.exdates or ()),
        event.status,
        attendee.status,
        people,
    )


def guest_view(
    event: Event,
    attendee: Attendee,
    everyone: Sequence[Attendee],
    exceptions: Sequence[ExceptionRow] = (),
) -> tuple:
    """Everything about ``event`` that ``attendee`` (a guest) can see, for change detection.

    For a series that is the master and every changed occurrence the guest is on (and
    which ones they are not on). Other people's answers are left out: a colleague
    accepting is no reason to mail guests.
    """
    changed = []
    for exception in exceptions:
        row = exception.row_of(attendee)
        view = _one_view(exception.event, row, exception.everyone) if row else None
        changed.append((exception.event.recurrence_id, view))
    return (_one_view(event, attendee, everyone), tuple(changed))


# --------------------------------------------------------------------------- guest mail


def _time_range(start: dt.datetime, end: dt.datetime, zone_name: str) -> str:
    if start.date() == end.date():
        return f"{start:%H:%M}–{end:%H:%M} ({zone_name})"
    return f"{start:%H:%M} – {format_date(end)}, {end:%H:%M} ({zone_name})"


def format_when(event: Event) -> str:
    """ "Monday, 4 May 2026, 09:00–10:00 (Europe/Berlin)" in the event's own zone.

    A series says how it repeats: "Every week on Monday, 10 times, 09:00–10:00
    (Europe/Berlin), from Monday, 4 May 2026".
    """
    zone = event.zone
    start, end = event.start.astimezone(zone), event.end.astimezone(zone)
    if event.is_series:
        repeats = describe_repeats(event)
        first = format_date(start)
        if event.all_day:
            return _("%(repeats)s, all day, from %(first)s") % {"repeats": repeats, "first": first}
        return _("%(repeats)s, %(time)s, from %(first)s") % {
            "repeats": repeats,
            "time": _time_range(start, end, event.timezone),
            "first": first,
        }
    return format_span(start, end, event.timezone, event.all_day)


def format_span(start: dt.datetime, end: dt.datetime, zone_name: str, all_day: bool) -> str:
    """One occurrence (or a single event), given in its zone's wall time."""
    if all_day:
        last = end - dt.timedelta(days=1)
        if last.date() <= start.date():
            return _("%(day)s (all day)") % {"day": format_date(start)}
        return _("%(first)s – %(last)s (all day)") % {
            "first": format_date(start),
            "last": format_date(last),
        }
    day = format_date(start)
    return f"{day}, {_time_range(start, end, zone_name)}"


def format_occurrence(event: Event, start: dt.datetime, end: dt.datetime) -> str:
    zone = event.zone
    return format_span(start.astimezone(zone), end.astimezone(zone), event.timezone, event.all_day)


def describe_repeats(event: Event) -> str:
    """ "Every week on Monday, 10 times", in the active language (events.rule_text)."""
    if not event.recurrence:
        return ""
    return describe_rule(parse_rule(event.recurrence))


def _attachment_rows(event: Event) -> list[tuple[int, str, int]]:
    """(id, file name, size) of the event's files, read once per event object: a mail to
    200 guests asked the database 200 times for the same list."""
    rows = getattr(event, "_attachment_rows", None)
    if rows is None:
        rows = list(
            Attachment.objects.filter(event=event)
            .order_by("created_at", "id")
            .values_list("pk", "filename", "size")
        )
        event._attachment_rows = rows  # type: ignore[attr-defined]
    return rows


def _attachments(event: Event, tokens: Attendee) -> list[dict[str, Any]]:
    """Each file of the event, linked through this guest's own token."""
    base = settings.BASE_URL.rstrip("/")
    token = guest_tokens.link_token(tokens)
    return [
        {
            "name": filename,
            "size": size,
            "url": base + reverse("guest:attachment", args=[token, pk]),
        }
        for pk, filename, size in _attachment_rows(event)
    ]


def _render(prefix: str, context: dict[str, Any]) -> tuple[str, str, str]:
    subject = one_line(render_to_string(f"events/email/{prefix}-subject.txt", context))
    text = render_to_string(f"events/email/{prefix}-body.txt", context)
    html = render_to_string(f"events/email/{prefix}-body.html", context)
    return subject, text, html


def _guest_context(
    event: Event,
    attendee: Attendee,
    everyone: Sequence[Attendee],
    sender: Sender,
    kind: str,
    *,
    tokens: Attendee,
    series: Event,
    when: str,
) -> dict[str, Any]:
    visible = visible_attendees(event, attendee, everyone)
    return {
        "kind": kind,
        "event": event,
        "title": one_line(event.title),
        "when": when,
        "repeats": describe_repeats(series),
        "one_occurrence": kind in OCCURRENCE_KINDS,
        "organizer_name": sender.organizer_name,
        "guest_name": attendee.name,
        "participants": visible if event.guests_can_see_participants else [],
        "page_url": guest_tokens.page_url(tokens),
        "accept_url": guest_tokens.page_url(tokens, "accepted"),
        "decline_url": guest_tokens.page_url(tokens, "declined"),
        "attachments": _attachments(series, tokens) if kind not in CANCEL_KINDS else [],
    }


#: Kinds of guest mail about one occurrence of a series (RECURRENCE-ID).
OCCURRENCE_KINDS = ("occurrence_update", "occurrence_cancelled", "occurrence_removed")
CANCEL_KINDS = ("cancelled", "removed", "occurrence_cancelled", "occurrence_removed")


def build_guest_mail(
    event: Event,
    attendee: Attendee,
    everyone: Sequence[Attendee],
    sender: Sender,
    *,
    kind: str,
    exceptions: Sequence[ExceptionRow] = (),
    tokens: Attendee | None = None,
    occurrence: Occurrence | None = None,
) -> EmailMessage:
    """One iMIP message to one guest.

    ``kind``:

    - ``"invitation"`` (new guest) or ``"update"`` → REQUEST of the whole event: for a
      series the master (RRULE, EXDATE) and one VEVENT per changed occurrence
      (``exceptions``) the guest is on;
    - ``"cancelled"`` (the whole event) or ``"removed"`` (this guest only) → CANCEL
      (a CANCEL for a removed guest lists that guest alone);
    - ``"occurrence_update"`` → REQUEST with only the changed occurrence's VEVENT
      (``event`` is the exception row, ``attendee`` the guest's row on it);
    - ``"occurrence_cancelled"`` → CANCEL of one date (``occurrence``; RECURRENCE-ID and
      the series' SEQUENCE), ``"occurrence_removed"`` → the same to one guest taken off
      that date (``event`` the exception row).

    ``tokens`` is the guest's row on the series (or single event): links, the reply
    address and the attachments' links belong to it. Defaults to ``attendee``.
    """
    tokens = tokens or attendee
    series = event.series if event.series_id else event
    method = "CANCEL" if kind in CANCEL_KINDS else "REQUEST"
    only_this_guest = kind in ("removed", "occurrence_removed")
    people_pool = [attendee] if only_this_guest else everyone
    with translation.override(guest_tokens.language_of(attendee.guest, event.organizer)):
        if kind in ("invitation", "update"):
            vevents = guest_series_events(event, attendee, people_pool, sender, exceptions)
        else:
            vevents = [
                guest_calendar_event(
                    event,
                    attendee,
                    people_pool,
                    sender,
                    only_this_guest=only_this_guest,
                    tokens=tokens,
                    occurrence=occurrence,
                )
            ]
        calendar = build_calendar(method, vevents)
        if occurrence is not None:
            when = format_occurrence(event, occurrence.start, occurrence.end)
        elif event.series_id:
            when = format_occurrence(event, event.start, event.end)
        else:
            when = format_when(event)
        context = _guest_context(
            event, attendee, people_pool, sender, kind, tokens=tokens, series=series, when=when
        )
        prefix = "invitation" if method == "REQUEST" else "cancellation"
        subject, text, html = _render(prefix, context)
        reply_to = guest_tokens.reply_address(tokens)
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
    return message


# --------------------------------------------------------------------------- organizer mail


def decision_text(name: str, status: str, title: str, when: str | None) -> str:
    """ "Gina accepted “Kick-off”." in the active language; with ``when``, for that date."""
    if when is not None:
        texts = {
            Attendee.Status.ACCEPTED: _("%(guest)s accepted “%(title)s” on %(when)s."),
            Attendee.Status.TENTATIVE: _("%(guest)s might come to “%(title)s” on %(when)s."),
            Attendee.Status.DECLINED: _("%(guest)s declined “%(title)s” on %(when)s."),
        }
        fallback = _("%(guest)s answered “%(title)s” on %(when)s.")
    else:
        texts = {
            Attendee.Status.ACCEPTED: _("%(guest)s accepted “%(title)s”."),
            Attendee.Status.TENTATIVE: _("%(guest)s might come to “%(title)s”."),
            Attendee.Status.DECLINED: _("%(guest)s declined “%(title)s”."),
        }
        fallback = _("%(guest)s answered “%(title)s”.")
    return texts.get(status, fallback) % {"guest": name, "title": title, "when": when}


def notify_decision(attendee: Attendee) -> None:
    """Tell the organizer a guest answered: in-app always, by e-mail when the event says so.

    ``attendee.event`` is the event answered: a single event, a series (the answer holds
    for every date) or a changed occurrence, whose date the message then names.
    """
    event = attendee.event
    organizer = event.organizer
    series_id = event.series_id
    path = reverse("events:detail", args=[series_id or event.pk])
    if series_id:
        stamp = event.recurrence_id.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        path += "?" + urlencode({"occurrence": stamp})
    with translation.override(organizer.language or settings.LANGUAGE_CODE):
        when = format_occurrence(event, event.start, event.end) if series_id else format_when(event)
        context = {
            "event": event,
            "title": one_line(event.title),
            "when": when,
            "one_occurrence": bool(series_id),
            "guest_name": attendee.guest.name,
            "guest_email": attendee.guest.email,
            "status": attendee.status,
            "status_label": Attendee.Status(attendee.status).label,
            "event_url": settings.BASE_URL.rstrip("/") + path,
        }
        text = decision_text(
            attendee.guest.name, attendee.status, context["title"], when if series_id else None
        )
        notify(organizer, text, path)
        if event.notify_on_decision:
            subject, body, html = _render("decision", context)
            queue_email(to=[organizer.email], subject=subject, text=body, html=html)
