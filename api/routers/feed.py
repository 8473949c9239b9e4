"""``/feed``: the employee's private subscription feed (``dav``), as on the settings page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from dav import services
from dav.models import CalendarFeed

from ..schemas import _Input, answers

router = Router(tags=["feed"])


class FeedOut(Schema):
    on: bool
    url: str | None = Field(description="https address of the iCalendar file; null when off")
    webcal_url: str | None = Field(description="the same for calendar apps; null when off")
    busy_only: bool


class FeedIn(_Input):
    busy_only: bool = Field(False, description="times only: no titles, places or people")
    new_address: bool = Field(False, description="replace the address; the old one dies")


def _out(feed: CalendarFeed | None) -> dict[str, Any]:
    urls = services.feed_urls(feed) if feed is not None else None
    return {
        "on": urls is not None,
        "url": urls["url"] if urls else None,
        "webcal_url": urls["webcal_url"] if urls else None,
        "busy_only": bool(feed and feed.busy_only),
    }


@router.get("/feed", response=answers(200, FeedOut), summary="My calendar feed")
def get_feed(request: HttpRequest) -> dict[str, Any]:
    return _out(CalendarFeed.objects.filter(user=request.auth).first())


@router.put("/feed", response=answers(200, FeedOut, 422), summary="Turn my calendar feed on")
def put_feed(request: HttpRequest, payload: FeedIn) -> dict[str, Any]:
    """On with ``busy_only`` as given; the address stays unless ``new_address``."""
    return _out(
        services.turn_on(request.auth, busy_only=payload.busy_only, new_address=payload.new_address)
    )


@router.delete("/feed", response=answers(204, None), summary="Turn my calendar feed off")
def delete_feed(request: HttpRequest) -> Status:
    """The address opens nothing from now on."""
    services.turn_off(request.auth)
    return Status(204, None)
