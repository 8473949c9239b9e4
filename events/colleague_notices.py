"""Colleagues on an event are told what guests are told: invited, changed, cancelled.

A colleague added to an event used to learn of it only by opening their calendar, and
their answer stayed "not answered" until they happened to. Now each gets an in-app
notification and, unless they turned it off in their settings (``User.event_mail``), an
e-mail in their own language with a link to the event, where they accept or decline; the
organizer is told of their answer in the app, as of a guest's. Whoever made the change is
not told about it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import User
from mail.services import queue_email
from notifications.services import notify

from .invitations import decision_text, format_occurrence, format_when, one_line
from .models import Attendee, Event

#: Says what a notice is (a mail client's filter can sort them): invited, changed, ...
NOTICE_HEADER = "X-Rendezvous-Notice"

INVITED = "invited"
CHANGED = "changed"
CANCELLED = "cancelled"
REMOVED = "removed"

#: What a colleague can see change: an edit of anything else tells nobody.
SEEN_FIELDS = frozenset(
    {
        "title",
        "start",
        "end",
        "timezone",
        "all_day",
        "location",
        "video_url",
        "description",
        "recurrence",
        "exdates",
    }
)


def _sentence(kind: str) -> str:
    return {
        INVITED: _("%(organizer)s invited you to “%(title)s”"),
        CHANGED: _("%(organizer)s changed “%(title)s”"),
        CANCELLED: _("%(organizer)s cancelled “%(title)s”"),
        REMOVED: _("%(organizer)s took you off “%(title)s”"),
    }[kind]


def colleagues_of(event: Event) -> dict[int, User]:
    """The employees on ``event`` other than its organizer, by id."""
    rows = Attendee.objects.filter(event=event, user__isnull=False).select_related("user")
    return {a.user_id: a.user for a in rows if a.user_id != event.organizer_id}


def tell_colleagues(
    event: Event, actor: User, users: Iterable[User], kind: str, *, when: str | None = None
) -> None:
    """Tell each of ``users`` (but the actor) that ``event`` concerns them in this way;
    ``when`` names one date of a series (in the active language) instead of the event."""
    path = reverse("events:detail", args=[event.series_id or event.pk])
    url = settings.BASE_URL.rstrip("/") + path
    for user in users:
        if user.pk == actor.pk:
            continue
        with translation.override(user.language or settings.LANGUAGE_CODE):
            title = one_line(event.title)
            text = _sentence(kind) % {"organizer": actor.full_name or actor.email, "title": title}
            if when is not None:
                date = when
            elif event.series_id:
                date = format_occurrence(event, event.start, event.end)
            else:
                date = format_when(event)
            notify(user, text, "" if kind == REMOVED else path)
            if user.event_mail:
                context = {"text": text, "when": date, "url": url, "kind": kind}
                queue_email(
                    to=[user.email],
                    subject=text,
                    text=render_to_string("events/email/colleague_notice-body.txt", context),
                    headers={NOTICE_HEADER: kind},
                )


def tell_organizer_of_answer(attendee: Attendee) -> None:
    """A colleague's answer, in the organizer's app (as a guest's answer is)."""
    event = attendee.event
    organizer = event.organizer
    if attendee.user_id == organizer.pk:
        return
    with translation.override(organizer.language or settings.LANGUAGE_CODE):
        when = format_occurrence(event, event.start, event.end) if event.series_id else None
        name = attendee.user.full_name or attendee.user.email
        text = decision_text(name, attendee.status, one_line(event.title), when)
    notify(organizer, text, reverse("events:detail", args=[event.series_id or event.pk]))
