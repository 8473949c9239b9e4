"""``/freebusy``: when colleagues are busy, without saying with what."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from ninja import Query, Router

from accounts.selectors import colleagues_by_ids
from events.selectors import busy_intervals

from ..schemas import FreeBusyOut, FreeBusyQuery, answers, freebusy_out

router = Router(tags=["freebusy"])


@router.get(
    "/freebusy", response=answers(200, FreeBusyOut, 404, 422), summary="Busy time of colleagues"
)
def freebusy(request: HttpRequest, query: Query[FreeBusyQuery]) -> JsonResponse:
    """Merged busy intervals per employee in [start, end), clipped to the range.

    Busy means: not cancelled, shown as busy, and not declined. Only employees of my
    account can be asked about; any other id is a 404 that names nobody.
    """
    users = colleagues_by_ids(request.auth, query.users)
    busy = busy_intervals(users, query.start, query.end)
    # Thousands of intervals: rendered directly (the shape is freebusy_out's, documented
    # by FreeBusyOut); validating them again through the response schema cost as much as
    # reading them.
    return JsonResponse(freebusy_out([u.pk for u in users], busy, query.start, query.end))
