"""Calendar pages: the week grid, the event form, the event page, answers and cancelling.

Views parse, call one service or selector, and render. Every event is looked up through
``events.selectors``, which scopes it to the signed-in employee, so a foreign or unknown
id is the same 404.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.dates import format_date
from accounts.forms import apply_service_errors
from mail.senders import sender_for
from scheduling.recurrence import parse_rule

from . import answers, cancelling, selectors, services
from . import guests as guest_lib
from .calendar_dates import MAX_YEAR, MIN_YEAR, parse_day, week_url
from .exceptions import Conflict, PlanLimitReached
from .forms import (
    SERVICE_FIELD_MAP,
    EventForm,
    RespondForm,
    ScopeForm,
    guest_formset,
    resolve_local,
)
from .models import Event
from .occurrences import Occurrence, occurrence_of
from .rule_text import describe_rule
from .series_overview import series_overview, when_text
from .week import occurrence_param


def _parse_occurrence(text: str) -> dt.datetime:
    """``?occurrence=``: an occurrence's original start, an ISO 8601 instant with offset.

    Anything else is a page that does not exist (404), like an occurrence the series
    never had.
    """
    text = text.strip().replace(" ", "+")  # a "+" that was not percent-encoded
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise Http404("Not an instant.") from None
    if moment.utcoffset() is None or not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise Http404("Not an instant.")
    return moment.astimezone(dt.UTC)


@dataclass(frozen=True)
class Target:
    """What an event page is about: an event as a whole, or one occurrence of a series.

    ``event`` is the row whose fields are shown: the single event, the series, or the
    changed copy of an occurrence. For an occurrence, ``series`` is its series (what
    changes and cancellations are applied to, with ``occurrence.recurrence_id``).
    """

    event: Event
    occurrence: Occurrence | None = None
    series: Event | None = None

    @property
    def start(self) -> dt.datetime:
        return self.occurrence.start if self.occurrence else self.event.start

    @property
    def end(self) -> dt.datetime:
        return self.occurrence.end if self.occurrence else self.event.end

    @property
    def query(self) -> str:
        """``?occurrence=...`` for links and forms about this occurrence, else empty."""
        if self.occurrence is None:
            return ""
        return "?occurrence=" + occurrence_param(self.occurrence.recurrence_id)

    @property
    def rule_event(self) -> Event | None:
        """The event whose RRULE applies here (the series), None for a single event."""
        if self.occurrence is not None:
            return self.series
        return self.event if self.event.recurrence else None

    @property
    def is_cancelled(self) -> bool:
        return self.event.is_cancelled or bool(self.series and self.series.is_cancelled)


class OccurrenceCancelled(Http404):
    """An occurrence cancelled by itself (an EXDATE of its series), asked for by someone
    who may see the series. Left uncaught it is the plain 404 of any missing page; the
    event page catches it and says what happened (410 Gone)."""

    def __init__(self, series: Event, recurrence_id: dt.datetime) -> None:
        super().__init__("This occurrence was cancelled.")
        self.series = series
        self.recurrence_id = recurrence_id

    @property
    def url(self) -> str:
        """The occurrence's own page, which explains the cancellation."""
        return (
            reverse("events:detail", args=[self.series.pk])
            + "?occurrence="
            + occurrence_param(self.recurrence_id)
        )


def _to_cancelled_occurrence(view):
    """Edit, cancel and answer pages of a cancelled occurrence lead to its page, which
    says it was cancelled (a tab left open from before the cancellation, say)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except OccurrenceCancelled as gone:
            return redirect(gone.url)

    return wrapper


def _excluded(event: Event, recurrence_id: dt.datetime) -> bool:
    """Whether ``recurrence_id`` is one of the series' removed occurrences (EXDATEs)."""
    series = event.as_series()
    return series is not None and recurrence_id in series.exdates


