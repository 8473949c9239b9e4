"""The verbs of the calendar: every write to an event goes through one of these.

Each runs in one transaction. Fields that matter to attendees (RFC 5546 §2.1.4: time,
place, recurrence and its excluded dates, status, the participant list) bump SEQUENCE;
title or description edits do not.

Recurring events. A series is one row (``recurrence`` set, ``start``/``end`` its first
occurrence, ``exdates`` the removed dates). A changed occurrence is an *exception row*
(``series`` + ``recurrence_id``, the series' UID) holding a copy of the series' fields
and participants at that date (see ``events.series``). Writes take a ``scope``:

- ``"all"``: the whole series (or a single event);
- ``"this"``: one occurrence, named by its original start (``occurrence``): its
  exception row is made or changed;
- ``"following"``: that occurrence and the later ones: the series is split, the old
  one ending before it, a new series (new UID, ``split_from``) starting there.

The "this" and "following" writes live in ``events.series_changes``, cancelling in
``events.cancelling``; the whole-event writes they build on, here; the locks and checks
every write takes, in ``events.write_guards``.

Locks: the series row first (``select_for_update``), then its exception row, then the
calendars of the people whose busy time changes (``lock_calendars``), always in this
order, so concurrent writes to one series queue up instead of deadlocking.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone as django_timezone
from django.utils.translation import gettext as _

from accounts.models import User
from scheduling.reminders import CHOICES as REMINDER_CHOICES
from scheduling.reminders import MAX_REMINDERS, clean_reminders

from . import colleague_notices, invitation_queue, invitations, series_changes, webhook_events
from . import guests as guest_lib
from . import series as series_rows
from .models import Attendee, Event
from .validation import clean_event_fields
from .write_guards import check_organizer, lock_calendars, lock_event, refuse_booked

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
    "reminders",
)
#: Only a whole series (scope "all", or the new part of a "following" split) takes these.
SERIES_FIELDS = ("recurrence", "exdates")
PARTICIPANT_FIELDS = ("attendee_ids", "guests")
SEQUENCE_FIELDS = (
    "start",
    "end",
    "timezone",
    "all_day",
    "location",
    "recurrence",
    "exdates",
    "status",
)
#: A change of these resets guests' answers to "needs action" (the old answer was for
#: another time).
TIME_FIELDS = ("start", "end", "all_day", "recurrence")
#: A change of these can move a series' occurrences (read in its own zone's wall time).
SHAPE_FIELDS = ("start", "end", "timezone", "all_day", "recurrence")


def _clean_transparency(value: Any) -> str:
    if value not in Event.Transparency.values:
        raise ValidationError({"transparency": _("Choose busy or free.")})
    return value


def _clean_reminders(value: Any) -> list[int]:
    try:
        return clean_reminders(value)
    except ValueError:
        raise ValidationError(
            {
                "reminders": _("Up to %(n)d reminders, each one of %(choices)s minutes.")
                % {"n": MAX_REMINDERS, "choices": ", ".join(str(c) for c in REMINDER_CHOICES)}
            }
        ) from None


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
    if not ids:
        return []  # nothing to look up (every booking, most events): no query
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


def _check_changes(changes: dict[str, Any]) -> None:
    unknown = set(changes) - set(EDITABLE_FIELDS) - set(SERIES_FIELDS) - set(PARTICIPANT_FIELDS)
    if unknown:
        field = sorted(unknown)[0]
        raise ValidationError({field: _("This field cannot be changed.")})


def _add_guests(event: Event, inputs: list[guest_lib.GuestInput]) -> dict[str, Any]:
    contacts = guest_lib.upsert_guests(event.account_id, inputs)
    guest_lib.adopt_organizer_language(list(contacts.values()), event.organizer)
    Attendee.objects.bulk_create(
        [
            Attendee(event=event, guest=contacts[item.email], **guest_lib.new_token_fields())
            for item in inputs
        ]
    )
    return contacts


def _series_shape(
    rule: str | None,
    cleaned: dict[str, Any],
    given_exdates: list[dt.datetime] | None,
    kept_exdates: Iterable[dt.datetime] = (),
):
    """Check a series as it will be stored; return (engine or None, its EXDATEs).

    EXDATEs given by the caller must each be an occurrence (error on ``exdates``); those
    kept from before silently drop out when the new rule or time no longer has them.
    """
    if rule is None:
        if given_exdates:
            raise ValidationError({"exdates": _("Only a repeating event has excluded dates.")})
        return None, []
    engine = series_rows.build_series(
        rule,
        start=cleaned["start"],
        end=cleaned["end"],
        timezone=zoneinfo.ZoneInfo(cleaned["timezone"]),
        all_day=bool(cleaned["all_day"]),
        exdates=given_exdates or (),
    )
    series_rows.check_series(engine)
    if given_exdates is not None:
        return engine, given_exdates
    return engine, sorted(series_rows.still_occurrences(engine, kept_exdates))


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
    recurrence: str | None = None,
    exdates: Iterable[Any] = (),
    uid: str | None = None,
    reminders: Iterable[Any] = (),
) -> Event:
    """Create an event; every guest gets an iMIP invitation through the outbox.

    ``uid`` keeps the UID a calendar app chose (CalDAV): its next sync must find the event
    it made under that UID. Otherwise a new one is minted.

    ``recurrence`` (RRULE text) makes a series whose first occurrence is ``start``/``end``
    (one occurrence lasts at most 31 days, as a single event); it is stored canonical.
    ``exdates`` are occurrences taken out (aware instants, each an occurrence). Errors
    name ``recurrence`` or ``exdates`` with the reason.

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
    rule = series_rows.clean_rule(recurrence)
    _engine, excluded = _series_shape(rule, cleaned, series_rows.clean_exdates(exdates))
    reminders = _clean_reminders(list(reminders))
    colleagues = _resolve_colleagues(organizer, attendee_ids)
    guest_inputs = guest_lib.clean_guests(guests, organizer)
    mailbox = invitations.require_sender(organizer) if guest_inputs else None
    lock_calendars([organizer.pk, *(u.pk for u in colleagues)])
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
        recurrence=rule,
        exdates=series_rows.store_exdates(excluded),
        transparency=_clean_transparency(transparency),
        guests_can_see_participants=bool(guests_can_see_participants),
        notify_on_decision=bool(notify_on_decision),
        reminders=reminders,
    )
    if uid is not None:
        event.uid = _clean_uid(uid)
    if guest_inputs:
        guest_lib.claim_guest_quota(event)
    event.save()
    Attendee.objects.bulk_create(
        [Attendee(event=event, user=organizer, status=Attendee.Status.ACCEPTED)]
        + [Attendee(event=event, user=u) for u in colleagues]
    )
    if guest_inputs:
        _add_guests(event, guest_inputs)
        everyone = invitations.participants(event)
        sender = invitations.Sender.for_event(event, mailbox)
        invites = [(a, "invitation") for a in everyone if a.is_guest]
        invitation_queue.queue_guest_mails(event, invites, everyone, sender)
    colleague_notices.tell_colleagues(event, organizer, colleagues, colleague_notices.INVITED)
    return event


