"""Per-client-address limits for the public booking endpoints (``accounts.ratelimit``
counters). Slot queries and bookings have separate budgets.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from accounts import ratelimit

SCOPES = {"slots": "BOOKING_SLOTS_RATE", "bookings": "BOOKING_BOOKINGS_RATE"}


def hit(scope: str, request: HttpRequest) -> int | None:
    """Count one request; None when allowed, else the seconds until the window ends."""
    limit, period = getattr(settings, SCOPES[scope])
    key = f"booking-rate:{scope}:{ratelimit.digest(ratelimit.client_address(request))}"
    return ratelimit.count(key, limit, period)


class PublicRateThrottle(BaseThrottle):
    """The same limits for django-ninja operations (ninja adds ``Retry-After``)."""

    def __init__(self, scope: str) -> None:
        if scope not in SCOPES:
            raise ValueError(f"unknown scope {scope!r}")
        self.scope = scope
        self._local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        self._local.wait = hit(self.scope, request)
        return self._local.wait is None

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)