def _target(request: HttpRequest, event_id: int) -> Target:
    """The event or occurrence a page names; 404 for anything the user may not see.

    ``/events/<series>/?occurrence=<start>`` is one occurrence of a series (its changed
    copy when there is one); the id of a changed copy is that occurrence by itself.
    An occurrence the series does not have (any more) is a 404; one that was cancelled by
    itself raises :class:`OccurrenceCancelled` (a 404 unless the page explains it).
    """
    user = request.user
    event = selectors.get_event_for_user(user, event_id)
    raw = request.GET.get("occurrence")
    if event.series_id is not None:
        recurrence_id = event.recurrence_id
        if raw is not None and _parse_occurrence(raw) != recurrence_id:
            raise Http404("No such occurrence.")
        series = Event.objects.get(pk=event.series_id, account_id=event.account_id)
        occurrence = Occurrence(event, event.start, event.end, recurrence_id)
        return Target(event, occurrence, series)
    if raw is None:
        return Target(event)
    recurrence_id = _parse_occurrence(raw)
    occurrence = occurrence_of(event, recurrence_id) if event.recurrence else None
    if occurrence is None:
        if event.recurrence and _excluded(event, recurrence_id):
            raise OccurrenceCancelled(event, recurrence_id)
        raise Http404("No such occurrence.")
    if occurrence.event.pk != event.pk:
        # A changed copy replaces it; it has its own participants.
        copy = selectors.get_event_for_user(user, occurrence.event.pk)
        occurrence = Occurrence(copy, copy.start, copy.end, recurrence_id)
    return Target(occurrence.event, occurrence, event)


def _target_url(target: Target) -> str:
    return reverse("events:detail", args=[target.event.pk]) + target.query


def _saved_url(saved: Event) -> str:
    """Where to go after saving: a changed occurrence's own page, else the event's."""
    url = reverse("events:detail", args=[saved.pk])
    if saved.series_id and saved.recurrence_id:
        url += "?occurrence=" + occurrence_param(saved.recurrence_id)
    return url


def _organizer_target(request: HttpRequest, event_id: int) -> Target:
    """404 for anyone who cannot see it; 403 for a colleague who sees but does not own it."""
    target = _target(request, event_id)
    if target.event.organizer_id != request.user.pk:
        raise PermissionDenied(_("Only the organizer can change this event."))
    return target


def _save_notes(request: HttpRequest, form: EventForm) -> None:
    for note in form.time_notes:
        messages.info(request, note.message())


def _split_guest_errors(form: EventForm, guests_formset, exc: ValidationError) -> None:
    """Service errors about ``guests.N.field`` go to row N; the others to the event form.

    An error about the rule goes on the repeat control, unless the control does not apply
    to this change (one occurrence, or the following ones): then it tops the form, where
    it is seen.
    """
    field_map = SERVICE_FIELD_MAP
    if not form.repeat_enabled:
        field_map = {**SERVICE_FIELD_MAP, "recurrence": NON_FIELD_ERRORS}
    if not hasattr(exc, "error_dict"):
        apply_service_errors(form, exc, field_map)
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
        apply_service_errors(form, ValidationError(others), field_map)


def _posted_guests(request: HttpRequest):
    """The posted guest rows, or None when the post has no guest section at all (a client
    that does not know about guests): then the event's guests stay as they are."""
    if "guests-TOTAL_FORMS" not in request.POST:
        return None
    return guest_formset(request.POST)


def _shift_series(series: Event, occurrence: Occurrence, kwargs: dict) -> None:
    """ "All occurrences", changed from one occurrence's page: move the series' first
    occurrence by the change made to this one.

    The form shows this occurrence's date and time, but the series must keep its first
    day (else the earlier occurrences would be lost). The shift is taken on the wall
    clock, so 09:00 → 10:00 moves every occurrence to 10:00 local, summer and winter.
    Unchanged times are not sent at all.
    """
    new_start, new_end = kwargs.pop("start"), kwargs.pop("end")
    zone = zoneinfo.ZoneInfo(kwargs["timezone"])
    if (
        new_start == occurrence.start
        and new_end == occurrence.end
        and kwargs["timezone"] == series.timezone
        and bool(kwargs["all_day"]) == series.all_day
    ):
        return
    old_local = occurrence.start.astimezone(series.zone).replace(tzinfo=None)
    new_local = new_start.astimezone(zone).replace(tzinfo=None)
    first = series.start.astimezone(series.zone).replace(tzinfo=None) + (new_local - old_local)
    start, _note = resolve_local(first.date(), first.time(), zone)
    if kwargs["all_day"]:
        days = (new_end.astimezone(zone).date() - new_start.astimezone(zone).date()).days
        end, _note = resolve_local(first.date() + dt.timedelta(days=days), dt.time(0), zone)
    else:
        end = start + (new_end - new_start)
    kwargs["start"], kwargs["end"] = start, end


