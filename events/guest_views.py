"""The guest's own page ``/i/<token>/``: one event, one guest, nothing else.

The token in the URL is the guest's only credential (invariant 3): an unknown, revoked
(guest removed) or malformed token is the same 404 as a missing page. The page never
changes anything on GET — mail scanners and link previews open links — answers are a
POST with Django's CSRF protection. Responses are not cached, not indexed, and send no
referrer to other sites (the token is in the URL).

Which participants a guest sees follows the event's "guests can see the participant
list" switch: when off, only the organizer and the guest themselves.

For a recurring event the page says how it repeats, which dates were taken out and which
were changed (those the guest is on, with their new time; those they were taken off as
"not for you"). The guest's answer on this page holds for every date.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import languages
from accounts.dead_links import DeadLink

from . import answers, invitations
from . import guests as guest_lib
from . import series as series_rows
from .models import Attachment, Attendee
from .proposal_forms import ProposalForm

ANSWERS = {
    "accepted": gettext_lazy("Accept"),
    "tentative": gettext_lazy("Maybe"),
    "declined": gettext_lazy("Decline"),
}


def attendee_or_404(token: str) -> Attendee:
    attendee = guest_lib.attendee_for_link_token(token)
    if attendee is None:
        raise DeadLink("No such invitation.")
    return attendee


def private_response(response: HttpResponse) -> HttpResponse:
    # same-origin rather than no-referrer: with no-referrer browsers send "Origin: null"
    # on the answer POST, which the CSRF check must refuse. Other sites get no referrer.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    add_never_cache_headers(response)
    return response


def _everyone(attendee: Attendee) -> list[Attendee]:
    event = attendee.event
    rows = list(Attendee.objects.filter(event=event).select_related("user", "guest"))
    return sorted(rows, key=lambda a: (a.user_id != event.organizer_id, a.pk))


#: Changed or cancelled dates listed on the page, at most (the next ones first).
MAX_LISTED_DATES = 20


def _series_facts(attendee: Attendee) -> dict:
    """How the event repeats and which of its dates differ, for this guest."""
    event = attendee.event
    if not event.is_series:
        return {"repeats": "", "cancelled_dates": [], "changed_dates": []}
    cancelled = [
        invitations.format_occurrence(event, d, event.as_series().occurrence_end(d))
        for d in series_rows.stored_exdates(event)[:MAX_LISTED_DATES]
    ]
    changed = []
    for exception in invitations.exception_rows(event)[:MAX_LISTED_DATES]:
        row = exception.row_of(attendee)
        original = invitations.format_occurrence(
            event,
            exception.event.recurrence_id,
            event.as_series().occurrence_end(exception.event.recurrence_id),
        )
        changed.append(
            {
                "original": original,
                "now": invitations.format_occurrence(
                    exception.event, exception.event.start, exception.event.end
                ),
                "location": exception.event.location,
                "invited": row is not None,
                "status": row.get_status_display() if row else "",
            }
        )
    return {
        "repeats": invitations.describe_repeats(event),
        "cancelled_dates": cancelled,
        "changed_dates": changed,
    }


def _attachments(attendee: Attendee, token: str) -> list[dict]:
    return [
        {"name": a.filename, "size": a.size, "url": reverse("guest:attachment", args=[token, a.pk])}
        for a in Attachment.objects.filter(event=attendee.event).order_by("created_at", "id")
    ]


@require_http_methods(["GET", "POST"])
def guest_page(request: HttpRequest, token: str) -> HttpResponse:
    """Everything here, the messages after an answer included, is in the guest's language."""
    attendee = attendee_or_404(token)
    language = guest_lib.language_of(attendee.guest, attendee.event.organizer)
    with translation.override(language):
        response = _guest_page(request, attendee, token, language)
    response["Content-Language"] = language
    return private_response(response)


def _guest_page(
    request: HttpRequest, attendee: Attendee, token: str, language: str
) -> HttpResponse:
    event = attendee.event
    if request.method == "POST":
        status = request.POST.get("status", "")
        try:
            answers.guest_respond(attendee, status)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Thank you, your answer was saved and the organizer told."))
        return redirect("guest:page", token=token)

    everyone = _everyone(attendee)
    me = next(a for a in everyone if a.pk == attendee.pk)
    if event.guests_can_see_participants:
        people = everyone
    else:
        people = [a for a in everyone if a.user_id == event.organizer_id or a.pk == me.pk]
    zone = event.zone
    proposed = request.GET.get("answer")
    if proposed not in ANSWERS or event.is_cancelled:
        proposed = None
    return render(
        request,
        "events/guest_page.html",
        {
            "language": language,
            "languages": languages.choices(),
            "event": event,
            "me": me,
            "people": people,
            "token": token,
            "start": event.start.astimezone(zone),
            "end": event.end.astimezone(zone),
            "all_day_last": event.end.astimezone(zone) - dt.timedelta(microseconds=1),
            "answers": ANSWERS,
            "proposed": proposed,
            "proposed_label": ANSWERS[proposed] if proposed else "",
            "attachments": _attachments(attendee, token),
            "organizer_name": event.organizer.full_name or event.organizer.email,
            "my_proposals": me.proposals.filter(status="open"),
            "proposal_form": ProposalForm(),
            **_series_facts(me),
        },
    )


@require_POST
def guest_language(request: HttpRequest, token: str) -> HttpResponse:
    """The guest picks the language of their page and of every later mail."""
    attendee = attendee_or_404(token)
    try:
        guest_lib.choose_language(attendee, request.POST.get("language"))
    except ValidationError as exc:
        with translation.override(guest_lib.language_of(attendee.guest, attendee.event.organizer)):
            messages.error(request, " ".join(exc.messages))
    return private_response(redirect("guest:page", token=token))


@require_GET
def guest_ics(request: HttpRequest, token: str) -> HttpResponse:
    """The event as a file for "add to my calendar" (METHOD:PUBLISH: nothing to answer).

    A series comes whole: its rule, excluded dates and changed dates.
    """
    attendee = attendee_or_404(token)
    data = invitations.guest_ics(attendee.event, attendee, _everyone(attendee))
    response = HttpResponse(data, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="event.ics"'
    return private_response(response)
