"""The per-day summary of a person's outside busy time (``BusyDay``), and its reading.

Why: a calendar of thousands of outside blocks read as rows costs what its rows cost,
on every slots request (bench/sources.py: two sources of 2,000 blocks took the slots
request from 1× to 1.4-1.5×). Merged across sources and kept per day, a 60-day window is
60 short rows. Rebuilt in the transaction that changes a source's blocks, from them.
"""

from __future__ import annotations

import json
from collections import defaultdict

from scheduling.intervals import merge_pairs_clipped

from .models import BusyBlock, BusyDay

DAY = 86_400_000_000  # microseconds


def rebuild(user_id: int) -> int:
    """Replace the person's summary from all their sources' blocks; returns its days."""
    blocks = BusyBlock.objects.filter(user_id=user_id).values_list("start", "end")
    merged = merge_pairs_clipped(blocks, -(2**62), 2**62)
    days: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for start, end in merged:
        day = start - start % DAY
        while day < end:
            days[day].append((max(start, day), min(end, day + DAY)))
            day += DAY
    BusyDay.objects.filter(user_id=user_id).delete()
    BusyDay.objects.bulk_create(
        [BusyDay(user_id=user_id, day=d, spans=json.dumps(s)) for d, s in days.items()],
        batch_size=1000,
    )
    return len(days)


def busy_in(user_ids: list[int], lo: int, hi: int) -> dict[int, list[tuple[int, int]]]:
    """Each person's merged outside busy spans of the days that meet ``[lo, hi)``
    (microseconds), sorted; the first and last day's may lie partly or wholly outside:
    the caller clips (``scheduling.intervals.merge_pairs_in`` does, for free)."""
    out: dict[int, list[tuple[int, int]]] = defaultdict(list)
    rows = (
        BusyDay.objects.filter(user_id__in=user_ids, day__gte=lo - lo % DAY, day__lt=hi)
        .order_by("user_id", "day")
        .values_list("user_id", "spans")
    )
    for user_id, spans in rows:
        out[user_id].extend(map(tuple, json.loads(spans)))
    return out
