"""The NinjaAPI instance behind ``/api/v1/``: bearer auth, one error shape, the routers."""

from __future__ import annotations

from ninja import NinjaAPI

from . import errors
from .auth import ApiTokenAuth, EmployeeRateThrottle
from .routers import (
    app_passwords,
    attachments,
    booking,
    booking_changes,
    booking_links,
    busy_sources,
    events,
    feed,
    freebusy,
    guests,
    me,
    planner,
    sender_mailboxes,
    users,
    webhooks,
)

#: One instance, so tests (and operators) can see and tune the limit.
THROTTLE = EmployeeRateThrottle()

api = NinjaAPI(
    title="Rendezvous API",
    version="1",
    description=(
        "Team calendar API. Authenticate with `Authorization: Bearer <token>`. "
        "Instants are ISO 8601 with a UTC offset (answers are in UTC); every event "
        "also carries its IANA `timezone`. Supported instants lie in the years 1900 to "
        "2200 (UTC): a write outside them is a 422 naming the field; a range read is "
        "clipped to them. Text fields refuse NUL, other control characters (tab and line "
        "breaks are text) and unpaired surrogates (422 naming the field). Every error is "
        '`{"detail": "...", "errors": [{"field": "...", "message": "..."}]}`: '
        "400 breaks a rule, 401 no valid token, 403 not allowed (with `code` when the plan "
        "is why), 404 not found (or not yours), 409 conflict (with `code`), 422 malformed "
        "input, 429 slow down."
    ),
    urls_namespace="api-v1",
    auth=ApiTokenAuth(),
    throttle=THROTTLE,
)
errors.install(api)

for module in (
    me,
    users,
    events,
    attachments,
    guests,
    freebusy,
    booking,
    booking_changes,
    booking_links,
    sender_mailboxes,
    feed,
    app_passwords,
    busy_sources,
    webhooks,
):
    api.add_router("", module.router)
api.add_router("", planner.router)
