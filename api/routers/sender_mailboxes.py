"""``/sender-mailboxes``: the addresses my invitations may be sent From.

Adding one e-mails a 6-digit code to it; ``/{id}/confirm`` with that code makes it usable.
I see my own mailboxes and my account's confirmed shared ones; anything else is a 404.
The default is ``default_sender_mailbox_id`` on ``/me``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from accounts.models import User
from mail import senders
from mail.models import SenderMailbox

from ..schemas import Id, _Input, answers

router = Router(tags=["sender mailboxes"])


class SenderMailboxIn(_Input):
    name: str = Field(description="Display name shown in the From header.")
    email: str = Field(description="The address; a 6-digit code is e-mailed to it.")
    shared: bool = Field(False, description="Available to all employees of my account.")


class ConfirmIn(_Input):
    code: str = Field(description="The 6-digit code from the e-mail (10 minutes, 5 tries).")


class OwnerOut(Schema):
    id: int
    name: str


class SenderMailboxOut(Schema):
    id: int
    name: str
    email: str
    shared: bool
    confirmed: bool
    confirmed_at: dt.datetime | None
    owner: OwnerOut
    mine: bool = Field(description="I added it (only then can I delete it).")
    is_default: bool = Field(description="My default sender mailbox.")


def mailbox_out(mailbox: SenderMailbox, user: User) -> dict[str, Any]:
    return {
        "id": mailbox.pk,
        "name": mailbox.name,
        "email": mailbox.email,
        "shared": mailbox.shared,
        "confirmed": mailbox.is_confirmed,
        "confirmed_at": mailbox.confirmed_at,
        "owner": {"id": mailbox.owner_id, "name": mailbox.owner.full_name},
        "mine": mailbox.owner_id == user.pk,
        "is_default": mailbox.pk == user.default_sender_mailbox_id,
    }


@router.get(
    "/sender-mailboxes", response=answers(200, list[SenderMailboxOut]), summary="My mailboxes"
)
def list_mailboxes(request: HttpRequest) -> list[dict[str, Any]]:
    """My own mailboxes (confirmed or not) and my account's confirmed shared ones."""
    user = request.auth
    return [mailbox_out(m, user) for m in senders.visible_mailboxes(user)]


@router.post(
    "/sender-mailboxes",
    response=answers(201, SenderMailboxOut, 400, 422),
    summary="Add a sender mailbox",
)
def add_mailbox(request: HttpRequest, payload: SenderMailboxIn) -> Status:
    """Adds it unconfirmed and e-mails a code to the address. Adding an unconfirmed
    address again sends a fresh code."""
    mailbox = senders.add_sender_mailbox(request.auth, **payload.dict())
    return Status(201, mailbox_out(mailbox, request.auth))


@router.post(
    "/sender-mailboxes/{mailbox_id}/confirm",
    response=answers(200, SenderMailboxOut, 400, 404, 409, 422),
    summary="Confirm with the code",
)
def confirm_mailbox(request: HttpRequest, mailbox_id: Id, payload: ConfirmIn) -> dict[str, Any]:
    """400 for a wrong, expired or exhausted code (``errors`` names ``code``); 409
    ``already_confirmed``."""
    mailbox = senders.confirm_sender_mailbox(request.auth, mailbox_id, payload.code)
    return mailbox_out(mailbox, request.auth)


@router.post(
    "/sender-mailboxes/{mailbox_id}/resend",
    response=answers(200, SenderMailboxOut, 400, 404, 409, 422),
    summary="Send a new code",
)
def resend_code(request: HttpRequest, mailbox_id: Id) -> dict[str, Any]:
    """A fresh code for my unconfirmed mailbox; the earlier ones stop working."""
    mailbox = senders.resend_confirmation_code(request.auth, mailbox_id)
    return mailbox_out(mailbox, request.auth)


@router.delete(
    "/sender-mailboxes/{mailbox_id}",
    response=answers(204, None, 403, 404, 422),
    summary="Delete a sender mailbox",
)
def delete_mailbox(request: HttpRequest, mailbox_id: Id) -> Status:
    """Only who added it may delete it; whoever had it as default loses that default."""
    senders.delete_sender_mailbox(request.auth, mailbox_id)
    return Status(204, None)
