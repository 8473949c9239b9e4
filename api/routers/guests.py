"""``/guests``: the account's e-mail contacts (external guests invited to its events)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from events.guests import account_contacts

from ..schemas import GuestOut, answers, guest_out

router = Router(tags=["guests"])


@router.get("/guests", response=answers(200, list[GuestOut]), summary="The account's guests")
def list_guests(request: HttpRequest) -> list[dict[str, Any]]:
    """Every guest any employee of my account has invited, one per address, by address.

    Guests are contacts, not users: they cannot sign in and are never listed at ``/users``.
    Their names follow the latest invitation that gave one.
    """
    return [guest_out(g) for g in account_contacts(request.auth.account_id)]
