"""Booking pages: the employee's settings and bookings, and the public pages a link opens.

Public pages (``/b/<token>`` and the booker's ``/b/manage/<token>/``) work without an
account and without JavaScript; an unknown, revoked or malformed token is the site's
plain 404. Every page reached through a token is sent with ``Referrer-Policy:
no-referrer`` (the token must not leak to the sites it links to), ``noindex`` and
``no-store``, and a Content-Security-Policy that allows nothing from elsewhere.

Their forms are exempt from Django's CSRF check, deliberately: with ``no-referrer`` a
browser sends ``Origin: null`` on every form POST, which the check refuses. Nothing is
lost: CSRF protects the authority of a cookie, and these forms carry none. Their
authority is the capability token in the URL, which a forging site would need to know
(and with it could call the public API directly anyway). The employee's own pages keep
the CSRF check.
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import functools
import secrets
import zoneinfo
from collections import defaultdict
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts import languages
from accounts.zones import zone_choices
from events.exceptions import Conflict

from . import emails, ratelimit, rescheduling, selectors, services
from .forms import BookingForm
from .models import Booking, BookingLink
from .zones import canonical_zone, zone_names

PUBLIC_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def token_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Headers for every answer of a page reached by a capability token."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Cache-Control"] = "no-store, private"
        response["Content-Security-Policy"] = PUBLIC_CSP
        return response

    return wrapper


def too_many(request: HttpRequest, retry_after: int) -> HttpResponse:
    response = render(request, "booking/too_many.html", {"retry_after": retry_after}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


# ---------------------------------------------------------------- the public page


def _visitor_zone(request: HttpRequest, link: BookingLink) -> tuple[str, bool]:
    """The visitor's zone from ``?tz=`` (set by the page's script or the zone list).

    The flag says a zone was asked for at all, so the script never reloads the page
    again for a name we could not use.
    """
    name = request.GET.get("tz") or request.POST.get("tz") or ""
    if name in zone_names():
        return canonical_zone(name), True
    return link.hours_timezone, bool(name)


def _month_of(request: HttpRequest, today: dt.date) -> dt.date:
    text = request.GET.get("month") or request.POST.get("month") or ""
    try:
        first = dt.date.fromisoformat(f"{text}-01")
    except ValueError:
        return today.replace(day=1)
    lo = today.replace(day=1)
    hi = (today + dt.timedelta(days=400)).replace(day=1)
    return min(max(first, lo), hi)


def _duration_of(request: HttpRequest, link: BookingLink) -> int:
    """The length the visitor chose (``duration``); the link's default for anything else."""
    raw = request.POST.get("duration") or request.GET.get("duration")
    try:
        return selectors.chosen_duration(link, raw)
    except ValidationError:
        return link.duration_minutes


