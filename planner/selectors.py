"""Planner reads: the common free slots of a group, and what each person's days look like.

Both the API (``POST /api/v1/planner/find``) and the page call :func:`find_common_slots`,
so the rules below hold everywhere:

* everyone listed must be free (``events.selectors.busy_intervals``: not cancelled,
  shown as busy, not declined, recurring occurrences counted) and inside their *own*
  working hours, read on their own wall clock;
* a slot lies wholly inside ``[start, end)`` and does not start before now;
* starts lie on the requester's wall-clock grid (``scheduling.planner.planner_step``),
  anchored at the requester's local midnight;
* the first ``limit`` slots, earliest first.

Nothing here writes; the callers have already fenced ``users`` to the requester's
account (``accounts.selectors.colleagues_by_ids``), and a user of another account that
slips through anyway is the same 404.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from events.occurrences import BusyBlock
from events.selectors import busy_blocks, busy_intervals
from events.validation import outside_supported_years
from scheduling.hours import parse_weekly_hours, working_windows
from scheduling.intervals import Interval
from scheduling.planner import WorkingWeek, common_slots, common_working_time, working_batches

#: Bounds of one search (the API's schema states the same numbers).
MIN_DURATION_MINUTES = 5
MAX_DURATION_MINUTES = 24 * 60
MAX_USERS = 100
MAX_RANGE = dt.timedelta(days=31)
DEFAULT_LIMIT = 10
MAX_LIMIT = 50


def user_zone(user: User) -> zoneinfo.ZoneInfo:
    """The user's zone; UTC if the stored name is not one this machine knows.

    Time zones are checked when they are saved, but the tz database of the machine can
    lose a name across an upgrade; the planner should still open.
    """
    try:
        return zoneinfo.ZoneInfo(user.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def working_week(user: User) -> WorkingWeek:
    """The user's working hours as the engine reads them (checked when they were saved)."""
    return WorkingWeek(parse_weekly_hours(user.working_hours), user_zone(user))


def _check_search(
    requester: User,
    users: Sequence[User],
    duration_minutes: int,
    start: dt.datetime,
    end: dt.datetime,
    limit: int,
) -> None:
    if any(u.account_id != requester.account_id for u in users):
        raise Http404("No such employee.")
    errors: dict[str, str] = {}
    if not 1 <= len(users) <= MAX_USERS:
        errors["users"] = _("Choose from 1 to %(max)d people.") % {"max": MAX_USERS}
    if not MIN_DURATION_MINUTES <= duration_minutes <= MAX_DURATION_MINUTES:
        errors["duration_minutes"] = _("The length must be from %(min)d to %(max)d minutes.") % {
            "min": MIN_DURATION_MINUTES,
            "max": MAX_DURATION_MINUTES,
        }
    for name, value in (("start", start), ("end", end)):
        if value.tzinfo is None or value.utcoffset() is None:
            errors[name] = _("Give a UTC offset; naive times are ambiguous.")
    if "start" not in errors and "end" not in errors:
        if outside_supported_years(start, end):
            pass  # clipped to nothing: answered with no slots
        elif end <= start:
            errors["end"] = _("The end must be after the start.")
        elif end - start > MAX_RANGE:
            errors["end"] = _("The range may cover at most %(days)d days.") % {
                "days": MAX_RANGE.days
            }
    if not 1 <= limit <= MAX_LIMIT:
        errors["limit"] = _("Ask for 1 to %(max)d slots.") % {"max": MAX_LIMIT}
    if errors:
        raise ValidationError(errors)


def searched_window(
    start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None
) -> Interval | None:
    """The part of ``[start, end)`` a search looks at: slots never start before now.

    ``None`` when the range is over: a search there finds nothing, and the caller can
    say why rather than "no common time".
    """
    lo = max(start, now or timezone.now())
    return Interval(lo, end) if lo < end else None


def find_common_slots(
    requester: User,
    users: Sequence[User],
    *,
    duration_minutes: int,
    start: dt.datetime,
    end: dt.datetime,
    limit: int = DEFAULT_LIMIT,
    now: dt.datetime | None = None,
    one_per_day: bool = False,
) -> list[Interval]:
    """The first ``limit`` times when all ``users`` can meet for ``duration_minutes``.

    ``one_per_day``: only the first time of each day (in the requester's zone), so that
    ten results offer ten days to choose from instead of ten back-to-back half hours of
    one afternoon (the planner page asks for this).

    Raises ``ValidationError`` naming the field for a bad length, range, limit or number
    of people. Busy time is read a week of common working time at a time and only until
    enough slots are found (see ``scheduling.planner``), so a search that succeeds early
    or a group that never works at the same time costs few reads, however wide the range.
    """
    _check_search(requester, users, duration_minutes, start, end, limit)
    if outside_supported_years(start, end):
        return []
    now = now or timezone.now()
    window = searched_window(start, end, now)
    if window is None:
        return []
    duration = dt.timedelta(minutes=duration_minutes)
    working = common_working_time([working_week(u) for u in users], window.start, window.end)
    tz = user_zone(requester)
    slots: list[Interval] = []
    days: set[dt.date] = set()
    for batch in working_batches(working):
        busy = busy_intervals(users, batch[0].start, batch[-1].end)
        found = common_slots(
            batch,
            busy.values(),
            duration,
            tz,
            not_before=now,
            limit=None if one_per_day else limit - len(slots),
        )
        if one_per_day:
            for slot in found:
                day = slot.start.astimezone(tz).date()
                if day not in days:
                    days.add(day)
                    slots.append(slot)
        else:
            slots += found
        if len(slots) >= limit:
            break
    return slots[:limit]


# --- the page's rows -------------------------------------------------------------------


@dataclass(frozen=True)
class PersonSchedule:
    """One person's working time and busy blocks in a window, as the viewer may see them."""

    user: User
    working: list[Interval]
    busy: list[BusyBlock]


def schedules(
    viewer: User, users: Sequence[User], start: dt.datetime, end: dt.datetime
) -> list[PersonSchedule]:
    """Working time and busy blocks of ``users`` in ``[start, end)``, in the order given.

    Blocks carry a title only where ``viewer`` organizes or attends the event
    (``events.selectors.busy_blocks``); everything else is plain busy time. One query
    for all the events, however many people.
    """
    if any(u.account_id != viewer.account_id for u in users):
        raise Http404("No such employee.")
    blocks = busy_blocks(users, start, end, viewer=viewer)
    out = []
    for user in users:
        week = working_week(user)
        out.append(
            PersonSchedule(
                user=user,
                working=working_windows(week.hours, week.tz, start, end),
                busy=blocks.get(user.pk, []),
            )
        )
    return out
