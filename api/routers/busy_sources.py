"""``/busy-sources``: the employee's other calendars, read for busy time (``sources``).

Addresses and passwords go in and never come back out: a source shows its server only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import field_validator
from pydantic_core import PydanticCustomError

from sources import services
from sources.models import BusySource
from sources.selectors import is_stale, sources_of
from sources.tasks import refresh_source_task

from ..schemas import Id, _Input, answers

router = Router(tags=["busy sources"])


class BusySourceIn(_Input):
    name: str = Field(description="How it is shown, e.g. “Private”.")
    url: str | None = Field(None, description="An iCalendar address (https, http or webcal).")
    caldav_url: str | None = Field(None, description="Or: a calendar on a CalDAV server …")
    username: str | None = Field(None, description="… its user name …")
    password: str | None = Field(None, description="… and password (stored encrypted).")

    @field_validator("caldav_url")
    @classmethod
    def _one_kind(cls, caldav_url: str | None, info: Any) -> str | None:
        """Both addresses at once is a mistake to name, not one to guess through."""
        if caldav_url is not None and info.data.get("url") is not None:
            raise PydanticCustomError(
                "one_kind", _("Give either an iCalendar address or a CalDAV calendar, not both.")
            )
        return caldav_url


class BusySourceOut(Schema):
    id: int
    name: str
    kind: str = Field(description="ical or caldav")
    server: str = Field(description="Scheme and host only; the address is never shown back.")
    username: str
    stale: bool = Field(description="Not read successfully for longer than the limit.")
    last_success_at: dt.datetime | None
    last_error: str
    last_error_at: dt.datetime | None
    consecutive_failures: int
    busy_blocks: int
    next_read_at: dt.datetime


def _out(source: BusySource) -> dict[str, Any]:
    return {
        "id": source.pk,
        "name": source.name,
        "kind": source.kind,
        "server": source.url_hint,
        "username": source.username,
        "stale": is_stale(source),
        "last_success_at": source.last_success_at,
        "last_error": source.last_error,
        "last_error_at": source.last_error_at,
        "consecutive_failures": source.consecutive_failures,
        "busy_blocks": source.block_count,
        "next_read_at": source.next_fetch_at,
    }


@router.get("/busy-sources", response=answers(200, list[BusySourceOut]), summary="My busy sources")
def list_sources(request: HttpRequest) -> list[dict[str, Any]]:
    return [_out(s) for s in sources_of(request.auth)]


@router.post(
    "/busy-sources", response=answers(201, BusySourceOut, 400, 422), summary="Add a busy source"
)
def add_source(request: HttpRequest, payload: BusySourceIn) -> Status:
    """Either ``url`` (an iCalendar address) or ``caldav_url`` with ``username`` and
    ``password``. It is read at once by the worker, then every few minutes."""
    if payload.caldav_url is not None:
        source = services.add_caldav_source(
            request.auth,
            name=payload.name,
            caldav_url=payload.caldav_url,
            username=payload.username or "",
            password=payload.password or "",
        )
    else:
        source = services.add_ical_source(request.auth, name=payload.name, url=payload.url)
    return Status(201, _out(source))


@router.get(
    "/busy-sources/{source_id}",
    response=answers(200, BusySourceOut, 404, 422),
    summary="One source",
)
def get_source(request: HttpRequest, source_id: Id) -> dict[str, Any]:
    return _out(services.get_source(request.auth, source_id))


@router.delete(
    "/busy-sources/{source_id}", response=answers(204, None, 404, 422), summary="Remove a source"
)
def delete_source(request: HttpRequest, source_id: Id) -> Status:
    services.delete_source(request.auth, source_id)
    return Status(204, None)


@router.post(
    "/busy-sources/{source_id}/refresh",
    response=answers(202, BusySourceOut, 404, 422),
    summary="Read a source now",
)
def refresh_source(request: HttpRequest, source_id: Id) -> Status:
    """Queues a read at once; the source's state shows the outcome a moment later."""
    source = services.get_source(request.auth, source_id)
    refresh_source_task.enqueue(source.pk)
    return Status(202, _out(source))