def _add_month(first: dt.date, months: int) -> dt.date:
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def public_context(
    request: HttpRequest,
    link: BookingLink,
    *,
    base_url: str,
    form: BookingForm | None = None,
    error: str = "",
    duration: int | None = None,
) -> dict[str, Any]:
    """Month grid, the chosen day's times and the form, all in the visitor's zone
    (``duration``: a length fixed by the caller, as when a booked meeting is moved)."""
    zone_name, zone_given = _visitor_zone(request, link)
    chosen_language = languages.chosen(request)
    zone = zoneinfo.ZoneInfo(zone_name)
    now = timezone.now()
    today = now.astimezone(zone).date()
    month = _month_of(request, today)
    month_start = dt.datetime(month.year, month.month, 1, tzinfo=zone)
    next_month = _add_month(month, 1)
    month_end = dt.datetime(next_month.year, next_month.month, 1, tzinfo=zone)
    fixed = duration is not None
    duration = duration if fixed else _duration_of(request, link)
    slots = selectors.slots_for_link(link, month_start, month_end, now=now, duration=duration)
    by_day: dict[dt.date, list] = defaultdict(list)
    for slot in slots:
        by_day[slot.start.astimezone(zone).date()].append(slot)

    chosen_text = request.GET.get("day") or request.POST.get("day") or ""
    try:
        chosen = dt.date.fromisoformat(chosen_text)
    except ValueError:
        chosen = None
    if chosen not in by_day:
        chosen = min(by_day) if by_day else None

    def url(**params: Any) -> str:
        query = {"tz": zone_name, "month": month.strftime("%Y-%m")}
        if duration != link.duration_minutes and not fixed:
            query["duration"] = str(duration)
        if chosen_language:
            query[languages.LANGUAGE_PARAMETER] = chosen_language
        query.update({k: v for k, v in params.items() if v is not None})
        return f"{base_url}?{urlencode(query)}"

    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month):
        weeks.append(
            [
                {
                    "date": day,
                    "in_month": day.month == month.month,
                    "count": len(by_day.get(day, [])),
                    "selected": day == chosen,
                    "url": url(day=day.isoformat()) if day in by_day else "",
                }
                for day in week
            ]
        )
    rules_horizon = today + dt.timedelta(days=link.horizon_days)
    selected_start = ""
    if form is not None and form.is_bound:
        selected_start = form.data.get("start", "")
    else:  # the language switcher keeps the time the visitor had picked
        selected_start = request.GET.get("start", "")
    times = (
        [
            {
                "value": slot.start.astimezone(dt.UTC).isoformat(),
                "label": slot.start.astimezone(zone).strftime("%H:%M"),
                "end_label": slot.end.astimezone(zone).strftime("%H:%M"),
            }
            for slot in by_day.get(chosen, [])
        ]
        if chosen
        else []
    )
    return {
        "link": link,
        "owner": link.owner,
        "zone_name": zone_name,
        "zone_given": zone_given,
        "zones": zone_choices(zone_name),
        "month": month,
        "weeks": weeks,
        "weekday_names": [
            dt.date(2026, 1, 5 + i) for i in range(7)
        ],  # a Monday-to-Sunday week, for the day names
        "prev_url": url(month=_add_month(month, -1).strftime("%Y-%m"))
        if month > today.replace(day=1)
        else "",
        "next_url": url(month=next_month.strftime("%Y-%m")) if next_month <= rules_horizon else "",
        "chosen": chosen,
        "times": times,
        "selected_start": selected_start,
        "has_slots": bool(slots),
        "form": form or BookingForm(questions=link.questions),
        "duration": duration,
        "durations": [
            {"minutes": d, "url": url(duration=str(d)), "current": d == duration}
            for d in link.offered_durations
        ]
        if len(link.offered_durations) > 1 and not fixed
        else [],
        "request_id": secrets.token_urlsafe(16),
        "error": error,
        "base_url": base_url,
        "chosen_language": chosen_language or "",
        "language": translation.get_language(),
        "languages": languages.choices(),
        "language_keep": [
            ("tz", zone_name),
            ("month", month.strftime("%Y-%m")),
            *([("duration", str(duration))] if duration != link.duration_minutes else []),
            *([("day", chosen.isoformat())] if chosen else []),
        ],
    }


@csrf_exempt  # the token is the authority, see the module docstring
@token_page
@require_http_methods(["GET", "POST"])
def public_page(request: HttpRequest, token: str) -> HttpResponse:
    """The booker reads in the language they picked here, else their browser's."""
    link = selectors.link_for_token(token)
    language = languages.for_visitor(request)
    with translation.override(language):
        response = _public_page(request, link, token)
    response["Content-Language"] = language
    return response


def _public_page(request: HttpRequest, link: BookingLink, token: str) -> HttpResponse:
    base_url = reverse("booking:public", args=[token])
    if request.method == "GET":
        wait = ratelimit.hit("slots", request)
        if wait is not None:
            return too_many(request, wait)
        context = public_context(request, link, base_url=base_url)
        return render(request, "booking/public.html", context)

    wait = ratelimit.hit("bookings", request)
    if wait is not None:
        return too_many(request, wait)
    form = BookingForm(request.POST, questions=link.questions)
    form.is_valid()  # every field is optional: the service names what is missing
    zone_name, _given = _visitor_zone(request, link)
    outcome = services.book(
        token,
        services.BookingRequest(
            start=form.start_instant() or form.cleaned_data.get("start") or None,
            name=form.cleaned_data.get("name", ""),
            email=form.cleaned_data.get("email", ""),
            phone=form.cleaned_data.get("phone", ""),
            comment=form.cleaned_data.get("comment", ""),
            timezone=zone_name,
            duration_minutes=request.POST.get("duration") or None,
            answers=form.answers(),
        ),
        language=translation.get_language() or "en",
        idempotency_key=(request.POST.get("request_id") or None),
    )
    if outcome.status_code == 201 and outcome.manage_token:
        return redirect(reverse("booking:manage", args=[outcome.manage_token]) + "?booked=1")
    if outcome.status_code == 201:  # the same form sent twice: the first one booked
        return render(
            request,
            "booking/already_booked.html",
            {"booking": outcome.booking, "title": outcome.body["title"]},
        )
    error = ""
    if outcome.status_code == 409:
        error = outcome.body["detail"]
    else:
        for item in outcome.body["errors"]:
            field = item["field"]
            if field.startswith("answers."):
                field = "answer_" + field.removeprefix("answers.")
            target = field if field in form.fields else None
            if target == "start":
                error = item["message"]
            else:
                form.add_error(target, item["message"])
    context = public_context(request, link, base_url=base_url, form=form, error=error)
    return render(request, "booking/public.html", context, status=outcome.status_code)


