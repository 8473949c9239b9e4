"""Errors the event services raise; the API and pages translate them to answers."""

from django.core.exceptions import PermissionDenied


class Conflict(Exception):
    """The request is valid but clashes with the current state (HTTP 409)."""

    def __init__(self, message: str, *, code: str = "conflict") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class PlanLimitReached(PermissionDenied):
    """The account's plan does not allow this (HTTP 403 with ``code``)."""

    code = "plan_limit_reached"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
