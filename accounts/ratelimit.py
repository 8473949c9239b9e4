"""Fixed-window counters in Django's cache, per client address or any other key.

The first hit in a window creates the counter with the window as its expiry
(``cache.add``), every further hit increments it atomically (``cache.incr``, atomic in the
local-memory cache and in Redis), so several threads or web processes sharing a Redis
cache count together. Used by the public booking endpoints and by sign-in.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


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


def digest(value: str) -> str:
    """A short key part that keeps addresses and e-mails out of the cache's key space."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _window(period: int) -> tuple[int, float]:
    now = time.time()
    return int(now // period), now


def _wait(window: int, period: int, now: float) -> int:
    return max(1, math.ceil((window + 1) * period - now))


def count(key: str, limit: int, period: int) -> int | None:
    """Count one hit on ``key``; None while within ``limit`` per ``period`` seconds,
    else the seconds until the window ends."""
    window, now = _window(period)
    key = f"{key}:{window}"
    if cache.add(key, 1, timeout=period + 1):
        hits = 1
    else:
        try:
            hits = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=period + 1)
            hits = 1
    return None if hits <= limit else _wait(window, period, now)


def exhausted(key: str, limit: int, period: int) -> int | None:
    """Like ``count`` without counting: the seconds to wait once ``limit`` hits are in."""
    window, now = _window(period)
    hits = cache.get(f"{key}:{window}", 0)
    return None if hits < limit else _wait(window, period, now)
