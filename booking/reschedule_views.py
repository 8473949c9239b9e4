"""Moving a booked meeting on the pages: the booker's "choose another time" (reached by
the private manage link) and the owner's "ask for another time"."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts import languages
from events.exceptions import Conflict

from . import ratelimit, rescheduling, selectors
from .views import public_context, token_page, too_many


def _start_of(request: HttpRequest) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat((request.POST.get("start") or "").strip())
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


@csrf_exempt  # the token is the authority, as on the booking page
@token_page
@require_http_methods(["GET", "POST"])
def reschedule(request: HttpRequest, token: str) -> HttpResponse:
    """The booking page's times for this meeting's length; choosing one moves it."""
    booking = selectors.booking_for_manage_token(token)
    language = languages.or_default(booking.language)
    base_url = reverse("booking:reschedule", args=[token])
    minutes = int((booking.end - booking.start).total_seconds() // 60)
    with translation.override(language):
        if not booking.is_confirmed:
            return redirect("booking:manage", token=token)
        error = ""
        status = 200
        too_late = False
        try:
            rescheduling.check_change_allowed(booking, timezone.now())
        except Conflict as exc:
            error, status, too_late = exc.message, 409, True
        if request.method == "POST" and not too_late:
            wait = ratelimit.hit("bookings", request)
            if wait is not None:
                return too_many(request, wait)
            try:
                rescheduling.reschedule_by_booker(token, _start_of(request))
            except ValidationError as exc:
                error, status = " ".join(exc.messages), 400
            except Conflict as exc:
                error, status = exc.message, 409
            else:
                return redirect(reverse("booking:manage", args=[token]) + "?moved=1")
        elif request.method == "GET":
            wait = ratelimit.hit("slots", request)
            if wait is not None:
                return too_many(request, wait)
        context = public_context(
            request, booking.link, base_url=base_url, error=error, duration=minutes
        )
        context.update(
            {
                "reschedule": True,
                "booking": booking,
                "too_late": too_late,
            }
        )
        response = render(request, "booking/public.html", context, status=status)
    response["Content-Language"] = language
    return response


@login_required
@require_POST
def request_new_time(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = selectors.get_booking_for_owner(request.user, booking_id)
    try:
        rescheduling.request_new_time(
            request.user, booking, message=request.POST.get("message", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("The booker is asked to choose another time; until then the meeting stays.")
        )
    return redirect("booking:owner_booking", booking_id=booking.pk)
