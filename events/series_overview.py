"""What a series' own page lists besides its rule: the next occurrences, the changed dates
and the cancelled dates, each in the viewer's zone.

A read for one page, kept out of the view so the view stays parse-select-render. The
occurrences come from ``events.occurrences.expand`` (the same reading as the week view),
so a date the week view leaves out is left out here too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.urls import reverse

from accounts.dates import format_date
from accounts.models import User

from .models import Event
from .occurrences import expand
from .selectors import visible_events
from .series import stored_exdates
from .week import occurrence_param

#: Occurrences listed under "Next occurrences".
UPCOMING = 5
#: Changed or cancelled dates listed, at most each (the rest are counted).
MAX_LISTED_DATES = 20
#: Windows tried in turn for the next occurrences: a daily series is done after the first,
#: a yearly one needs years. Each try is one expansion of one series.
UPCOMING_WINDOWS = (dt.timedelta(days=42), dt.timedelta(days=400), dt.timedelta(days=3660))


def when_text(
    start: dt.datetime,
    end: dt.datetime,
    *,
    all_day: bool,
    event_zone: dt.tzinfo,
    viewer_zone: dt.tzinfo,
) -> str:
    """ "Monday 4 May 2026, 09:00–10:00" in the viewer's zone; all-day dates are dates in
    the event's own zone ("Monday 4 May 2026", or a span of dates)."""
    if all_day:
        first = start.astimezone(event_zone)
        last = end.astimezone(event_zone) - dt.timedelta(microseconds=1)
        if first.date() >= last.date():
            return format_date(first)
        return f"{format_date(first)} – {format_date(last)}"
    start, end = start.astimezone(viewer_zone), end.astimezone(viewer_zone)
    first = format_date(start)
    if start.date() == end.date():
        return f"{first}, {start:%H:%M}–{end:%H:%M}"
    return f"{first}, {start:%H:%M} – {format_date(end)}, {end:%H:%M}"


@dataclass(frozen=True)
class Listed:
    """One date in a list: its text, and its page when the viewer may open it."""

    when: str
    url: str = ""
    title: str = ""  # set when it differs from the series' title
    original: str = ""  # a changed date: when it was before the change

    @property
    def moved(self) -> bool:
        """A changed date whose time changed (else only other details did)."""
        return bool(self.original) and self.original != self.when


@dataclass
class SeriesOverview:
    upcoming: list[Listed] = field(default_factory=list)
    changed: list[Listed] = field(default_factory=list)
    changed_more: int = 0
    cancelled: list[Listed] = field(default_factory=list)
    cancelled_more: int = 0


def occurrence_url(series: Event, recurrence_id: dt.datetime) -> str:
    return (
        reverse("events:detail", args=[series.pk])
        + "?occurrence="
        + occurrence_param(recurrence_id)
    )


def series_overview(series: Event, viewer: User, now: dt.datetime) -> SeriesOverview:
    """The lists for ``series`` (a series row the viewer may see) as of ``now``."""
    viewer_zone = viewer.zone

    def text(event: Event, start: dt.datetime, end: dt.datetime) -> str:
        return when_text(
            start, end, all_day=event.all_day, event_zone=event.zone, viewer_zone=viewer_zone
        )

    rule = series.as_series()
    exceptions = list(Event.objects.filter(series=series).order_by("recurrence_id", "pk"))
    # A changed date the viewer was taken off is not theirs, as in the week view.
    mine = set(visible_events(viewer).filter(series=series).values_list("pk", flat=True))
    overview = SeriesOverview()

    if not series.is_cancelled:
        rows = [series, *(e for e in exceptions if e.pk in mine and not e.is_cancelled)]
        found = []
        for span in UPCOMING_WINDOWS:
            found = expand(rows, now, now + span)
            if len(found) >= UPCOMING or series.series_end <= now + span:
                break
        for occurrence in found[:UPCOMING]:
            event = occurrence.event
            overview.upcoming.append(
                Listed(
                    when=text(event, occurrence.start, occurrence.end),
                    url=occurrence_url(series, occurrence.recurrence_id),
                    title=event.title if event.title != series.title else "",
                )
            )

    for exception in exceptions[:MAX_LISTED_DATES]:
        rid = exception.recurrence_id
        overview.changed.append(
            Listed(
                when=text(exception, exception.start, exception.end),
                url=occurrence_url(series, rid) if exception.pk in mine else "",
                title=exception.title if exception.title != series.title else "",
                original=text(series, rid, rule.occurrence_end(rid)),
            )
        )
    overview.changed_more = max(0, len(exceptions) - MAX_LISTED_DATES)

    exdates = stored_exdates(series)
    overview.cancelled = [
        Listed(when=text(series, d, rule.occurrence_end(d))) for d in exdates[:MAX_LISTED_DATES]
    ]
    overview.cancelled_more = max(0, len(exdates) - MAX_LISTED_DATES)
    return overview