# ---------------------------------------------------------------- the booker's own page


def _booking_facts(booking: Booking) -> dict[str, Any]:
    zone = zoneinfo.ZoneInfo(booking.timezone)
    return {
        "booking": booking,
        "title": emails.booker_title(booking),
        "local_start": booking.start.astimezone(zone),
        "local_end": booking.end.astimezone(zone),
        "links": emails.add_to_calendar_links(booking),
    }


@token_page
@require_http_methods(["GET"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    """In the language the booker booked in (stored on the booking)."""
    booking = selectors.booking_for_manage_token(token)
    language = languages.or_default(booking.language)
    with translation.override(language):
        context = _booking_facts(booking)
        closed = ""
        try:
            rescheduling.check_change_allowed(booking, timezone.now())
        except Conflict as exc:
            closed = exc.message
        deadline = rescheduling.change_deadline(booking)
        context.update(
            {
                "token": token,
                "just_booked": request.GET.get("booked") == "1",
                "just_moved": request.GET.get("moved") == "1",
                "changes_closed": closed,
                "deadline": deadline.astimezone(zoneinfo.ZoneInfo(booking.timezone))
                if deadline
                else None,
            }
        )
        response = render(request, "booking/manage.html", context)
    response["Content-Language"] = language
    return response


@token_page
@require_http_methods(["GET"])
def manage_ics(request: HttpRequest, token: str) -> HttpResponse:
    booking = selectors.booking_for_manage_token(token)
    response = HttpResponse(emails.ics_for(booking), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="meeting.ics"'
    return response


@csrf_exempt  # the token is the authority, see the module docstring
@token_page
@require_http_methods(["GET", "POST"])
def manage_cancel(request: HttpRequest, token: str) -> HttpResponse:
    """GET: what cancelling does, and the button that does it; POST: cancel."""
    if request.method == "POST":
        with contextlib.suppress(Conflict):  # past the owner's deadline: the page says so
            services.cancel_by_booker(token)
        return redirect("booking:manage", token=token)
    booking = selectors.booking_for_manage_token(token)
    try:
        rescheduling.check_change_allowed(booking, timezone.now())
    except Conflict:
        return redirect("booking:manage", token=token)
    if not booking.is_confirmed:
        return redirect("booking:manage", token=token)
    language = languages.or_default(booking.language)
    with translation.override(language):
        context = _booking_facts(booking)
        context["token"] = token
        response = render(request, "booking/manage_cancel.html", context)
    response["Content-Language"] = language
    return response


# ---------------------------------------------------------------- the employee's pages


@login_required
@require_http_methods(["GET"])
def owner_bookings(request: HttpRequest) -> HttpResponse:
    bookings = selectors.bookings_for_owner(request.user).order_by("-start")[:200]
    return render(
        request,
        "booking/owner_bookings.html",
        {"nav": "booking", "bookings": bookings, "zone": request.user.zone},
    )


@login_required
@require_http_methods(["GET"])
def owner_booking(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = selectors.get_booking_for_owner(request.user, booking_id)
    zone = request.user.zone
    return render(
        request,
        "booking/owner_booking.html",
        {
            "nav": "booking",
            "booking": booking,
            "local_start": booking.start.astimezone(zone),
            "local_end": booking.end.astimezone(zone),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def decline(request: HttpRequest, booking_id: int) -> HttpResponse:
    """GET: what declining does, with room for a word to the booker; POST: decline."""
    booking = selectors.get_booking_for_owner(request.user, booking_id)
    if request.method == "GET":
        if not booking.is_confirmed:
            return redirect("booking:owner_booking", booking_id=booking.pk)
        return _render_decline(request, booking, message="")
    message = request.POST.get("message", "")
    try:
        services.decline_booking(request.user, booking, message=message)
    except ValidationError as exc:
        return _render_decline(request, booking, message=message, errors=exc.messages, status=400)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Declined. %(name)s has been told by e-mail.") % {"name": booking.name}
        )
    return redirect("booking:owner_booking", booking_id=booking.pk)


def _render_decline(
    request: HttpRequest,
    booking: Booking,
    *,
    message: str,
    errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    zone = request.user.zone
    link = booking.link
    context = {
        "nav": "booking",
        "booking": booking,
        "local_start": booking.start.astimezone(zone),
        "local_end": booking.end.astimezone(zone),
        "message": message,
        "errors": errors or [],
        "max_message": services.MAX_DECLINE_MESSAGE,
        "offers_another_time": link.is_on,
    }
    return render(request, "booking/decline_confirm.html", context, status=status)
