"""Per-client-address limits for the public booking endpoints, counted in Django's cache.

Fixed windows: the first hit in a window creates the counter with the window as its
expiry (``cache.add``), every further hit increments it atomically (``cache.incr``, atomic
in the local-memory cache and in Redis), so several threads or web processes sharing a
Redis cache count together. Slot queries and bookings have separate budgets.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

SCOPES = {"slots": "BOOKING_SLOTS_RATE", "bookings": "BOOKING_BOOKINGS_RATE"}


def client_address(request: HttpRequest) -> str:
    """The socket's address, or the one ``TRUSTED_PROXY_COUNT`` proxies reported.

    With N trusted proxies the client is the N-th address from the right of
    X-Forwarded-For (each proxy appends the address it saw); anything further left was
    written by the client and cannot be trusted.
    """
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return remote


def hit(scope: str, request: HttpRequest) -> int | None:
    """Count one request; None when allowed, else the seconds until the window ends."""
    limit, period = getattr(settings, SCOPES[scope])
    now = time.time()
    window = int(now // period)
    ident = hashlib.sha256(client_address(request).encode()).hexdigest()[:32]
    key = f"booking-rate:{scope}:{ident}:{window}"
    if cache.add(key, 1, timeout=period + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=period + 1)
            count = 1
    if count <= limit:
        return None
    return max(1, math.ceil((window + 1) * period - now))


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
