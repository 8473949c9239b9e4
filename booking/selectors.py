"""Reads of booking links and bookings: token look-ups, the slots a link offers, lists.

A token that is unknown, revoked or malformed raises the same ``DeadLink`` (a 404 with
one branded page): the answer must not tell a visitor whether a link ever existed.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.dead_links import DeadLink
from accounts.models import User
from accounts.tokens import digest
from events.selectors import busy_spans
from scheduling.hours import parse_weekly_hours, working_windows
from scheduling.instants import micros
from scheduling.intervals import Interval, merge_pairs_in

from .models import Booking, BookingLink
from .slots import Rules, busy_meeting_hours, busy_query_range, compute_slots, offered_range

#: Tokens we mint are 43 (manage) or 52 (link) characters; far longer is not worth hashing.
MAX_TOKEN_LENGTH = 100


def _token_digest(token: object) -> str:
    if not isinstance(token, str) or not 20 <= len(token) <= MAX_TOKEN_LENGTH:
        raise DeadLink
    return digest(token)


def link_for_token(token: object) -> BookingLink:
    """The switched-on link this token opens, with its owner; otherwise a bare 404."""
    link = (
        BookingLink.objects.select_related("owner")
        .filter(token_digest=_token_digest(token), owner__is_active=True)
        .first()
    )
    if link is None:
        raise DeadLink
    return link


def booking_for_manage_token(token: object) -> Booking:
    """The booking whose private manage link this is; otherwise a bare 404."""
    booking = (
        Booking.objects.select_related("owner", "event", "link")
        .filter(manage_digest=_token_digest(token))
        .first()
    )
    if booking is None:
        raise DeadLink
    return booking


def links_for_owner(owner: User) -> list[BookingLink]:
    """The owner's meeting types, the first (oldest) first."""
    return list(
        BookingLink.objects.select_related("owner")
        .filter(owner=owner, archived_at=None)
        .prefetch_related("members")
    )


def link_for_owner(owner: User) -> BookingLink | None:
    """The first meeting type: the one ``/booking-link`` and ``/booking/`` mean."""
    return BookingLink.objects.select_related("owner").filter(owner=owner, archived_at=None).first()


def owned_link(owner: User, link_id: object) -> BookingLink:
    """One of the owner's meeting types; anyone else's is the same 404 as a missing one."""
    try:
        pk = int(str(link_id))
    except ValueError:
        raise Http404 from None
    link = (
        BookingLink.objects.select_related("owner")
        .filter(owner=owner, archived_at=None, pk=pk)
        .first()
    )
    if link is None:
        raise Http404
    return link


def chosen_duration(link: BookingLink, value: object) -> int:
    """The length a booker asked for (minutes), or the link's default; a length the link
    does not offer is a ValidationError on ``duration_minutes``."""
    if value in (None, ""):
        return link.duration_minutes
    try:
        minutes = int(str(value))
    except ValueError:
        minutes = -1
    if minutes not in link.offered_durations:
        raise ValidationError(
            {
                "duration_minutes": _("Choose one of %(choices)s minutes.")
                % {"choices": ", ".join(str(d) for d in link.offered_durations)}
            }
        )
    return minutes


def rules_for(link: BookingLink, duration: int | None = None) -> Rules:
    """The link's settings as the slot computation wants them, for one of its lengths
    (the default when not given)."""
    hours = parse_weekly_hours(link.effective_hours)
    return Rules(
        duration=dt.timedelta(minutes=duration or link.duration_minutes),
        hours=hours,
        tz=zoneinfo.ZoneInfo(link.hours_timezone),
        buffer_before=dt.timedelta(minutes=link.buffer_before_minutes),
        buffer_after=dt.timedelta(minutes=link.buffer_after_minutes),
        min_notice=dt.timedelta(minutes=link.min_notice_minutes),
        horizon_days=link.horizon_days,
        daily_limit=link.daily_limit,
    )


def booked_per_day(
    owner: User,
    tz: zoneinfo.ZoneInfo,
    start: dt.datetime,
    end: dt.datetime,
    ignore: int | None = None,
) -> Counter:
    """Confirmed bookings of ``owner`` by local date in ``tz``, for days touching the range
    (``ignore``: a booking being moved, which does not count against its new day)."""
    margin = dt.timedelta(days=1)
    starts = (
        Booking.objects.filter(
            owner=owner,
            status=Booking.Status.CONFIRMED,
            start__gte=start - margin,
            start__lt=end + margin,
        )
        .exclude(pk=ignore)
        .values_list("start", flat=True)
    )
    return Counter(s.astimezone(tz).date() for s in starts)


def link_people(link: BookingLink) -> list[User]:
    """Whom the link books: its owner first, then its members (joint and round-robin
    links), in id order (the order their rows are locked in)."""
    if link.kind == BookingLink.Kind.ONE or link.pk is None:
        return [link.owner]
    members = User.objects.filter(link_memberships__link=link, is_active=True).order_by("pk")
    return [link.owner, *[m for m in members if m.pk != link.owner_id]]


