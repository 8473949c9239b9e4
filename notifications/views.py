"""The signed-in employee's notifications: a plain list and "mark all as read"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .models import Notification
from .services import mark_all_read, mark_seen

PAGE_SIZE = 50


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(Notification.objects.filter(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for note in page.object_list:
        # Only links inside this site are followed; anything else is shown as text.
        note.safe_url = (
            note.url
            if note.url
            and url_has_allowed_host_and_scheme(note.url, allowed_hosts=None)
            and note.url.startswith("/")
            else ""
        )
    response = render(request, "notifications/list.html", {"nav": "notifications", "page": page})
    mark_seen(request.user, [note.pk for note in page.object_list if note.read_at is None])
    return response


@login_required
@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    count = mark_all_read(request.user)
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return redirect("notifications:list")