def _clean_uid(uid: Any) -> str:
    if not isinstance(uid, str) or not uid.strip() or len(uid) > 255:
        raise ValidationError({"uid": _("A UID is 1 to 255 characters.")})
    if any(ord(c) < 32 or ord(c) == 0x7F for c in uid):
        raise ValidationError({"uid": _("Must be one line without control characters.")})
    if Event.objects.filter(uid=uid, series__isnull=True).exists():
        raise ValidationError({"uid": _("Another event has this UID already.")})
    return uid


# --------------------------------------------------------------------------- changes


@transaction.atomic
def event_update(
    event: Event,
    actor: User,
    *,
    scope: str = "all",
    occurrence: dt.datetime | None = None,
    **changes: Any,
) -> Event:
    """Apply the given fields (absent ones keep their value) to the part ``scope`` names.

    ``attendee_ids`` replaces the invited colleagues, ``guests`` the external guests
    (``[{email, first_name, last_name}]``; a known address keeps its invitation, and its
    contact takes the names given). ``recurrence`` and ``exdates`` only with scope "all"
    (or "following", for the new part).

    Scope "all" (``event`` may be an exception row: its series is meant): field changes
    reach the changed occurrences that still had the old value; colleagues and guests
    added or removed are added to or removed from them too. A change of time or rule
    drops the changed occurrences and EXDATEs that are no longer occurrences.
    Returns the series (or single event).

    Scope "this" (``occurrence``: original start; not needed when ``event`` is the
    exception row): makes or changes that date's exception row and returns it. Guests
    can be taken off one date but only the series' guests can be on it; they get a
    REQUEST with only that date (RECURRENCE-ID).

    Scope "following": splits the series before ``occurrence``: the old one gets UNTIL
    (Series.until_before), the new one (new UID, ``split_from`` = old) starts there with
    the changes and, for a COUNT rule, the remaining count; changed occurrences and
    EXDATEs from there on move to it. Guests of the new series get a fresh invitation
    (new links); those of the old one a REQUEST for the cut series. The split-off series
    does not use another slot of the free plan's quota. Returns the new series; on the
    first occurrence it is the same as "all".

    What guests are told (RFC 5546 §2.1.4): a change of time, place, recurrence, status
    or participants bumps SEQUENCE; every guest whose view of the event changed gets a
    REQUEST; a new guest gets an invitation, a removed one a CANCEL naming only that guest.
    Title or description edits are sent without a bump. A time change resets the guests'
    answers to "needs action". Nothing is sent when nothing a guest can see changed.
    """
    scope = series_rows.clean_scope(scope)
    occurrence = series_rows.clean_occurrence(occurrence)
    series, row = lock_event(event)
    check_organizer(row, actor)
    refuse_booked(series)
    if series.is_cancelled or row.is_cancelled:
        raise ValidationError({"status": _("A cancelled event cannot be changed.")})
    _check_changes(changes)
    before = colleague_notices.colleagues_of(row)
    result = _dispatch_update(series, row, actor, scope, occurrence, changes)
    after = colleague_notices.colleagues_of(result)
    tell = colleague_notices.tell_colleagues
    tell(result, actor, [u for pk, u in after.items() if pk not in before], "invited")
    tell(result, actor, [u for pk, u in before.items() if pk not in after], "removed")
    if colleague_notices.SEEN_FIELDS & set(changes):
        tell(result, actor, [u for pk, u in after.items() if pk in before], "changed")
    webhook_events.event_changed(result)
    return result


