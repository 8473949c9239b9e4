"""Calendar pages: the week grid, the event form, the event page, answers and cancelling.

Views parse, call one service or selector, and render. Every event is looked up through
``events.selectors``, which scopes it to the signed-in employee, so a foreign or unknown
id is the same 404.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import apply_service_errors
from mail.senders import sender_for

from . import guests as guest_lib
from . import selectors, services
from .exceptions import Conflict, PlanLimitReached
from .forms import SERVICE_FIELD_MAP, EventForm, RespondForm, guest_formset
from .models import Event
from .week import layout_week, monday_of, week_bounds

#: Weeks outside these years are refused: nobody plans there, and datetime arithmetic at
#: the edges of year 1..9999 would overflow.
MIN_YEAR, MAX_YEAR = 1900, 2999


def _parse_day(text: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise Http404("Not a date.") from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise Http404("Date out of range.")
    return day


def _week_url(day: dt.date) -> str:
    return reverse("events:week_of", args=[monday_of(day).isoformat()])


@login_required
def week(request: HttpRequest, day: str | None = None) -> HttpResponse:
    user = request.user
    zone = user.zone
    today = timezone.now().astimezone(zone).date()
    monday = monday_of(_parse_day(day) if day else today)
    start, end = week_bounds(monday, zone)
    # One day of margin each side: all-day events are dates in their *own* zone, which
    # may sit up to a day away from the viewer's midnight.
    events = selectors.events_in_range(
        user, start - dt.timedelta(days=1), end + dt.timedelta(days=1)
    )
    days = layout_week(events, monday, zone, today=today, viewer_id=user.pk)
    return render(
        request,
        "events/week.html",
        {
            "nav": "calendar",
            "days": days,
            "monday": monday,
            "sunday": monday + dt.timedelta(days=6),
            "prev_url": _week_url(monday - dt.timedelta(days=7)),
            "next_url": _week_url(monday + dt.timedelta(days=7)),
            "is_this_week": monday == monday_of(today),
            "hours": range(24),
            "zone_name": user.timezone,
        },
    )


def _save_notes(request: HttpRequest, form: EventForm) -> None:
    for note in form.time_notes:
        messages.info(request, note.message())


def _split_guest_errors(form: EventForm, guests_formset, exc: ValidationError) -> None:
    """Service errors about ``guests.N.field`` go to row N; the others to the event form."""
    if not hasattr(exc, "error_dict"):
        apply_service_errors(form, exc, SERVICE_FIELD_MAP)
        return
    guest_errors = {k: v for k, v in exc.message_dict.items() if k.startswith("guests")}
    others = {k: v for k, v in exc.message_dict.items() if not k.startswith("guests")}
    rest = (
        guests_formset.apply_service_errors(guest_errors)
        if guests_formset is not None
        else [m for messages in guest_errors.values() for m in messages]
    )
    for message in rest:
        form.add_error(None, message)
    if others:
        apply_service_errors(form, ValidationError(others), SERVICE_FIELD_MAP)


def _posted_guests(request: HttpRequest):
    """The posted guest rows, or None when the post has no guest section at all (a client
    that does not know about guests): then the event's guests stay as they are."""
    if "guests-TOTAL_FORMS" not in request.POST:
        return None
    return guest_formset(request.POST)


def _save_event(request: HttpRequest, form: EventForm, guests_formset, event: Event | None):
    """Call the service; on a refusal put the reason on the form and return None."""
    kwargs = form.service_kwargs()
    if guests_formset is not None:
        kwargs["guests"] = guests_formset.guests()
    try:
        if event is None:
            return services.event_create(request.user, **kwargs)
        return services.event_update(event, request.user, **kwargs)
    except ValidationError as exc:
        _split_guest_errors(form, guests_formset, exc)
    except Conflict as exc:
        form.add_error(None, exc.message)
        form.conflict_code = exc.code
    except PlanLimitReached as exc:
        form.add_error(None, exc.message)
        form.conflict_code = exc.code
    return None


def _form_context(request: HttpRequest, form: EventForm, guests_formset, event) -> dict:
    account = request.user.account
    return {
        "nav": "calendar",
        "form": form,
        "guests_formset": guests_formset or guest_formset(event=event),
        "event": event,
        "sender_mailbox": sender_for(request.user),
        "guests_left": guest_lib.events_with_guests_left(account),
        "guests_limit": guest_lib.FREE_PLAN_EVENTS_WITH_GUESTS,
        "event_counted": bool(event and event.guests_first_invited_at),
        "conflict_code": getattr(form, "conflict_code", None),
    }


@login_required
@require_http_methods(["GET", "POST"])
def event_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        form = EventForm(request.POST, organizer=user)
        guests_formset = _posted_guests(request)
        if form.is_valid() & (guests_formset is None or guests_formset.is_valid()):
            event = _save_event(request, form, guests_formset, None)
            if event is not None:
                _save_notes(request, form)
                messages.success(request, _("“%(title)s” was added.") % {"title": event.title})
                return redirect(_week_url(event.start.astimezone(user.zone).date()))
        status = 400
    else:
        day = _parse_day(request.GET["date"]) if request.GET.get("date") else None
        form = EventForm(
            organizer=user, initial=EventForm.initial_for_new(user, day, timezone.now())
        )
        guests_formset = guest_formset()
        status = 200
    return render(
        request,
        "events/event_form.html",
        _form_context(request, form, guests_formset, None),
        status=status,
    )


