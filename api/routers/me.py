"""``/me``: the employee holding the token."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Router

from accounts.services import update_preferences
from mail.senders import set_default_sender_mailbox

from ..schemas import MeOut, MePatch, answers, me_out

router = Router(tags=["me"])


@router.get("/me", response=answers(200, MeOut), summary="Who am I")
def get_me(request: HttpRequest) -> dict[str, Any]:
    """The employee the token belongs to: time zone, language, working hours, account."""
    return me_out(request.auth)


@router.patch("/me", response=answers(200, MeOut, 400, 422), summary="Change my preferences")
def patch_me(request: HttpRequest, payload: MePatch) -> dict[str, Any]:
    """Change full_name, timezone, language, event_mail, working_hours or
    default_sender_mailbox_id;
    absent fields stay. All or nothing: one bad field changes none."""
    changes = payload.dict(exclude_unset=True)
    with transaction.atomic():
        if "default_sender_mailbox_id" in changes:
            set_default_sender_mailbox(request.auth, changes.pop("default_sender_mailbox_id"))
        user = update_preferences(request.auth, **changes)
    return me_out(user)
