"""Reading the busy sources' state: which are stale, which are due."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from scheduling.instants import micros
from scheduling.intervals import merge_pairs_in

from . import busy_days
from .models import BusySource


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


def sources_of(user) -> list[BusySource]:
    return list(BusySource.objects.filter(user=user))


def outside_busy(
    user_ids: list[int], start: dt.datetime, end: dt.datetime
) -> tuple[dict[int, list[tuple[int, int]]], set[int]]:
    """Each person's outside busy time in the window (merged, epoch microseconds, from
    the per-day summary ``busy_days``) and who has a stale source. One query for people
    without sources (most), two for the others."""
    now = timezone.now()
    sources = BusySource.objects.filter(user_id__in=user_ids).only(
        "user_id", "last_success_at", "created_at"
    )
    with_sources, stale = set(), set()
    for source in sources:
        with_sources.add(source.user_id)
        if is_stale(source, now):
            stale.add(source.user_id)
    if not with_sources:
        return {}, stale
    lo, hi = micros(start), micros(end)
    spans = busy_days.busy_in(sorted(with_sources), lo, hi)
    # A span the summary cut at midnight is one block again.
    return {uid: merge_pairs_in(s, lo, hi) for uid, s in spans.items()}, stale
