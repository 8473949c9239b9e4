"""Answers to invitations: a colleague's in the app, a guest's on their page or from their
mail client (an iMIP REPLY, applied under the reply address it reached).

An answer to a series holds for every date (changed ones included); an answer to one date
makes or changes that date's exception row. A guest's answer from a mail client is
ordered by SEQUENCE then DTSTAMP, so an older one never overwrites a newer one, and a mail
delivered twice changes nothing (``GuestReplyReceipt``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone as django_timezone
from django.utils.translation import gettext as _

from accounts.models import User

from . import colleague_notices, invitations, webhook_events
from . import guests as guest_lib
from . import series as series_rows
from .models import Attendee, Event, GuestReplyReceipt
from .series_changes import occurrence_row
from .write_guards import lock_event

if TYPE_CHECKING:
    from mail.inbound_parse import ParsedReply

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- answers


def _answer_occurrences(
    series: Event,
    *,
    user_id: int | None = None,
    guest_id: int | None = None,
    status: str,
    dtstamp: dt.datetime | None,
    answered_at: dt.datetime | None,
) -> None:
    """A whole-series answer also holds for the person's copies on changed occurrences.

    Each copy records the occurrence's own SEQUENCE, so an older REPLY to that date
    cannot undo the answer later.
    """
    person = {"user_id": user_id} if user_id else {"guest_id": guest_id}
    copies = (
        Attendee.objects.select_for_update(of=("self",))
        .filter(event__series=series, **person)
        .select_related("event")
    )
    for copy in copies:
        copy.status = status
        copy.answered_sequence = copy.event.sequence
        copy.answered_dtstamp = dtstamp
        copy.answered_at = answered_at
        copy.save(update_fields=["status", "answered_sequence", "answered_dtstamp", "answered_at"])


@transaction.atomic
def attendee_respond(
    event: Event, user: User, status: str, *, occurrence: dt.datetime | None = None
) -> Attendee:
    """A colleague answers an invitation from inside the app.

    Without ``occurrence`` an answer to a series holds for every date, changed ones
    included; with it (or when ``event`` is an exception row) for that date alone, whose
    exception row is made if needed.
    """
    if status not in Attendee.Status.values or status == Attendee.Status.NEEDS_ACTION:
        raise ValidationError({"status": _("Choose accepted, tentative or declined.")})
    occurrence = series_rows.clean_occurrence(occurrence)
    series, row = lock_event(event)
    if not Attendee.objects.filter(event=row, user=user).exists():
        raise PermissionDenied(_("You are not invited to this event."))
    if occurrence is not None or row.series_id:
        row = occurrence_row(series, row, occurrence)
    attendee = Attendee.objects.select_for_update().filter(event=row, user=user).first()
    if attendee is None:
        raise PermissionDenied(_("You are not invited to this occurrence."))
    changed = attendee.status != status
    attendee.status = status
    attendee.save(update_fields=["status"])
    if row.is_series:
        _answer_occurrences(row, user_id=user.pk, status=status, dtstamp=None, answered_at=None)
    if changed:
        attendee.event = row
        colleague_notices.tell_organizer_of_answer(attendee)
    return attendee


# --------------------------------------------------------------------------- guests' answers

GUEST_ANSWERS = (Attendee.Status.ACCEPTED, Attendee.Status.TENTATIVE, Attendee.Status.DECLINED)
_FROM_PARTSTAT = {
    "ACCEPTED": Attendee.Status.ACCEPTED,
    "TENTATIVE": Attendee.Status.TENTATIVE,
    "DECLINED": Attendee.Status.DECLINED,
    "DELEGATED": Attendee.Status.DELEGATED,
}


def _lock_guest(attendee_id: int) -> Attendee | None:
    """Lock the guest's event row, then the attendee row (the order event writes use)."""
    event_id = (
        Attendee.objects.filter(pk=attendee_id, guest__isnull=False)
        .values_list("event_id", flat=True)
        .first()
    )
    if event_id is None:
        return None
    Event.objects.select_for_update().filter(pk=event_id).first()
    return (
        Attendee.objects.select_for_update(of=("self",))  # PostgreSQL: not the outer-joined guest
        .select_related("event", "event__organizer", "guest")
        .filter(pk=attendee_id, guest__isnull=False)
        .first()
    )


