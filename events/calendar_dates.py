"""Dates read from the calendar's addresses (``/calendar/week/<date>/``, ``?date=``) and
the week page's address of a date: shared by the calendar pages and the event pages."""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from django.urls import reverse

from .week import monday_of

#: Weeks outside these years are refused: nobody plans there, and datetime arithmetic at
#: the edges of year 1..9999 would overflow.
MIN_YEAR, MAX_YEAR = 1900, 2999


def read_day(text: str) -> dt.date | None:
    """A YYYY-MM-DD date inside the years we show, or None."""
    text = text.strip()
    if len(text) > 10:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return day if MIN_YEAR <= day.year <= MAX_YEAR else None


def parse_day(text: str) -> dt.date:
    day = read_day(text)
    if day is None:
        raise Http404("Not a date.")
    return day


def week_url(day: dt.date) -> str:
    return reverse("events:week_of", args=[monday_of(day).isoformat()])
