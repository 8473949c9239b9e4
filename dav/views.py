"""The subscription feed: its file for calendar clients, and switching it on and off."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import ratelimit

from . import services
from .feed import feed_file

FETCHES_PER_HOUR = 240


@require_GET
def feed_ics(request: HttpRequest, token: str) -> HttpResponse:
    """``/feed/<token>.ics``: the file a subscribed client fetches again and again; a
    conditional GET with the last ETag is answered 304 while nothing changed."""
    feed = services.feed_for_token(token)
    # Clients poll every few minutes, several devices on one address at most; far more is
    # a leaked address being scraped, slowed down here rather than in the database.
    wait = ratelimit.count(f"feed:{feed.pk}", FETCHES_PER_HOUR, 3600)
    if wait is not None:
        slow = HttpResponse(status=429)
        slow["Retry-After"] = str(wait)
        return slow
    file = feed_file(feed)
    if request.headers.get("If-None-Match") == file.etag:
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(file.data, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="calendar.ics"'
    response["ETag"] = file.etag
    if file.last_modified is not None:
        response["Last-Modified"] = http_date(file.last_modified.timestamp())
    response["Cache-Control"] = "private, no-cache"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@login_required
@require_POST
def feed_change(request: HttpRequest) -> HttpResponse:
    """On (with "busy only" or not), a new address, or off; then back to the page."""
    action = request.POST.get("action")
    if action == "off":
        services.turn_off(request.user)
        messages.success(request, _("Your calendar feed is off. Its address opens nothing now."))
    elif action in ("on", "new"):
        services.turn_on(
            request.user,
            busy_only=request.POST.get("busy_only") == "on",
            new_address=action == "new",
        )
        messages.success(request, _("Your calendar feed is on."))
    return redirect("dav:settings")
