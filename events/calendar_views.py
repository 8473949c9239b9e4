"""The calendar's pages: the week, the day and the month.

The day page is the week grid's one column, wide: what a phone shows by default (the
week page sends a phone there from the calendar's start page). The month page is an
overview: per date the first few events and how many more, each date leading to its day.
Both read occurrences exactly as the week does (``selectors.occurrences_in_range`` and
``events.week.layout_week``), so a series or an all-day event shows the same everywhere.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import selectors
from .calendar_dates import MAX_YEAR, MIN_YEAR, parse_day, read_day, week_url
from .week import Day, layout_week, monday_of, week_bounds

#: Events listed in a month cell before "+N more".
MONTH_CELL_ITEMS = 3


def _days_of_weeks(user, first_monday: dt.date, weeks: int, today: dt.date) -> list[Day]:
    """``weeks`` weeks of laid-out days from ``first_monday``, read in one query."""
    zone = user.zone
    start, _end = week_bounds(first_monday, zone)
    _start, end = week_bounds(first_monday + dt.timedelta(weeks=weeks - 1), zone)
    # A day of margin each side, as the week page: all-day events are dates in their own zone.
    occurrences = selectors.occurrences_in_range(
        user, start - dt.timedelta(days=1), end + dt.timedelta(days=1)
    )
    days: list[Day] = []
    for week in range(weeks):
        monday = first_monday + dt.timedelta(weeks=week)
        days += layout_week(occurrences, monday, zone, today=today, viewer_id=user.pk)
    return days


@login_required
@require_GET
def day_view(request: HttpRequest, day: str) -> HttpResponse:
    user = request.user
    now = timezone.now().astimezone(user.zone)
    date = parse_day(day)
    (shown,) = [d for d in _days_of_weeks(user, monday_of(date), 1, now.date()) if d.date == date]
    return render(
        request,
        "events/day.html",
        {
            "nav": "calendar",
            "day": shown,
            "days": [shown],
            "prev_url": reverse("events:day", args=[(date - dt.timedelta(days=1)).isoformat()]),
            "next_url": reverse("events:day", args=[(date + dt.timedelta(days=1)).isoformat()]),
            "today_url": reverse("events:day", args=[now.date().isoformat()]),
            "week_url": reverse("events:week_of", args=[monday_of(date).isoformat()]),
            "month_url": reverse("events:month", args=[date.year, date.month]),
            "is_today": date == now.date(),
            "hours": range(24),
            "zone_name": user.timezone,
            "now_minute": now.hour * 60 + now.minute,
        },
    )


@login_required
def week(request: HttpRequest, day: str | None = None) -> HttpResponse:
    user = request.user
    zone = user.zone
    now = timezone.now().astimezone(zone)
    today = now.date()
    monday = monday_of(parse_day(day) if day else today)
    if "date" in request.GET:
        return _go_to_date(request, monday)
    start, end = week_bounds(monday, zone)
    # One day of margin each side: all-day events are dates in their *own* zone, which
    # may sit up to a day away from the viewer's midnight.
    occurrences = selectors.occurrences_in_range(
        user, start - dt.timedelta(days=1), end + dt.timedelta(days=1)
    )
    days = layout_week(occurrences, monday, zone, today=today, viewer_id=user.pk)
    return render(
        request,
        "events/week.html",
        {
            "nav": "calendar",
            "days": days,
            "monday": monday,
            "sunday": monday + dt.timedelta(days=6),
            "week_url": week_url(monday),
            "prev_url": week_url(monday - dt.timedelta(days=7)),
            "next_url": week_url(monday + dt.timedelta(days=7)),
            "is_this_week": monday == monday_of(today),
            "hours": range(24),
            "zone_name": user.timezone,
            # Where today's red line is drawn: the wall-clock minute (as the grid).
            "now_minute": now.hour * 60 + now.minute,
            "day_url": reverse(
                "events:day",
                args=[(today if monday == monday_of(today) else monday).isoformat()],
            ),
            "month_url": reverse("events:month", args=[monday.year, monday.month]),
            # The calendar's start page on a phone opens today's day page instead.
            "phone_day_url": reverse("events:day", args=[today.isoformat()]) if day is None else "",
        },
    )


def _go_to_date(request: HttpRequest, monday: dt.date) -> HttpResponse:
    """The week page's "Go to date" form (a plain GET, so it works without JavaScript):
    off to the week of that date. Anything that is not a date keeps the week that was
    shown, with a message, rather than a 404 for what is a typing slip."""
    day = read_day(request.GET["date"])
    if day is None:
        messages.error(
            request,
            _("“Go to date” needs a date between %(first)d and %(last)d, such as %(example)s.")
            % {"first": MIN_YEAR, "last": MAX_YEAR, "example": monday.isoformat()},
        )
        return redirect(week_url(monday))
    return redirect(week_url(day))


@dataclass
class MonthCell:
    day: Day
    in_month: bool
    #: (time text or "", title, link) of the first few events, all-day ones first.
    items: list[tuple[str, str, str]]
    more: int

    @property
    def url(self) -> str:
        return reverse("events:day", args=[self.day.date.isoformat()])


def _cell(day: Day, month: int) -> MonthCell:
    entries = [("", p.event.title, _link(p.event.pk, p.occurrence)) for p in day.all_day]
    entries += [
        (s.start.strftime("%H:%M"), s.event.title, _link(s.event.pk, s.item.occurrence))
        for s in sorted(day.segments, key=lambda s: (s.start_minute, s.end_minute))
    ]
    return MonthCell(
        day=day,
        in_month=day.date.month == month,
        items=entries[:MONTH_CELL_ITEMS],
        more=max(0, len(entries) - MONTH_CELL_ITEMS),
    )


def _link(event_id: int, occurrence: str | None) -> str:
    url = reverse("events:detail", args=[event_id])
    return f"{url}?occurrence={occurrence}" if occurrence else url


@login_required
@require_GET
def month_view(request: HttpRequest, year: int, month: int) -> HttpResponse:
    if not (MIN_YEAR <= year <= MAX_YEAR and 1 <= month <= 12):
        raise Http404("No such month.")
    user = request.user
    today = timezone.now().astimezone(user.zone).date()
    first = dt.date(year, month, 1)
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    first_monday = monday_of(first)
    weeks = (monday_of(last) - first_monday).days // 7 + 1
    days = _days_of_weeks(user, first_monday, weeks, today)
    cells = [_cell(d, month) for d in days]
    previous = first - dt.timedelta(days=1)
    following = last + dt.timedelta(days=1)
    return render(
        request,
        "events/month.html",
        {
            "nav": "calendar",
            "first": first,
            "weeks": [cells[i : i + 7] for i in range(0, len(cells), 7)],
            "weekday_heads": [cells[i].day.date for i in range(7)],
            "prev_url": reverse("events:month", args=[previous.year, previous.month]),
            "next_url": reverse("events:month", args=[following.year, following.month]),
            "this_month_url": reverse("events:month", args=[today.year, today.month]),
            "is_this_month": (year, month) == (today.year, today.month),
            "week_url": reverse("events:week_of", args=[first_monday.isoformat()]),
            "zone_name": user.timezone,
        },
    )
