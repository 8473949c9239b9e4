"""Reading the busy sources' state: which are stale, which are due."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from events.models import micros
from events.validation import earliest_start_reaching

from .models import BusyBlock, BusySource


def stale_after() -> dt.timedelta:
    return dt.timedelta(minutes=settings.SOURCE_STALE_MINUTES)


def is_stale(source: BusySource, now: dt.datetime | None = None) -> bool:
    """Not read successfully for longer than the limit (a new source: since it was
    added), so its busy blocks may be missing what is there now."""
    now = now or timezone.now()
    return (source.last_success_at or source.created_at) < now - stale_after()


def stale_q(now: dt.datetime) -> Q:
    limit = now - stale_after()
    return Q(last_success_at__lt=limit) | Q(last_success_at__isnull=True, created_at__lt=limit)


def users_with_stale_sources(user_ids: list[int], now: dt.datetime | None = None) -> set[int]:
    now = now or timezone.now()
    rows = BusySource.objects.filter(stale_q(now), user_id__in=user_ids).values_list(
        "user_id", flat=True
    )
    return set(rows)


def sources_of(user) -> list[BusySource]:
    return list(BusySource.objects.filter(user=user))


def outside_blocks(user_ids: list[int], start: dt.datetime, end: dt.datetime) -> list[tuple]:
    """(user_id, start, end) of the outside calendars' busy blocks touching the window,
    in epoch microseconds (each block is at most an event's length long)."""
    return list(
        BusyBlock.objects.filter(
            user_id__in=user_ids,
            start__gte=micros(earliest_start_reaching(start)),
            start__lt=micros(end),
            end__gt=micros(start),
        ).values_list("user_id", "start", "end")
    )