@transaction.atomic
def guest_respond(attendee: Attendee, status: str) -> Attendee:
    """A guest answers on their own page (a POST; a GET never gets here).

    The answer counts as one given for the event's current SEQUENCE at this moment, so a
    mail-client REPLY written earlier cannot overwrite it later. For a series it holds
    for every date, the changed ones included.
    """
    if status not in GUEST_ANSWERS:
        raise ValidationError({"status": _("Choose accepted, tentative or declined.")})
    locked = _lock_guest(attendee.pk)
    if locked is None:
        raise Attendee.DoesNotExist("The invitation is gone.")
    attendee = locked
    if attendee.event.is_cancelled:
        raise ValidationError({"status": _("This event was cancelled.")})
    now = django_timezone.now()
    changed = attendee.status != status
    attendee.status = status
    attendee.answered_sequence = attendee.event.sequence
    attendee.answered_dtstamp = now
    attendee.answered_at = now
    attendee.save(update_fields=["status", "answered_sequence", "answered_dtstamp", "answered_at"])
    if attendee.event.is_series:
        _answer_occurrences(
            attendee.event, guest_id=attendee.guest_id, status=status, dtstamp=now, answered_at=now
        )
    if changed:
        invitations.notify_decision(attendee)
        webhook_events.guest_answered(attendee)
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
    REPLY is about another event, the event was cancelled, or its RECURRENCE-ID is no
    occurrence the guest is invited to), ``"wrong_attendee"`` (the ATTENDEE in the body
    is not the guest this address was given to), ``"unsupported"`` (a PARTSTAT other than
    accepted/tentative/declined), ``"stale"`` (older SEQUENCE or DTSTAMP than the answer
    already applied), ``"duplicate"`` (this message was applied before). Everything but
    "applied" is logged. One transaction; the organizer is notified in-app and, when the
    event says so, by e-mail through the outbox.

    A REPLY without RECURRENCE-ID answers a series as a whole (every date, changed ones
    included); with one, that date alone: its exception row is made if needed, and the
    organizer is told which date.
    """
    with transaction.atomic():
        outcome, attendee = _apply_guest_reply(token, reply, message_id)
    log = logger.info if outcome == "applied" else logger.warning
    log(
        "guest reply %s: uid=%r attendee=%r partstat=%s sequence=%s recurrence_id=%s "
        "message_id=%r attendee_id=%s",
        outcome,
        getattr(reply, "uid", None),
        getattr(reply, "attendee_email", None),
        getattr(reply, "partstat", None),
        getattr(reply, "sequence", None),
        getattr(reply, "recurrence_id", None),
        message_id,
        attendee.pk if attendee else None,
    )
    return outcome


def _reply_occurrence(event: Event, recurrence_id: dt.datetime) -> dt.datetime:
    """The occurrence start a REPLY's RECURRENCE-ID means.

    mail.inbound_parse reads a DATE value as midnight UTC; for an all-day series the
    occurrence starts at midnight of that day in the series' own zone. A floating time
    (naive) is a wall time in the series' own zone.
    """
    if recurrence_id.tzinfo is None:
        return recurrence_id.replace(tzinfo=event.zone).astimezone(dt.UTC)
    if event.all_day and recurrence_id.astimezone(dt.UTC).time() == dt.time(0):
        day = recurrence_id.astimezone(dt.UTC).date()
        return dt.datetime.combine(day, dt.time(0), event.zone).astimezone(dt.UTC)
    return recurrence_id.astimezone(dt.UTC)


def _apply_guest_reply(
    token: str, reply: ParsedReply, message_id: str | None
) -> tuple[str, Attendee | None]:
    found = guest_lib.attendee_for_reply_token(token)
    if found is None:
        return "unknown_token", None
    attendee = _lock_guest(found.pk)
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

    # Which row the answer is for: the invitation's own, or the guest's on one date.
    target = attendee
    when = None
    exception = None
    if reply.recurrence_id is not None:
        when = _reply_occurrence(event, reply.recurrence_id)
        if not event.is_series:
            if when != event.start:
                return "not_invited", attendee
            when = None
        else:
            exception = (
                Event.objects.select_for_update().filter(series=event, recurrence_id=when).first()
            )
            if exception is None and not event.as_series().is_occurrence(when):
                return "not_invited", attendee
            if exception is not None:
                target = (
                    Attendee.objects.select_for_update()
                    .filter(event=exception, guest_id=attendee.guest_id)
                    .first()
                )
                if target is None:  # taken off that date
                    return "not_invited", attendee

    fingerprint = _reply_fingerprint(message_id, reply) if message_id else None
    if (
        fingerprint
        and GuestReplyReceipt.objects.filter(attendee=attendee, fingerprint=fingerprint).exists()
    ):
        return "duplicate", attendee
    status = _FROM_PARTSTAT.get(reply.partstat.upper())
    if status is None:
        outcome = "unsupported"
    elif _is_older(reply, target):
        outcome = "stale"
    elif (
        not fingerprint
        and target.status == status
        and target.answered_sequence == reply.sequence
        and target.answered_dtstamp == reply.dtstamp
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
    if when is not None and exception is None:
        exception = series_rows.make_exception(event, when)
        target = Attendee.objects.select_for_update().get(
            event=exception, guest_id=attendee.guest_id
        )
    if exception is not None:
        target.event = exception
        target.guest = attendee.guest
    now = django_timezone.now()
    delegate = getattr(reply, "delegated_to", "") if status == Attendee.Status.DELEGATED else ""
    changed = target.status != status or target.delegated_to != delegate
    target.status = status
    target.delegated_to = delegate  # shown to the organizer; never invited by us
    target.answered_sequence = reply.sequence
    target.answered_dtstamp = reply.dtstamp
    target.answered_at = now
    target.save(
        update_fields=[
            "status",
            "delegated_to",
            "answered_sequence",
            "answered_dtstamp",
            "answered_at",
        ]
    )
    if when is None and event.is_series:
        _answer_occurrences(
            event,
            guest_id=attendee.guest_id,
            status=status,
            dtstamp=reply.dtstamp,
            answered_at=now,
        )
    if changed:
        invitations.notify_decision(target)
        webhook_events.guest_answered(target)
    return "applied", target
