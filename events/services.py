"""The verbs of the calendar: every write to an event goes through one of these.

Each runs in one transaction. Fields that matter to attendees (RFC 5546 §2.1.4: time,
place, recurrence, status, the participant list) bump SEQUENCE; title or description
edits do not.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone as django_timezone
from django.utils.translation import gettext as _

from accounts.models import User

from . import guests as guest_lib
from . import invitations
from .exceptions import Conflict
from .models import Attendee, Event, GuestReplyReceipt
from .validation import clean_event_fields

if TYPE_CHECKING:
    from mail.inbound_parse import ParsedReply

logger = logging.getLogger(__name__)

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
#: A change of these resets guests' answers to "needs action" (the old answer was for
#: another time).
TIME_FIELDS = ("start", "end", "all_day", "recurrence")


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
    guests: Iterable[Any] = (),
    guests_can_see_participants: bool = False,
    notify_on_decision: bool = True,
) -> Event:
    """Create an event; every guest gets an iMIP invitation through the outbox.

    Guests need the organizer's confirmed sender mailbox (409 ``sender_mailbox_required``)
    and, on the free plan, a free slot of the quota (403 ``plan_limit_reached``).
    """
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
    guest_inputs = guest_lib.clean_guests(guests, organizer)
    mailbox = invitations.require_sender(organizer) if guest_inputs else None
    _lock_calendars([organizer.pk, *(u.pk for u in colleagues)])
    event = Event(
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
    if guest_inputs:
        guest_lib.claim_guest_quota(event)
    event.save()
    Attendee.objects.bulk_create(
        [Attendee(event=event, user=organizer, status=Attendee.Status.ACCEPTED)]
        + [Attendee(event=event, user=u) for u in colleagues]
    )
    if guest_inputs:
        _add_guests(event, guest_inputs)
        everyone = _participants(event)
        sender = invitations.Sender.for_event(event, mailbox)
        for attendee in everyone:
            if attendee.is_guest:
                invitations.queue_guest_mail(event, attendee, everyone, sender, kind="invitation")
    return event


def _participants(event: Event) -> list[Attendee]:
    """All attendees with their person loaded, organizer first."""
    rows = list(Attendee.objects.filter(event=event).select_related("user", "guest"))
    return sorted(rows, key=lambda a: (a.user_id != event.organizer_id, a.pk))


def _add_guests(event: Event, inputs: list[guest_lib.GuestInput]) -> None:
    contacts = guest_lib.upsert_guests(event.account_id, inputs)
    Attendee.objects.bulk_create(
        [
            Attendee(event=event, guest=contacts[item.email], **guest_lib.new_token_fields())
            for item in inputs
        ]
    )


@transaction.atomic
def event_update(event: Event, actor: User, **changes: Any) -> Event:
    """Apply the given fields (absent ones keep their value).

    ``attendee_ids`` replaces the invited colleagues, ``guests`` the external guests
    (``[{email, first_name, last_name}]``; a known address keeps its invitation, and its
    contact takes the names given).

    What guests are told (RFC 5546 §2.1.4): a change of time, place, recurrence, status
    or participants bumps SEQUENCE; every guest whose view of the event changed gets a
    REQUEST; a new guest gets an invitation, a removed one a CANCEL naming only that guest.
    Title or description edits are sent without a bump. A time change resets the guests'
    answers to "needs action". Nothing is sent when nothing a guest can see changed.
    """
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
    unknown = set(changes) - set(EDITABLE_FIELDS) - {"attendee_ids", "guests"}
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
    guest_inputs = (
        guest_lib.clean_guests(changes["guests"], event.organizer) if "guests" in changes else None
    )

    before = _participants(event)
    views_before = {a.pk: invitations.guest_view(event, a, before) for a in before if a.is_guest}
    significant = any(getattr(event, f) != cleaned[f] for f in SEQUENCE_FIELDS if f in cleaned)
    time_changed = any(getattr(event, f) != cleaned[f] for f in TIME_FIELDS if f in cleaned)
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

    removed_guests: list[Attendee] = []
    if guest_inputs is not None:
        current_guests = {a.guest.email: a for a in before if a.is_guest}
        wanted_emails = {g.email for g in guest_inputs}
        removed_guests = [a for email, a in current_guests.items() if email not in wanted_emails]
        new_inputs = [g for g in guest_inputs if g.email not in current_guests]
        guest_lib.upsert_guests(
            event.account_id, [g for g in guest_inputs if g.email in current_guests]
        )
        if removed_guests or new_inputs:
            significant = True
        if new_inputs:
            guest_lib.claim_guest_quota(event)
            _add_guests(event, new_inputs)
        if removed_guests:
            Attendee.objects.filter(pk__in=[a.pk for a in removed_guests]).delete()

    if significant:
        event.sequence += 1
    if time_changed:
        event.attendees.filter(guest__isnull=False).exclude(
            status=Attendee.Status.NEEDS_ACTION, answered_sequence=event.sequence
        ).update(
            status=Attendee.Status.NEEDS_ACTION,
            answered_sequence=event.sequence,
            answered_dtstamp=None,
        )
    event.save()

    after = _participants(event)
    to_mail: list[tuple[Attendee, str]] = [(a, "removed") for a in removed_guests]
    for attendee in after:
        if not attendee.is_guest:
            continue
        if attendee.pk not in views_before:
            to_mail.append((attendee, "invitation"))
        elif invitations.guest_view(event, attendee, after) != views_before[attendee.pk]:
            to_mail.append((attendee, "update"))
    if to_mail:
        sender = invitations.Sender.for_event(event, invitations.require_sender(actor))
        for attendee, kind in to_mail:
            invitations.queue_guest_mail(event, attendee, after, sender, kind=kind)
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
        everyone = _participants(event)
        guests = [a for a in everyone if a.is_guest]
        if guests:
            # A cancellation must always go out: without a usable mailbox any more, it is
            # sent from the system address on the organizer's behalf.
            sender = invitations.Sender.for_event(event, invitations.sender_mailbox_for(actor))
            for attendee in guests:
                invitations.queue_guest_mail(event, attendee, everyone, sender, kind="cancelled")
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


# --------------------------------------------------------------------------- guests' answers

GUEST_ANSWERS = (Attendee.Status.ACCEPTED, Attendee.Status.TENTATIVE, Attendee.Status.DECLINED)
_FROM_PARTSTAT = {
    "ACCEPTED": Attendee.Status.ACCEPTED,
    "TENTATIVE": Attendee.Status.TENTATIVE,
    "DECLINED": Attendee.Status.DECLINED,
}


@transaction.atomic
def guest_respond(attendee: Attendee, status: str) -> Attendee:
    """A guest answers on their own page (a POST; a GET never gets here).

    The answer counts as one given for the event's current SEQUENCE at this moment, so a
    mail-client REPLY written earlier cannot overwrite it later.
    """
    if status not in GUEST_ANSWERS:
        raise ValidationError({"status": _("Choose accepted, tentative or declined.")})
    attendee = (
        Attendee.objects.select_for_update(of=("self",))  # PostgreSQL: not the outer-joined guest
        .select_related("event", "event__organizer", "guest")
        .get(pk=attendee.pk, guest__isnull=False)
    )
    if attendee.event.is_cancelled:
        raise ValidationError({"status": _("This event was cancelled.")})
    now = django_timezone.now()
    changed = attendee.status != status
    attendee.status = status
    attendee.answered_sequence = attendee.event.sequence
    attendee.answered_dtstamp = now
    attendee.answered_at = now
    attendee.save(update_fields=["status", "answered_sequence", "answered_dtstamp", "answered_at"])
    if changed:
        invitations.notify_decision(attendee)
    return attendee


def _reply_fingerprint(message_id: str, reply: ParsedReply) -> str:
    recurrence = reply.recurrence_id.isoformat() if reply.recurrence_id else ""
    text = "\n".join([message_id.strip(), reply.uid, recurrence, reply.attendee_email.lower()])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _is_older(reply: ParsedReply, attendee: Attendee) -> bool:
    """Older than the last applied answer: lower SEQUENCE, or equal and earlier DTSTAMP."""
    if attendee.answered_sequence is None:
        return False
    if reply.sequence != attendee.answered_sequence:
        return reply.sequence < attendee.answered_sequence
    if reply.dtstamp is None or attendee.answered_dtstamp is None:
        return False
    return reply.dtstamp < attendee.answered_dtstamp


def apply_guest_reply(*, token: str, reply: ParsedReply, message_id: str | None = None) -> str:
    """Apply an iMIP REPLY that arrived at ``reply+<token>@INBOUND_DOMAIN``.

    Returns an outcome code: ``"applied"``, or why nothing changed: ``"unknown_token"``
    (no such invitation: never issued, or the guest was removed), ``"not_invited"`` (the
    REPLY is about another event, or the event was cancelled), ``"wrong_attendee"`` (the
    ATTENDEE in the body is not the guest this address was given to), ``"unsupported"``
    (a PARTSTAT other than accepted/tentative/declined), ``"stale"`` (older SEQUENCE or
    DTSTAMP than the answer already applied), ``"duplicate"`` (this message was applied
    before). Everything but "applied" is logged. One transaction; the organizer is
    notified in-app and, when the event says so, by e-mail through the outbox.
    """
    with transaction.atomic():
        outcome, attendee = _apply_guest_reply(token, reply, message_id)
    log = logger.info if outcome == "applied" else logger.warning
    log(
        "guest reply %s: uid=%r attendee=%r partstat=%s sequence=%s message_id=%r attendee_id=%s",
        outcome,
        getattr(reply, "uid", None),
        getattr(reply, "attendee_email", None),
        getattr(reply, "partstat", None),
        getattr(reply, "sequence", None),
        message_id,
        attendee.pk if attendee else None,
    )
    return outcome


def _apply_guest_reply(
    token: str, reply: ParsedReply, message_id: str | None
) -> tuple[str, Attendee | None]:
    found = guest_lib.attendee_for_reply_token(token)
    if found is None:
        return "unknown_token", None
    attendee = (
        Attendee.objects.select_for_update(of=("self",))  # PostgreSQL: not the outer-joined guest
        .select_related("event", "event__organizer", "guest")
        .filter(pk=found.pk)
        .first()
    )
    if attendee is None:  # removed between the lookup and the lock
        return "unknown_token", None
    event = attendee.event
    if reply.uid != event.uid or event.is_cancelled:
        return "not_invited", attendee
    address = (reply.attendee_email or "").strip()
    if address[:7].lower() == "mailto:":
        address = address[7:].strip()
    if address.lower() != attendee.guest.email.lower():
        return "wrong_attendee", attendee

    fingerprint = _reply_fingerprint(message_id, reply) if message_id else None
    if (
        fingerprint
        and GuestReplyReceipt.objects.filter(attendee=attendee, fingerprint=fingerprint).exists()
    ):
        return "duplicate", attendee
    status = _FROM_PARTSTAT.get(reply.partstat.upper())
    if status is None:
        outcome = "unsupported"
    elif _is_older(reply, attendee):
        outcome = "stale"
    elif (
        not fingerprint
        and attendee.status == status
        and attendee.answered_sequence == reply.sequence
        and attendee.answered_dtstamp == reply.dtstamp
    ):
        outcome = "duplicate"  # the same answer again, without a Message-ID to tell
    else:
        outcome = "applied"
    if fingerprint:
        GuestReplyReceipt.objects.create(
            attendee=attendee,
            fingerprint=fingerprint,
            message_id=message_id[:255],
            partstat=reply.partstat[:20],
            sequence=reply.sequence,
            dtstamp=reply.dtstamp,
            outcome=outcome,
        )
    if outcome != "applied":
        return outcome, attendee
    changed = attendee.status != status
    attendee.status = status
    attendee.answered_sequence = reply.sequence
    attendee.answered_dtstamp = reply.dtstamp
    attendee.answered_at = django_timezone.now()
    attendee.save(update_fields=["status", "answered_sequence", "answered_dtstamp", "answered_at"])
    if changed:
        invitations.notify_decision(attendee)
    return "applied", attendee