def _dispatch_update(
    series: Event,
    row: Event,
    actor: User,
    scope: str,
    occurrence: dt.datetime | None,
    changes: dict[str, Any],
) -> Event:
    if scope == "this":
        for field in SERIES_FIELDS:
            if field in changes:
                raise ValidationError(
                    {field: _("This changes the whole series: use scope “all” or “following”.")}
                )
        target = series_changes.occurrence_row(series, row, occurrence)
        return series_changes.update_occurrence(series, target, actor, changes)
    if scope == "following":
        split_at = series_changes.following_start(series, row, occurrence)
        if split_at != series.start:
            return series_changes.split_series(series, split_at, actor, changes)
    return update_whole(series, actor, changes)


def clean_fields(event: Event, changes: dict[str, Any]) -> dict[str, Any]:
    merged = {f: getattr(event, f) for f in EDITABLE_FIELDS}
    merged.update({k: v for k, v in changes.items() if k in EDITABLE_FIELDS})
    if changes.get("all_day") is False and event.all_day and "end" not in changes:
        merged["end"] = merged["start"] + (event.end - event.start)
    cleaned = clean_event_fields(merged)
    cleaned["transparency"] = _clean_transparency(merged["transparency"])
    for flag in ("all_day", "guests_can_see_participants", "notify_on_decision"):
        cleaned[flag] = bool(merged[flag])
    cleaned["reminders"] = _clean_reminders(merged["reminders"])
    return cleaned


def _guest_views(
    event: Event, everyone: list[Attendee], exceptions: list[invitations.ExceptionRow]
) -> dict[int, tuple]:
    return {
        a.pk: invitations.guest_view(event, a, everyone, exceptions) for a in everyone if a.is_guest
    }