def _organizer_event(request: HttpRequest, event_id: int) -> Event:
    """404 for anyone who cannot see it; 403 for a colleague who sees but does not own it."""
    event = selectors.get_event_for_user(request.user, event_id)
    if event.organizer_id != request.user.pk:
        raise PermissionDenied(_("Only the organizer can change this event."))
    return event


@login_required
@require_http_methods(["GET", "POST"])
def event_edit(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _organizer_event(request, event_id)
    if event.is_cancelled:
        messages.error(request, _("A cancelled event cannot be changed."))
        return redirect("events:detail", event_id=event.pk)
    if request.method == "POST":
        form = EventForm(request.POST, organizer=request.user)
        guests_formset = _posted_guests(request)
        if form.is_valid() & (guests_formset is None or guests_formset.is_valid()):
            saved = _save_event(request, form, guests_formset, event)
            if saved is not None:
                _save_notes(request, form)
                messages.success(request, _("Your changes were saved."))
                return redirect("events:detail", event_id=saved.pk)
        status = 400
    else:
        form = EventForm(organizer=request.user, initial=EventForm.initial_for_event(event))
        guests_formset = guest_formset(event=event)
        status = 200
    return render(
        request,
        "events/event_form.html",
        _form_context(request, form, guests_formset, event),
        status=status,
    )


@login_required
def event_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    event = selectors.get_event_for_user(request.user, event_id)
    attendees = sorted(event.attendees.all(), key=lambda a: (a.user_id != event.organizer_id, a.pk))
    mine = next((a for a in attendees if a.user_id == request.user.pk), None)
    is_organizer = event.organizer_id == request.user.pk
    zone = request.user.zone
    return render(
        request,
        "events/event_detail.html",
        {
            "nav": "calendar",
            "event": event,
            "attendees": attendees,
            "my_attendance": mine,
            "is_organizer": is_organizer,
            "can_respond": mine is not None and not is_organizer and not event.is_cancelled,
            "respond_form": RespondForm(initial={"status": mine.status} if mine else None),
            "local_start": event.start.astimezone(zone),
            "local_end": event.end.astimezone(zone),
            "event_start": event.start.astimezone(event.zone),
            "event_end": event.end.astimezone(event.zone),
            "all_day_last": (event.end.astimezone(event.zone) - dt.timedelta(microseconds=1)),
            "other_zone": event.timezone != request.user.timezone,
            "week_url": _week_url(event.start.astimezone(zone).date()),
        },
    )


@login_required
@require_POST
def event_respond(request: HttpRequest, event_id: int) -> HttpResponse:
    event = selectors.get_event_for_user(request.user, event_id)
    form = RespondForm(request.POST)
    if event.is_cancelled:
        messages.error(request, _("This event was cancelled."))
    elif not form.is_valid():
        messages.error(request, _("Choose accept, maybe or decline."))
    else:
        try:
            services.attendee_respond(event, request.user, form.cleaned_data["status"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    # htmx follows this redirect and swaps in the refreshed attendance section.
    return redirect("events:detail", event_id=event.pk)


@login_required
@require_http_methods(["GET", "POST"])
def event_cancel(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _organizer_event(request, event_id)
    if request.method == "POST":
        services.event_cancel(event, request.user)
        messages.success(request, _("“%(title)s” was cancelled.") % {"title": event.title})
        return redirect(_week_url(event.start.astimezone(request.user.zone).date()))
    if event.is_cancelled:
        return redirect("events:detail", event_id=event.pk)
    return render(
        request,
        "events/event_cancel.html",
        {
            "nav": "calendar",
            "event": event,
            "local_start": event.start.astimezone(request.user.zone),
        },
    )


@login_required
def guest_contacts(request: HttpRequest) -> HttpResponse:
    """The account's guests (e-mail contacts): who, and on how many events."""
    contacts = guest_lib.account_contacts(request.user.account_id).annotate(
        events=Count("attendances", distinct=True)
    )
    return render(
        request,
        "events/guest_contacts.html",
        {
            "nav": "guests",
            "contacts": contacts,
            "guests_left": guest_lib.events_with_guests_left(request.user.account),
            "guests_limit": guest_lib.FREE_PLAN_EVENTS_WITH_GUESTS,
        },
    )


@login_required
@require_POST
def guest_contact_rename(request: HttpRequest, guest_id: int) -> HttpResponse:
    """Correct a contact's names (POST with CSRF); errors come back as a message."""
    try:
        guest = guest_lib.rename_guest(
            request.user,
            guest_id,
            first_name=request.POST.get("first_name", ""),
            last_name=request.POST.get("last_name", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Saved: %(name)s.") % {"name": guest.name})
    return redirect("events:guests")
