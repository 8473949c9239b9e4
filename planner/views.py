"""The planner page: colleagues side by side on my day grid, and "find a time".

One GET form drives everything (see ``planner.forms``). The view parses it, asks the
selectors for the people's schedules and, when asked, for the common slots, and
renders. Every time on the page is in the viewer's own zone.
"""

from __future__ import annotations

import datetime as dt
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
from .layout import day_bounds, layout_days, visible_hours


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

    day = data.get("date") or today
    view = data.get("view") or DAY
    first, count = (monday_of(day), 7) if view == WEEK else (day, 1)
    step = dt.timedelta(days=count)
    chosen_ids = set(data.get("users") or [])
    people = [u for u in staff if u.pk in chosen_ids]

    grids = []
    if valid and people:
        start, end = day_bounds(first, count, zone)
        schedules = selectors.schedules(viewer, people, start, end)
        grids = layout_days(schedules, first, count, zone, today=today, viewer_id=viewer.pk)

    first_hour, last_hour = visible_hours(grids)

    slots = None
    if valid and form.wants_search:
        search_start, search_end = day_bounds(
            data["from"], (data["to"] - data["from"]).days + 1, zone
        )
        # A range of 31 whole days that contains a fall-back change lasts an hour longer
        # than 31 days; the search covers at most 31 days, so that last hour is left out.
        search_end = min(search_end, search_start + selectors.MAX_RANGE)
        try:
            found = selectors.find_common_slots(
                viewer,
                people,
                duration_minutes=data["duration"],
                start=search_start,
                end=search_end,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, SERVICE_FIELD_MAP)
            valid = False
        else:
            slots = [
                {
                    "start": slot.start.astimezone(zone),
                    "end": slot.end.astimezone(zone),
                    "url": event_link(slot, zone, people, viewer),
                }
                for slot in found
            ]

    params = request.GET
    if not bound:  # the links keep what the first view shows
        params = QueryDict(mutable=True)
        params.setlist("users", [str(viewer.pk)])
        params["view"] = view
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
            "shows_today": first <= today < first + step,
            "slots": slots,
            "duration": data.get("duration"),
            "zone_name": viewer.timezone,
            "hours": range(first_hour, last_hour),
            "from_minute": first_hour * 60,
            "span_minutes": (last_hour - first_hour) * 60,
        },
        status=200 if valid else 400,
    )