def _service_call(request: HttpRequest, form: EventForm, guests_formset, target, scope: str):
    """The keyword arguments for the service (recurrence included), per page and scope."""
    kwargs = form.service_kwargs()
    if guests_formset is not None:
        kwargs["guests"] = guests_formset.guests()
    zone = zoneinfo.ZoneInfo(kwargs["timezone"])
    if target is None or target.occurrence is None:
        stored = target.event.recurrence if target is not None else None
        rule = form.recurrence_for(kwargs["start"].astimezone(zone))
        if rule is not None or stored:
            kwargs["recurrence"] = rule
        return kwargs
    occurrence = target.occurrence
    if scope == "all":
        _shift_series(target.series, occurrence, kwargs)
        kwargs["recurrence"] = form.recurrence_for(
            kwargs.get("start", target.series.start).astimezone(zone)
        )
    elif kwargs["start"] == occurrence.start and kwargs["end"] == occurrence.end:
        del kwargs["start"], kwargs["end"]
    kwargs["scope"] = scope
    kwargs["occurrence"] = occurrence.recurrence_id
    return kwargs


def _save_event(
    request: HttpRequest,
    form: EventForm,
    guests_formset,
    target: Target | None,
    scope: str = "all",
):
    """Call the service; on a refusal put the reason on the form and return None."""
    try:
        kwargs = _service_call(request, form, guests_formset, target, scope)
        if target is None:
            return services.event_create(request.user, **kwargs)
        if target.occurrence is not None:
            return services.event_update(target.series, request.user, **kwargs)
        return services.event_update(target.event, request.user, **kwargs)
    except ValidationError as exc:
        _split_guest_errors(form, guests_formset, exc)
    except Conflict as exc:
        form.add_error(None, exc.message)
        form.conflict_code = exc.code
    except PlanLimitReached as exc:
        form.add_error(None, exc.message)
        form.conflict_code = exc.code
    return None


