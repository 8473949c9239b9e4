"""Bearer-token authentication and per-employee rate limiting for the API.

Only ``Authorization: Bearer <token>`` authenticates: a session cookie never does, so
the API needs no CSRF protection and a page visited in a browser cannot make API calls
on the employee's behalf.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.throttling import SimpleRateThrottle

from accounts.models import User
from accounts.services import user_for_api_token


class ApiTokenAuth(HttpBearer):
    """Looks the token up by digest; ``request.auth`` becomes the employee."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return user_for_api_token(token.strip())


class EmployeeRateThrottle(SimpleRateThrottle):
    """At most ``API_RATE_LIMIT`` requests per employee (default 1200 a minute).

    Keyed by the employee's id (ninja's own AuthRateThrottle keys by ``str(auth)``,
    which for a User is the display name and not unique). Counts live in the Django
    cache, so several web processes share them once the cache is Redis.
    """

    scope = "api-employee"

    def __init__(self, rate: str | None = None) -> None:
        super().__init__(rate or getattr(settings, "API_RATE_LIMIT", "1200/m"))

    def get_cache_key(self, request: HttpRequest) -> str | None:
        user = getattr(request, "auth", None)
        if user is None:
            return None  # unauthenticated requests never reach a handler anyway
        ident = hashlib.sha256(f"user:{user.pk}".encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}
