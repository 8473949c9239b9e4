"""The plan page: what the account's plan allows, how much of it is used, and who changes it.

For account admins (others get the same 404 as any page they may not see). Free accounts
see their count of events with external guests against the limit; the page says how the
plan changes, since there is no shop: the operator of the server runs a command or uses
the admin site.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.models import Account

from . import guests as guest_lib


@login_required
@require_GET
def plan_page(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_account_admin:
        raise Http404("No such page.")
    account = user.account
    free = account.plan == Account.Plan.FREE
    return render(
        request,
        "events/plan.html",
        {
            "nav": "settings",
            "account": account,
            "free": free,
            "used": guest_lib.events_with_guests_used(account),
            "limit": guest_lib.FREE_PLAN_EVENTS_WITH_GUESTS,
            "left": guest_lib.events_with_guests_left(account),
        },
    )