def update_whole(event: Event, actor: User, changes: dict[str, Any], *, fresh: bool = False):
    """Scope "all" on a series or single event (locked by the caller).

    ``fresh``: the event is the new half of a split that no guest has seen yet: every
    guest gets an invitation, and nobody a cancellation.
    """
    exceptions_before = invitations.exception_rows(event)
    exception_ids = [x.event.pk for x in exceptions_before]
    lock_calendars(
        [
            event.organizer_id,
            *Attendee.objects.filter(event_id__in=[event.pk, *exception_ids], user__isnull=False)
            .values_list("user_id", flat=True)
            .distinct(),
        ]
    )
    cleaned = clean_fields(event, changes)
    rule = series_rows.clean_rule(changes["recurrence"]) if "recurrence" in changes else None
    if "recurrence" not in changes:
        rule = event.recurrence or None
    given_exdates = series_rows.clean_exdates(changes["exdates"]) if "exdates" in changes else None
    old_engine = event.as_series()
    engine, excluded = _series_shape(
        rule, cleaned, given_exdates, series_rows.stored_exdates(event)
    )
    new_exdates = series_rows.store_exdates(excluded)
    guest_inputs = (
        guest_lib.clean_guests(changes["guests"], event.organizer) if "guests" in changes else None
    )

    before = invitations.participants(event)
    views_before = _guest_views(event, before, exceptions_before)
    new_values = {**cleaned, "recurrence": rule, "exdates": new_exdates, "status": event.status}
    old_values = {f: getattr(event, f) for f in (*EDITABLE_FIELDS, *SERIES_FIELDS)}
    old_values["recurrence"] = event.recurrence or None
    old_values["exdates"] = list(event.exdates or [])
    old_values["status"] = event.status
    significant = any(old_values[f] != new_values[f] for f in SEQUENCE_FIELDS)
    time_changed = any(old_values[f] != new_values[f] for f in TIME_FIELDS)
    shape_changed = any(old_values[f] != new_values[f] for f in SHAPE_FIELDS)
    for field in EDITABLE_FIELDS:
        setattr(event, field, cleaned[field])
    event.recurrence = rule
    event.exdates = new_exdates

    # Changed occurrences: gone with the rule, or with their date; the others follow.
    kept = exceptions_before
    if engine is None:
        kept = []
    elif shape_changed:
        alive = series_rows.still_occurrences(engine, [x.event.recurrence_id for x in kept])
        kept = [x for x in kept if x.event.recurrence_id in alive]
    dropped = set(exception_ids) - {x.event.pk for x in kept}
    if dropped:
        Event.objects.filter(pk__in=dropped).delete()
    kept_events = [x.event for x in kept]
    _follow_series(event, kept_events, old_values, old_engine, engine)

    if "attendee_ids" in changes and replace_colleagues(
        event, kept_events, changes["attendee_ids"]
    ):
        significant = True

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
            contacts = _add_guests(event, new_inputs)
            _add_to_occurrences(kept_events, guest_ids=[contacts[g.email].pk for g in new_inputs])
        if removed_guests:
            gone = [a.guest_id for a in removed_guests]
            Attendee.objects.filter(
                event_id__in=[event.pk, *(e.pk for e in kept_events)], guest_id__in=gone
            ).delete()

    if significant:
        event.sequence += 1
        for exception in kept_events:
            exception.sequence = max(exception.sequence + 1, event.sequence)
        Event.objects.bulk_update(kept_events, ["sequence"])
    if time_changed:
        event.attendees.filter(guest__isnull=False).exclude(
            status=Attendee.Status.NEEDS_ACTION, answered_sequence=event.sequence
        ).update(
            status=Attendee.Status.NEEDS_ACTION,
            answered_sequence=event.sequence,
            answered_dtstamp=None,
        )
    event.save()

    after = invitations.participants(event)
    exceptions_after = invitations.exception_rows(event)
    to_mail: list[tuple[Attendee, str]] = []
    if not fresh:
        to_mail = [(a, "removed") for a in removed_guests]
    for attendee in after:
        if not attendee.is_guest:
            continue
        if fresh or attendee.pk not in views_before:
            to_mail.append((attendee, "invitation"))
        elif (
            invitations.guest_view(event, attendee, after, exceptions_after)
            != views_before[attendee.pk]
        ):
            to_mail.append((attendee, "update"))
    if to_mail:
        sender = invitations.Sender.for_event(event, invitations.require_sender(actor))
        invitation_queue.queue_guest_mails(
            event, to_mail, after, sender, exceptions=exceptions_after
        )
    return event


