"""How often one may fail to sign in, or ask for a password reset, before waiting.

Counted per account (the e-mail typed, whether or not such an employee exists, so that
the answer never tells which addresses are accounts) and per client address, in fixed
windows (``accounts.ratelimit``). Once a budget is spent, sign-in is refused before the
password is even checked: the right password does not get through a guessing run.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.http import HttpRequest

from . import ratelimit


def _keys(kind: str, request: HttpRequest, email: str) -> list[tuple[str, tuple[int, int]]]:
    per_account, per_address = {
        "signin": (settings.SIGNIN_FAILURES_PER_ACCOUNT, settings.SIGNIN_FAILURES_PER_ADDRESS),
        "reset": (settings.PASSWORD_RESETS_PER_ACCOUNT, settings.PASSWORD_RESETS_PER_ADDRESS),
        "dav": (settings.DAV_FAILURES_PER_ACCOUNT, settings.DAV_FAILURES_PER_ADDRESS),
    }[kind]
    address = ratelimit.client_address(request)
    return [
        (f"{kind}:account:{ratelimit.digest(email.strip().lower())}", per_account),
        (f"{kind}:address:{ratelimit.digest(address)}", per_address),
    ]


def minutes(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))


def signin_wait(request: HttpRequest, email: str, *, kind: str = "signin") -> int | None:
    """Seconds to wait before this sign-in may be tried, or None. ``kind`` "dav" counts a
    calendar app's sign-ins (app passwords) apart from the web's."""
    waits = [ratelimit.exhausted(key, *rate) for key, rate in _keys(kind, request, email)]
    return max((w for w in waits if w is not None), default=None)


def signin_failed(request: HttpRequest, email: str, *, kind: str = "signin") -> None:
    for key, rate in _keys(kind, request, email):
        ratelimit.count(key, *rate)


def reset_wait(request: HttpRequest, email: str) -> int | None:
    """Count a password-reset request; the seconds to wait if over budget, or None."""
    waits = [ratelimit.count(key, *rate) for key, rate in _keys("reset", request, email)]
    return max((w for w in waits if w is not None), default=None)
