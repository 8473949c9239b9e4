"""``/planner/find``: the first times when a group of colleagues can all meet.

The schemas live here rather than in ``api/schemas.py``: nothing else uses them. They
check form and bounds (a 422 naming the field); the rules are in
``planner.selectors.find_common_slots``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from pydantic import ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from accounts.selectors import colleagues_by_ids
from events.validation import outside_supported_years
from planner import selectors

from ..schemas import Id, IntervalOut, RangeInstant, answers

router = Router(tags=["planner"])


class PlannerFindIn(Schema):
    # An unknown field is an error, not silently dropped: a typo must not look like success.
    model_config = ConfigDict(extra="forbid")

    users: list[Id] = Field(
        description=f"Employee ids of your account, 1 to {selectors.MAX_USERS}; all must attend."
    )
    duration_minutes: int = Field(
        description=(
            f"Meeting length, {selectors.MIN_DURATION_MINUTES} to "
            f"{selectors.MAX_DURATION_MINUTES} minutes."
        )
    )
    start: RangeInstant = Field(
        description=(
            "Earliest start, ISO 8601 with offset. Slots never start before now: a range "
            "wholly in the past answers 200 with no slots."
        )
    )
    end: RangeInstant = Field(
        description=(
            f"Latest end (exclusive), after start and at most {selectors.MAX_RANGE.days} days "
            "later."
        )
    )
    limit: int = Field(
        selectors.DEFAULT_LIMIT,
        description=f"How many slots at most, 1 to {selectors.MAX_LIMIT}.",
    )

    @field_validator("users")
    @classmethod
    def _users_count(cls, users: list[int]) -> list[int]:
        if not 1 <= len(users) <= selectors.MAX_USERS:
            raise PydanticCustomError(
                "users_count",
                _("Give from 1 to %(max)d employee ids.") % {"max": selectors.MAX_USERS},
            )
        return users

    @field_validator("duration_minutes")
    @classmethod
    def _duration_bounds(cls, minutes: int) -> int:
        low, high = selectors.MIN_DURATION_MINUTES, selectors.MAX_DURATION_MINUTES
        if not low <= minutes <= high:
            raise PydanticCustomError(
                "duration_range",
                _("The length must be from %(min)d to %(max)d minutes.")
                % {"min": low, "max": high},
            )
        return minutes

    @field_validator("end")
    @classmethod
    def _range(cls, end: dt.datetime, info: Any) -> dt.datetime:
        start = info.data.get("start")
        if start is not None:
            if end <= start and not outside_supported_years(start, end):
                raise PydanticCustomError("range_order", _("The end must be after the start."))
            if end - start > selectors.MAX_RANGE:
                raise PydanticCustomError(
                    "range_length",
                    _("The range may cover at most %(days)d days.")
                    % {"days": selectors.MAX_RANGE.days},
                )
        return end

    @field_validator("limit")
    @classmethod
    def _limit_bounds(cls, limit: int) -> int:
        if not 1 <= limit <= selectors.MAX_LIMIT:
            raise PydanticCustomError(
                "limit_range", _("Ask for 1 to %(max)d slots.") % {"max": selectors.MAX_LIMIT}
            )
        return limit


class PlannerFindOut(Schema):
    start: dt.datetime
    end: dt.datetime
    duration_minutes: int
    users: list[int]
    slots: list[IntervalOut]


@router.post(
    "/planner/find",
    response=answers(200, PlannerFindOut, 400, 404, 422),
    summary="Common free slots of colleagues",
)
def find(request: HttpRequest, payload: PlannerFindIn) -> dict[str, Any]:
    """The first slots when every listed employee is free and inside their working hours.

    Slots lie wholly inside [start, end), never start in the past, and start on your own
    wall-clock grid: every 30 minutes from your local midnight when the length is a
    multiple of 30, else every 15. Busy time counts recurring events. Only employees of
    your account can be asked about; any other id is a 404 that names nobody.
    """
    users = colleagues_by_ids(request.auth, payload.users)
    slots = selectors.find_common_slots(
        request.auth,
        users,
        duration_minutes=payload.duration_minutes,
        start=payload.start,
        end=payload.end,
        limit=payload.limit,
    )
    return {
        "start": payload.start.astimezone(dt.UTC),
        "end": payload.end.astimezone(dt.UTC),
        "duration_minutes": payload.duration_minutes,
        "users": [u.pk for u in users],
        "slots": [{"start": s.start, "end": s.end} for s in slots],
    }
