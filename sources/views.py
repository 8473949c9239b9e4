"""The settings page of busy sources: what each calendar says about its state, adding
and removing one, and "refresh now"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import ratelimit
from accounts.forms import apply_service_errors

from . import services
from .forms import CaldavSourceForm, IcalSourceForm
from .selectors import is_stale, sources_of
from .tasks import ask_worker_to_sweep, refresh_source_task

#: "Refresh now" at most this often per source (seconds): a read is a request to
#: someone else's server.
REFRESH_EVERY = 60


def _page(request: HttpRequest, *, ical=None, caldav=None, status: int = 200) -> HttpResponse:
    sources = sources_of(request.user)
    ask_worker_to_sweep()
    rows = [{"source": s, "stale": is_stale(s)} for s in sources]
    return render(
        request,
        "sources/settings.html",
        {
            "nav": "settings",
            "rows": rows,
            "ical_form": ical or IcalSourceForm(prefix="ical"),
            "caldav_form": caldav or CaldavSourceForm(prefix="caldav"),
        },
        status=status,
    )


@login_required
@require_GET
def settings_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


def _add(request: HttpRequest, form: IcalSourceForm | CaldavSourceForm, add, kind: str):
    """Either form: added (and the page again), or the page with the reasons beside it."""
    if form.is_valid():
        try:
            add(request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Added. It is being read now."))
            return redirect("sources:settings")
    return _page(request, **{kind: form}, status=400)


@login_required
@require_POST
def add_ical(request: HttpRequest) -> HttpResponse:
    form = IcalSourceForm(request.POST, prefix="ical")
    return _add(request, form, services.add_ical_source, "ical")


@login_required
@require_POST
def add_caldav(request: HttpRequest) -> HttpResponse:
    form = CaldavSourceForm(request.POST, prefix="caldav")
    return _add(request, form, services.add_caldav_source, "caldav")


@login_required
@require_POST
def refresh(request: HttpRequest, source_id: int) -> HttpResponse:
    source = services.get_source(request.user, source_id)
    if ratelimit.count(f"source-refresh:{source.pk}", 1, REFRESH_EVERY) is not None:
        messages.info(request, _("It was asked for a moment ago; it is being read."))
    else:
        refresh_source_task.enqueue(source.pk)
        messages.success(
            request, _("It is being read now; this page shows the result in a moment.")
        )
    return redirect("sources:settings")


@login_required
@require_POST
def remove(request: HttpRequest, source_id: int) -> HttpResponse:
    services.delete_source(request.user, source_id)
    messages.success(request, _("Removed; its busy time no longer counts."))
    return redirect("sources:settings")