def _off_hours(person: User, lo: dt.datetime, hi: dt.datetime) -> list[tuple[int, int]]:
    """The time in ``[lo, hi)`` outside a member's own working hours, as busy spans: a
    joint link offers only times inside every member's own hours."""
    windows = working_windows(
        parse_weekly_hours(person.working_hours), zoneinfo.ZoneInfo(person.timezone), lo, hi
    )
    out, cursor = [], micros(lo)
    for window in windows:
        start = micros(window.start)
        if start > cursor:
            out.append((cursor, start))
        cursor = max(cursor, micros(window.end))
    if cursor < micros(hi):
        out.append((cursor, micros(hi)))
    return out


def _busy_of(
    link: BookingLink, people: list[User], lo: dt.datetime, hi: dt.datetime
) -> dict[int, list[tuple[int, int]]]:
    """Each person's busy spans in ``[lo, hi)``; a member other than the owner is also
    busy outside their own working hours (the owner's hours are the link's)."""
    spans = busy_spans(people, lo, hi, stale_as_busy=link.stale_sources_busy)
    for person in people[1:]:
        spans[person.pk] = merge_pairs_in(
            spans[person.pk] + _off_hours(person, lo, hi), micros(lo), micros(hi)
        )
    return spans


def slots_by_person(
    link: BookingLink,
    start: dt.datetime,
    end: dt.datetime,
    *,
    now: dt.datetime | None = None,
    duration: int | None = None,
    moving: int | None = None,
) -> dict[int, list[Interval]]:
    """Each person's own slots on the link (a round-robin link offers their union)."""
    now = now or timezone.now()
    rules = rules_for(link, duration)
    offered = offered_range(rules, start, end, now)
    people = link_people(link)
    if offered is None:
        return {p.pk: [] for p in people}
    busy_lo, busy_hi = busy_query_range(rules, *offered)
    spans = _busy_of(link, people, busy_lo, busy_hi)
    out = {}
    for person in people:
        per_day = (
            booked_per_day(person, rules.tz, busy_lo, busy_hi, moving)
            if rules.daily_limit is not None
            else None
        )
        busy = busy_meeting_hours(rules, offered, spans[person.pk])
        out[person.pk] = compute_slots(rules, start, end, now, busy, per_day)
    return out


def slots_for_link(
    link: BookingLink,
    start: dt.datetime,
    end: dt.datetime,
    *,
    now: dt.datetime | None = None,
    duration: int | None = None,
    moving: int | None = None,
) -> list[Interval]:
    """The slots the link offers with starts in ``[start, end)``, for a meeting of
    ``duration`` minutes (one of its lengths; the default when not given).

    One query for the busy time of the whole window and every person the link books
    (events.selectors.busy_spans, the same definition of "busy" as the planner), one
    more for the daily limit when one is set, then the pure computation: never a query
    per slot. A joint link offers the times when everyone is free, a round-robin link
    the times when anyone is. ``moving``: a booking being moved, left out of the daily
    limit's count.
    """
    if link.kind == BookingLink.Kind.ANY:
        per_person = slots_by_person(link, start, end, now=now, duration=duration, moving=moving)
        union = {slot.start: slot for slots in per_person.values() for slot in slots}
        return [union[k] for k in sorted(union)]
    now = now or timezone.now()
    rules = rules_for(link, duration)
    offered = offered_range(rules, start, end, now)
    if offered is None:
        return []
    busy_lo, busy_hi = busy_query_range(rules, *offered)
    people = link_people(link)
    spans = _busy_of(link, people, busy_lo, busy_hi)
    everyone = [span for person in people for span in spans[person.pk]]
    merged = (
        merge_pairs_in(everyone, micros(busy_lo), micros(busy_hi)) if len(people) > 1 else everyone
    )
    busy = busy_meeting_hours(rules, offered, merged)
    per_day = (
        booked_per_day(link.owner, rules.tz, busy_lo, busy_hi, moving)
        if rules.daily_limit is not None
        else None
    )
    return compute_slots(rules, start, end, now, busy, per_day)


def bookings_for_owner(owner: User) -> QuerySet[Booking]:
    """Bookings made through the owner's link, newest meetings last."""
    return Booking.objects.filter(owner=owner).select_related("event")


def get_booking_for_owner(owner: User, booking_id: object) -> Booking:
    """The owner's booking with this id; a foreign or missing id is the same 404."""
    try:
        pk = int(booking_id)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise Http404 from None
    booking = bookings_for_owner(owner).filter(pk=pk).first()
    if booking is None:
        raise Http404
    return booking


def booking_for_event(event_id: int) -> Booking | None:
    """The booking behind an event, if it was booked (for the event pages)."""
    return Booking.objects.filter(event_id=event_id).first()