def _form_context(
    request: HttpRequest, form: EventForm, guests_formset, target: Target | None, scope_form=None
) -> dict:
    account = request.user.account
    event = target.event if target else None
    return {
        "nav": "calendar",
        "form": form,
        "guests_formset": guests_formset or guest_formset(event=event),
        "event": event,
        "target": target,
        "scope_form": scope_form,
        "occurrence_text": _occurrence_text(request, target) if target else "",
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
                return redirect(week_url(event.start.astimezone(user.zone).date()))
        status = 400
    else:
        day = parse_day(request.GET["date"]) if request.GET.get("date") else None
        initial = EventForm.initial_for_new(user, day, timezone.now())
        initial.update(EventForm.prefill(user, request.GET))
        form = EventForm(organizer=user, initial=initial)
        guests_formset = guest_formset()
        status = 200
    return render(
        request,
        "events/event_form.html",
        _form_context(request, form, guests_formset, None),
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
@_to_cancelled_occurrence
def event_edit(request: HttpRequest, event_id: int) -> HttpResponse:
    """Edit an event, a whole series, or (``?occurrence=``) one occurrence, the following
    ones or all of them, as the "Apply to" choice says (default: this occurrence)."""
    target = _organizer_target(request, event_id)
    if target.is_cancelled:
        messages.error(request, _("A cancelled event cannot be changed."))
        return redirect(_target_url(target))
    if selectors.is_booked(target.event):
        # Not a form that refuses only on save: the event page offers "Decline" instead.
        messages.error(
            request,
            _("A booked meeting cannot be edited. If you cannot attend, decline it below."),
        )
        return redirect(_target_url(target))
    scope_form = None
    scope = "all"
    if request.method == "POST":
        if target.occurrence is not None:
            scope_form = ScopeForm(request.POST)
            scope = scope_form.chosen
        form = EventForm(
            request.POST,
            organizer=request.user,
            series=target.rule_event,
            repeat_enabled=scope == "all",
        )
        guests_formset = _posted_guests(request)
        valid = form.is_valid() & (guests_formset is None or guests_formset.is_valid())
        if scope_form is not None and not scope_form.is_valid():
            valid = False
        if valid:
            saved = _save_event(request, form, guests_formset, target, scope)
            if saved is not None:
                _save_notes(request, form)
                messages.success(request, _("Your changes were saved."))
                if target.occurrence is not None and scope == "all":
                    return redirect("events:detail", event_id=target.series.pk)
                return redirect(_saved_url(saved))
        status = 400
    else:
        if target.occurrence is not None:
            scope_form = ScopeForm()
        # Dragged on the week grid: the new times, to check and save (with "this / following
        # / all" for a series); nothing changes until then.
        moved = EventForm.prefill_times(request.user, request.GET)
        start, end = moved if moved is not None else (target.start, target.end)
        initial = EventForm.initial_for_event(target.event, start=start, end=end)
        if moved is not None:
            messages.info(request, _("The new time is filled in below. Save to move the event."))
        form = EventForm(organizer=request.user, initial=initial, series=target.rule_event)
        guests_formset = guest_formset(event=target.event)
        status = 200
    return render(
        request,
        "events/event_form.html",
        _form_context(request, form, guests_formset, target, scope_form),
        status=status,
    )


def _occurrence_text(request: HttpRequest, target: Target) -> str:
    """ "Monday 4 May 2026, 09:00–10:00" in the viewer's zone (dates only when all day)."""
    if target.occurrence is None:
        return ""
    return when_text(
        target.start,
        target.end,
        all_day=target.event.all_day,
        event_zone=target.event.zone,
        viewer_zone=request.user.zone,
    )


def _rule_text(target: Target) -> str:
    event = target.rule_event
    if event is None or not event.recurrence:
        return ""
    return describe_rule(parse_rule(event.recurrence))


def _cancelled_occurrence(request: HttpRequest, gone: OccurrenceCancelled) -> HttpResponse:
    """410 Gone: the page of an occurrence that was cancelled, for those who see the series."""
    series = gone.series
    zone = request.user.zone
    if series.all_day:
        when = format_date(gone.recurrence_id.astimezone(series.zone))
    else:
        start = gone.recurrence_id.astimezone(zone)
        when = f"{format_date(start)}, {start:%H:%M}"
    return render(
        request,
        "events/occurrence_cancelled.html",
        {
            "nav": "calendar",
            "series": series,
            "when": when,
            "series_url": reverse("events:detail", args=[series.pk]),
            "week_url": week_url(gone.recurrence_id.astimezone(zone).date()),
        },
        status=410,
    )


@login_required
def event_detail(request: HttpRequest, event_id: int) -> HttpResponse:
    try:
        target = _target(request, event_id)
    except OccurrenceCancelled as gone:
        return _cancelled_occurrence(request, gone)
    event = target.event
    attendees = sorted(event.attendees.all(), key=lambda a: (a.user_id != event.organizer_id, a.pk))
    mine = next((a for a in attendees if a.user_id == request.user.pk), None)
    is_organizer = event.organizer_id == request.user.pk
    notes = selectors.guest_notes(event, request.user)
    waiting = selectors.open_proposals(event, request.user)
    for attendee in attendees:
        attendee.notes = notes.get(attendee.guest_id, []) if attendee.guest_id else []
        attendee.waiting = waiting.get(attendee.guest_id, []) if attendee.guest_id else []
    zone = request.user.zone
    series_url = ""
    if target.occurrence is not None and (
        selectors.visible_events(request.user).filter(pk=target.series.pk).exists()
    ):
        series_url = reverse("events:detail", args=[target.series.pk])
    return render(
        request,
        "events/event_detail.html",
        {
            "nav": "calendar",
            "event": event,
            "target": target,
            "query": target.query,
            "occurrence_text": _occurrence_text(request, target),
            "rule_text": _rule_text(target),
            "series_url": series_url,
            "overview": (
                series_overview(event, request.user, timezone.now())
                if target.occurrence is None and event.recurrence
                else None
            ),
            "is_cancelled": target.is_cancelled,
            "attendees": attendees,
            "my_attendance": mine,
            "is_organizer": is_organizer,
            "can_respond": mine is not None and not is_organizer and not target.is_cancelled,
            "respond_form": RespondForm(initial={"status": mine.status} if mine else None),
            "local_start": target.start.astimezone(zone),
            "local_end": target.end.astimezone(zone),
            "event_start": target.start.astimezone(event.zone),
            "event_end": target.end.astimezone(event.zone),
            "all_day_last": (target.end.astimezone(event.zone) - dt.timedelta(microseconds=1)),
            "other_zone": event.timezone != request.user.timezone,
            "week_url": week_url(target.start.astimezone(zone).date()),
        },
    )


@login_required
@require_POST
@_to_cancelled_occurrence
def event_respond(request: HttpRequest, event_id: int) -> HttpResponse:
    """A colleague's own answer; on an occurrence page it is for that occurrence."""
    target = _target(request, event_id)
    form = RespondForm(request.POST)
    if target.is_cancelled:
        messages.error(request, _("This event was cancelled."))
    elif not form.is_valid():
        messages.error(request, _("Choose accept, maybe or decline."))
    else:
        status = form.cleaned_data["status"]
        try:
            if target.occurrence is not None:
                answers.attendee_respond(
                    target.event,
                    request.user,
                    status,
                    occurrence=target.occurrence.recurrence_id,
                )
            else:
                answers.attendee_respond(target.event, request.user, status)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    # htmx follows this redirect and swaps in the refreshed attendance section.
    return redirect(_target_url(target))


_CANCELLED_MESSAGES = {
    "this": gettext_lazy("“%(title)s” on %(when)s was cancelled."),
    "following": gettext_lazy("“%(title)s” was cancelled from %(when)s on."),
    "all": gettext_lazy("“%(title)s” was cancelled."),
}


@login_required
@require_http_methods(["GET", "POST"])
@_to_cancelled_occurrence
def event_cancel(request: HttpRequest, event_id: int) -> HttpResponse:
    """Cancel an event, or (``?occurrence=``) one occurrence, the following ones or all."""
    target = _organizer_target(request, event_id)
    if target.is_cancelled:
        return redirect(_target_url(target))
    scope_form = ScopeForm(label=_("Cancel")) if target.occurrence is not None else None
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        if target.occurrence is None:
            cancelling.event_cancel(target.event, request.user)
            messages.success(request, _CANCELLED_MESSAGES["all"] % {"title": target.event.title})
            return redirect(week_url(target.start.astimezone(request.user.zone).date()))
        scope_form = ScopeForm(request.POST, label=_("Cancel"))
        if scope_form.is_valid():
            scope = scope_form.cleaned_data["scope"]
            try:
                cancelling.event_cancel(
                    target.series,
                    request.user,
                    scope=scope,
                    occurrence=target.occurrence.recurrence_id,
                )
            except ValidationError as exc:
                errors = exc.messages
            except Conflict as exc:
                errors = [exc.message]
            else:
                when = format_date(target.start.astimezone(request.user.zone))
                messages.success(
                    request,
                    _CANCELLED_MESSAGES[scope] % {"title": target.event.title, "when": when},
                )
                return redirect(week_url(target.start.astimezone(request.user.zone).date()))
        status = 400
    return render(
        request,
        "events/event_cancel.html",
        {
            "nav": "calendar",
            "event": target.event,
            "target": target,
            "query": target.query,
            "scope_form": scope_form,
            "errors": errors,
            "occurrence_text": _occurrence_text(request, target),
            "rule_text": _rule_text(target),
            "local_start": target.start.astimezone(request.user.zone),
        },
        status=status,
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
