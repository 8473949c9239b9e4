"""The webhooks page of an account admin: the endpoints and their state, adding one
(its secret shown once), the delivery log, switching one back on, removing one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.forms import apply_service_errors

from . import services
from .forms import EndpointForm
from .models import EVENT_TYPES
from .tasks import ask_worker_to_deliver


def _page(request: HttpRequest, *, form=None, secret: str = "", status: int = 200) -> HttpResponse:
    endpoints = services.endpoints_of(request.user)
    waiting = services.pending_count(e.pk for e in endpoints)
    if any(waiting.values()):
        ask_worker_to_deliver()  # the round may have been lost with its worker
    rows = [
        {
            "endpoint": e,
            "waiting": waiting.get(e.pk, 0),
            "events": [EVENT_TYPES[t] for t in e.event_types if t in EVENT_TYPES],
        }
        for e in endpoints
    ]
    return render(
        request,
        "webhooks/settings.html",
        {"nav": "settings", "rows": rows, "form": form or EndpointForm(), "secret": secret},
        status=status,
    )


@login_required
@require_GET
def settings_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_POST
def add(request: HttpRequest) -> HttpResponse:
    form = EndpointForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            _endpoint, secret = services.register_endpoint(
                request.user,
                url=data["url"],
                event_types=data["events"],
                description=data["description"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            # Rendered, not redirected: the secret is in this answer and nowhere else.
            return _page(request, secret=secret)
    return _page(request, form=form, status=400)


@login_required
@require_GET
def deliveries(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    endpoint = services.get_endpoint(request.user, endpoint_id)
    log = [
        {"delivery": d, "label": EVENT_TYPES.get(d.event_type, d.event_type)}
        for d in services.deliveries_of(request.user, endpoint_id)
    ]
    return render(
        request,
        "webhooks/deliveries.html",
        {"nav": "settings", "endpoint": endpoint, "log": log},
    )


@login_required
@require_POST
def switch_on(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    services.switch_on(request.user, endpoint_id)
    messages.success(request, _("Switched on again; what waited is being sent, oldest first."))
    return redirect("webhooks:settings")


@login_required
@require_POST
def remove(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    services.delete_endpoint(request.user, endpoint_id)
    messages.success(request, _("Removed; it is sent nothing more."))
    return redirect("webhooks:settings")