def _follow_series(
    series: Event,
    exceptions: list[Event],
    old: dict[str, Any],
    old_engine: Any,
    engine: Any,
) -> None:
    """Carry an "all" edit over to the changed occurrences that had not changed it.

    A field reaches an exception row whose value was the series' old one (its own edit
    wins). Its time follows when it still had the occurrence's old time (a row made only
    to record an answer, say); its guests must then answer again.
    """
    now = django_timezone.now()
    for exception in exceptions:
        fields = []
        for field in series_rows.PROPAGATED_FIELDS:
            new = getattr(series, field)
            if old[field] != new and getattr(exception, field) == old[field]:
                setattr(exception, field, new)
                fields.append(field)
        if old_engine is not None and engine is not None:
            rid = exception.recurrence_id
            old_time = (rid, old_engine.occurrence_end(rid))
            new_time = (rid, engine.occurrence_end(rid))
            if (exception.start, exception.end) == old_time and old_time != new_time:
                exception.start, exception.end = new_time
                fields += ["start", "end"]
                exception.attendees.filter(guest__isnull=False).update(
                    status=Attendee.Status.NEEDS_ACTION, answered_dtstamp=None
                )
        if fields:
            exception.updated_at = now
            exception.save(update_fields=[*fields, "updated_at"])


def replace_colleagues(event: Event, occurrences: list[Event], attendee_ids: Any) -> bool:
    """Set the invited colleagues of ``event`` (and of its changed occurrences, when given).

    Returns whether anyone was added or removed.
    """
    wanted = {u.pk: u for u in _resolve_colleagues(event.organizer, attendee_ids)}
    current = set(
        event.attendees.filter(user__isnull=False)
        .exclude(user=event.organizer_id)
        .values_list("user_id", flat=True)
    )
    removed = [uid for uid in current if uid not in wanted]
    added = [u for uid, u in wanted.items() if uid not in current]
    if not (removed or added):
        return False
    lock_calendars(u.pk for u in added)
    Attendee.objects.filter(
        event_id__in=[event.pk, *(e.pk for e in occurrences)], user_id__in=removed
    ).delete()
    Attendee.objects.bulk_create([Attendee(event=event, user=u) for u in added])
    _add_to_occurrences(occurrences, user_ids=[u.pk for u in added])
    return True


def _add_to_occurrences(
    occurrences: list[Event], *, user_ids: Iterable[int] = (), guest_ids: Iterable[int] = ()
) -> None:
    """Add people to changed occurrences (not answered yet); guests' copies have no tokens."""
    user_ids, guest_ids = list(user_ids), list(guest_ids)
    if not occurrences or not (user_ids or guest_ids):
        return
    ids = [e.pk for e in occurrences]
    have = set(
        Attendee.objects.filter(event_id__in=ids).values_list("event_id", "user_id", "guest_id")
    )
    have_users = {(e, u) for e, u, _g in have if u}
    have_guests = {(e, g) for e, _u, g in have if g}
    Attendee.objects.bulk_create(
        [Attendee(event_id=e, user_id=u) for e in ids for u in user_ids if (e, u) not in have_users]
        + [
            Attendee(event_id=e, guest_id=g)
            for e in ids
            for g in guest_ids
            if (e, g) not in have_guests
        ]
    )


def mail_whole(event: Event, actor: User | None, *, kind: str) -> None:
    """Send every guest of ``event`` the whole event (REQUEST ``update`` or CANCEL)."""
    everyone = invitations.participants(event)
    guests = [a for a in everyone if a.is_guest]
    if not guests:
        return
    if kind == "update":
        mailbox = invitations.require_sender(actor)
    else:
        # A cancellation must always go out: without a usable mailbox any more, it is
        # sent from the system address on the organizer's behalf.
        mailbox = invitations.sender_mailbox_for(actor)
    sender = invitations.Sender.for_event(event, mailbox)
    exceptions = invitations.exception_rows(event) if kind == "update" else []
    invitation_queue.queue_guest_mails(
        event, [(a, kind) for a in guests], everyone, sender, exceptions=exceptions
    )
