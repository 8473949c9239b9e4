"""The planner page: colleagues side by side on my day grid, and "find a time".

One GET form drives everything (see ``planner.forms``). The view parses it, asks the
selectors for the people's schedules and, when asked, for the common slots, and
renders. Every time on the page is in the viewer's own zone.

A search and the timeline work together: "Find a time" (``find``) moves the timeline
to the day of the first time found and draws the times found on it; from then on the
form and the arrows carry the search as ``results``, which keeps it listed and drawn
wherever the user goes without pulling the timeline back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.forms import apply_service_errors
from accounts.models import User
from accounts.selectors import employees
from events.week import monday_of
from scheduling.intervals import Interval

from . import selectors
from .forms import DAY, DEFAULT_DURATION, SERVICE_FIELD_MAP, WEEK, PlannerForm
from .layout import day_bounds, layout_days, place_found, visible_hours


def event_link(slot: Interval, zone: dt.tzinfo, attendees: list[User], organizer: User) -> str:
    """The new-event form, prefilled with the slot (in the organizer's zone) and the people.

    The organizer is left out of ``attendees``: the event form invites colleagues, and
    whoever creates the event organizes it.
    """
    ids = ",".join(str(u.pk) for u in attendees if u.pk != organizer.pk)
    query = {
        "start": slot.start.astimezone(zone).isoformat(),
        "end": slot.end.astimezone(zone).isoformat(),
    }
    if ids:
        query["attendees"] = ids
    return reverse("events:create") + "?" + urlencode(query)


@dataclass
class Search:
    """What "Find a time" found, and the first of the viewer's days to look at."""

    slots: list[dict]
    first_day: dt.date
    #: The whole range is before now: nothing can be offered there.
    in_past: bool = False
    #: Part of the range was before now and was skipped.
    from_now: bool = False
    #: Whole days of the range were before today (worth a word even when times were found).
    skipped_days: bool = False


def _search(viewer: User, people: list[User], data: dict, zone: dt.tzinfo) -> Search:
    """Run the search the form asks for over whole days of the viewer's zone.

    Raises the service's ``ValidationError`` (field names of the API, mapped by the caller).
    """
    search_start, search_end = day_bounds(data["from"], (data["to"] - data["from"]).days + 1, zone)
    # A range of 31 whole days that contains a fall-back change lasts an hour longer
    # than 31 days; the search covers at most 31 days, so that last hour is left out.
    search_end = min(search_end, search_start + selectors.MAX_RANGE)
    now = timezone.now()
    found = selectors.find_common_slots(
        viewer,
        people,
        duration_minutes=data["duration"],
        start=search_start,
        end=search_end,
        now=now,
        one_per_day=True,
    )
    window = selectors.searched_window(search_start, search_end, now)
    slots = [
        {
            "interval": slot,
            "start": slot.start.astimezone(zone),
            "end": slot.end.astimezone(zone),
            "url": event_link(slot, zone, people, viewer),
        }
        for slot in found
    ]
    if slots:
        first_day = slots[0]["start"].date()
    elif window is not None:  # where the search began: "from", or today if that is later
        first_day = window.start.astimezone(zone).date()
    else:
        first_day = data["from"]
    return Search(
        slots=slots,
        first_day=first_day,
        in_past=window is None,
        from_now=window is not None and window.start > search_start,
        skipped_days=window is not None and window.start.astimezone(zone).date() > data["from"],
    )


def _with(params: QueryDict, **changes: str) -> str:
    copy = params.copy()
    for key, value in changes.items():
        copy[key] = value
    return "?" + copy.urlencode()


@login_required
@require_GET
def planner(request: HttpRequest) -> HttpResponse:
    viewer = request.user
    zone = selectors.user_zone(viewer)
    today = timezone.now().astimezone(zone).date()
    staff = list(employees(viewer))
    staff.sort(key=lambda u: u.pk != viewer.pk)  # me first, then by name

    bound = bool(request.GET)
    if bound:
        form = PlannerForm(request.GET, viewer=viewer, employees=staff)
        valid = form.is_valid()
    else:
        form = PlannerForm(
            viewer=viewer,
            employees=staff,
            initial={
                "users": [viewer.pk],
                "date": today,
                "view": DAY,
                "duration": DEFAULT_DURATION,
                "from": today,
                "to": today + dt.timedelta(days=6),
            },
        )
        valid = True
    data = form.cleaned_data if bound else form.initial

    chosen_ids = set(data.get("users") or [])
    people = [u for u in staff if u.pk in chosen_ids]

    search = None
    if valid and form.wants_search:
        try:
            search = _search(viewer, people, data, zone)
        except ValidationError as exc:
            apply_service_errors(form, exc, SERVICE_FIELD_MAP)
            valid = False

    day = data.get("date") or today
    if search is not None and form.jumps_to_results:
        # The timeline follows the search: it shows where the first time was found, with
        # the busy blocks around it. The Date field says so too, so that "Show" and the
        # arrows go on from the day on screen.
        day = search.first_day
        form.data = form.data.copy()
        form.data["date"] = day.isoformat()
    view = data.get("view") or DAY
    first, count = (monday_of(day), 7) if view == WEEK else (day, 1)
    if bound and not form.wants_search and not form.errors:
        # No search on screen: "Find a time" would search from the day (or week) shown,
        # not from whatever day the page was first opened on.
        form.data = form.data.copy()
        form.data["from"] = first.isoformat()
        form.data["to"] = (first + dt.timedelta(days=6)).isoformat()
    step = dt.timedelta(days=count)

    grids = []
    # The timeline needs only the people and the day: a mistake in the search fields
    # leaves it on screen, under the error.
    if people and not any(name in form.errors for name in ("users", "date", "view")):
        start, end = day_bounds(first, count, zone)
        schedules = selectors.schedules(viewer, people, start, end)
        grids = layout_days(schedules, first, count, zone, today=today, viewer_id=viewer.pk)
        if search is not None:
            place_found(grids, [(s["interval"], s["url"]) for s in search.slots], zone)

    first_hour, last_hour = visible_hours(grids)

    if bound:
        params = request.GET.copy()
        for button in ("find", "show"):
            params.pop(button, None)
    else:  # the links keep what the first view shows
        params = QueryDict(mutable=True)
        params.setlist("users", [str(viewer.pk)])
        params["view"] = view
    # The arrows keep the results listed and the timeline where they lead: a search
    # is carried as "results", which does not move the timeline as "find" does.
    if search is not None:
        params["results"] = "1"
    else:
        params.pop("results", None)
    return render(
        request,
        "planner/planner.html",
        {
            "nav": "planner",
            "form": form,
            "staff": staff,
            "chosen_ids": chosen_ids,
            "viewer": viewer,
            "grids": grids,
            "view": view,
            "first": first,
            "last": first + step - dt.timedelta(days=1),
            "prev_url": _with(params, date=(first - step).isoformat()),
            "next_url": _with(params, date=(first + step).isoformat()),
            "today_url": _with(params, date=today.isoformat()),
            "first_slot_url": _with(params, date=search.first_day.isoformat()) if search else "",
            "shows_today": first <= today < first + step,
            "search": search,
            "slots": search.slots if search is not None else None,
            "first_slot_shown": bool(
                search and search.slots and first <= search.first_day < first + step
            ),
            "duration": data.get("duration"),
            "zone_name": viewer.timezone,
            "hours": range(first_hour, last_hour),
            "from_minute": first_hour * 60,
            "span_minutes": (last_hour - first_hour) * 60,
        },
        status=200 if valid else 400,
    )
