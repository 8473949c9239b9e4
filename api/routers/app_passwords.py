"""``/app-passwords``: passwords for calendar apps (CalDAV), one per device.

The password is in the answer to POST and nowhere else, ever; only a digest is kept.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from dav.app_passwords import create_app_password, revoke_app_password
from dav.models import AppPassword
from dav.services import caldav_address

from ..schemas import Id, _Input, answers

router = Router(tags=["app passwords"])


class AppPasswordIn(_Input):
    name: str = Field(description="The device it is for, e.g. “Maria's iPhone” (≤ 100).")


class AppPasswordOut(Schema):
    id: int
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None


class NewAppPasswordOut(AppPasswordOut):
    password: str = Field(description="Shown this once; we keep only a fingerprint.")
    server: str = Field(description="The CalDAV server's address for the calendar app.")
    username: str = Field(description="The user name to give the calendar app (my e-mail).")


def _out(row: AppPassword) -> dict[str, Any]:
    return {
        "id": row.pk,
        "name": row.name,
        "created_at": row.created_at,
        "last_used_at": row.last_used_at,
    }


@router.get(
    "/app-passwords", response=answers(200, list[AppPasswordOut]), summary="My app passwords"
)
def list_app_passwords(request: HttpRequest) -> list[dict[str, Any]]:
    return [_out(row) for row in AppPassword.objects.filter(user=request.auth)]


@router.post(
    "/app-passwords",
    response=answers(201, NewAppPasswordOut, 400, 422),
    summary="Make an app password for a device",
)
def add_app_password(request: HttpRequest, payload: AppPasswordIn) -> Status:
    row, password = create_app_password(request.auth, payload.name)
    out = _out(row) | {
        "password": password,
        "server": caldav_address(),
        "username": request.auth.email,
    }
    return Status(201, out)


@router.delete(
    "/app-passwords/{password_id}",
    response=answers(204, None, 404, 422),
    summary="Revoke an app password",
)
def delete_app_password(request: HttpRequest, password_id: Id) -> Status:
    """The device it was for is refused from its next request on."""
    revoke_app_password(request.auth, password_id)
    return Status(204, None)
