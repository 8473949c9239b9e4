"""Instants as epoch microseconds, and the longest span a busy reader looks back for.

Why here, below ``events`` and ``sources``: both store busy time as integers (an index
on an integer is what makes "busy in this window" one seek) and both must agree on how
far back a span can start and still reach a window. Keeping the conversion and that
limit in one place lets both apps depend on ``scheduling`` instead of on each other.
"""

from __future__ import annotations

import datetime as dt

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)

#: No stored busy span (an event, an outside calendar's block) is longer: readers look
#: back this far from a window's start, so a longer span must be stored in pieces.
MAX_SPAN_LENGTH = dt.timedelta(days=31)


def micros(moment: dt.datetime) -> int:
    """An aware instant as microseconds since the epoch (exact)."""
    return (moment - EPOCH) // _MICROSECOND


def as_instant(value: int) -> dt.datetime:
    """Microseconds since the epoch as an aware UTC datetime (exact)."""
    return EPOCH + value * _MICROSECOND
