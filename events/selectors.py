"""Reads of events that more than one caller needs (pages, API, free/busy)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from accounts.models import User
from scheduling.intervals import Interval, merge

from .models import Attendee, Event


def visible_events(user: User) -> QuerySet[Event]:
    """Events the user organizes or is invited to, always inside the user's own account."""
    return (
        Event.objects.filter(account_id=user.account_id)
        .filter(Q(organizer=user) | Q(attendees__user=user))
        .distinct()
    )


def events_in_range(
    user: User, start: dt.datetime, end: dt.datetime, *, include_cancelled: bool = False
) -> list[Event]:
    qs = visible_events(user).filter(start__lt=end, end__gt=start)
    if not include_cancelled:
        qs = qs.exclude(status=Event.Status.CANCELLED)
    return list(
        qs.select_related("organizer").prefetch_related(
            Prefetch("attendees", queryset=Attendee.objects.select_related("user", "guest")),
            "attachments",
        )
    )


def get_event_for_user(user: User, event_id: int) -> Event:
    """The event if the user may see it; any other id (foreign, missing) is the same 404."""
    event = (
        visible_events(user)
        .select_related("organizer")
        .prefetch_related(
            Prefetch("attendees", queryset=Attendee.objects.select_related("user", "guest")),
            "attachments",
        )
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        raise Http404("No such event.")
    return event


def get_event_for_organizer(user: User, event_id: int) -> Event:
    event = get_event_for_user(user, event_id)
    if event.organizer_id != user.pk:
        raise Http404("No such event.")
    return event


def busy_intervals(
    users: Iterable[User], start: dt.datetime, end: dt.datetime
) -> dict[int, list[Interval]]:
    """Merged busy time per user in one query.

    Busy = not cancelled, shown as busy, and organized by the user or attended without
    having declined.
    """
    user_ids = [u.pk for u in users]
    result: dict[int, list[Interval]] = {uid: [] for uid in user_ids}
    rows = (
        Attendee.objects.filter(
            user_id__in=user_ids,
            event__start__lt=end,
            event__end__gt=start,
            event__transparency=Event.Transparency.BUSY,
        )
        .exclude(event__status=Event.Status.CANCELLED)
        .exclude(status=Attendee.Status.DECLINED)
        .values_list("user_id", "event__start", "event__end")
    )
    raw: dict[int, list[Interval]] = defaultdict(list)
    for user_id, ev_start, ev_end in rows:
        raw[user_id].append(Interval(max(ev_start, start), min(ev_end, end)))
    for user_id, intervals in raw.items():
        result[user_id] = merge(intervals)
    return result
