"""Attachment pages: the organizer uploads and deletes; employees and guests download.

Every download is a download: ``Content-Disposition: attachment`` with the cleaned
original name, ``X-Content-Type-Options: nosniff``, a sandboxing Content-Security-Policy
and a harmless type for anything a browser might render (HTML, SVG, ...). Nothing is
ever shown inline, so an uploaded page cannot run in this site's origin.

A guest's download goes through their own link token: an unknown or revoked token, or
another event's attachment id, is the same 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.dead_links import DeadLink

from . import attachments, selectors
from .models import Attachment


def _download(attachment: Attachment) -> FileResponse:
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("No such attachment.") from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=attachments.download_type(attachment),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _detail(event_id: int) -> str:
    return reverse("events:detail", args=[event_id]) + "#attachments"


@login_required
@require_POST
def attachment_upload(request: HttpRequest, event_id: int) -> HttpResponse:
    event = selectors.get_event_for_user(request.user, event_id)  # 404 when not visible
    upload = request.FILES.get("file")
    try:
        attachment = attachments.attachment_add(event, request.user, upload)
    except ValidationError as exc:
        messages.error(
            request, _("File: %(reason)s") % {"reason": " ".join(exc.messages)}, extra_tags="file"
        )
    else:
        messages.success(request, _("“%(name)s” was attached.") % {"name": attachment.filename})
    return redirect(_detail(event.pk))


@login_required
@require_POST
def attachment_delete(request: HttpRequest, event_id: int, attachment_id: int) -> HttpResponse:
    event = selectors.get_event_for_user(request.user, event_id)
    attachments.attachment_delete(event, request.user, attachment_id)
    messages.success(request, _("The attachment was removed."))
    return redirect(_detail(event.pk))


@login_required
@require_GET
def attachment_download(request: HttpRequest, event_id: int, attachment_id: int) -> FileResponse:
    """For employees who can see the event (the organizer and invited colleagues)."""
    event = selectors.get_event_for_user(request.user, event_id)
    attachment = Attachment.objects.filter(event=event, pk=attachment_id).first()
    if attachment is None:
        raise Http404("No such attachment.")
    return _download(attachment)


@require_GET
def guest_attachment_download(request: HttpRequest, token: str, attachment_id: int) -> FileResponse:
    """``/i/<token>/attachments/<id>/``: the guest's own link; every miss is the same 404."""
    attachment = attachments.attachment_for_guest(token, attachment_id)
    if attachment is None:
        raise DeadLink("No such invitation.")
    return _download(attachment)
