"""The employee's pages for their meeting types: the list and each type's settings, its
link (on, off, renewed) and a preview of what bookers see.

``/booking/`` is the first type, as it was before there were several; every type also
has its own pages under ``/booking/types/<id>/``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.capability_links import qr_svg
from sources.selectors import is_stale, sources_of

from . import links, selectors, services
from .forms import LinkSettingsForm, NewMeetingTypeForm
from .models import BookingLink
from .views import public_context


def _link_of(request: HttpRequest, link_id: int | None) -> BookingLink:
    """The type a page is about: the one named (the employee's own, else 404), or the
    first (unsaved while the employee has none)."""
    if link_id is not None:
        return selectors.owned_link(request.user, link_id)
    return selectors.link_for_owner(request.user) or BookingLink(owner=request.user)


def _urls(link: BookingLink, first: bool) -> dict[str, str]:
    """Where this type's buttons go: the first type keeps the pages it always had."""
    if first or link.pk is None:
        names = ("settings", "switch_on", "switch_off", "new_link_confirm", "preview")
        return {name: reverse(f"booking:{name}") for name in names}
    return {
        "settings": reverse("booking:type", args=[link.pk]),
        "switch_on": reverse("booking:type_on", args=[link.pk]),
        "switch_off": reverse("booking:type_off", args=[link.pk]),
        "new_link_confirm": reverse("booking:type_new_link", args=[link.pk]),
        "preview": reverse("booking:type_preview", args=[link.pk]),
        "remove": reverse("booking:type_remove", args=[link.pk]),
    }


def _is_first(request: HttpRequest, link: BookingLink) -> bool:
    first = selectors.link_for_owner(request.user)
    return first is None or first.pk == link.pk


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest, link_id: int | None = None) -> HttpResponse:
    owner = request.user
    link = _link_of(request, link_id)
    urls = _urls(link, _is_first(request, link))
    questions = len(link.questions)
    if request.method == "POST":
        initial = LinkSettingsForm.initial_for(link)
        form = LinkSettingsForm(request.POST, initial=initial, owner=owner, questions=questions)
        if form.is_valid():
            changes = form.changes()
            if not form.errors:
                try:
                    services.configure_link(owner, changes, link=link if link.pk else None)
                except ValidationError as exc:
                    form.apply_service_errors(exc)
                else:
                    messages.success(request, _("Your booking settings are saved."))
                    return redirect(urls["settings"])
        status = 400
    else:
        form = LinkSettingsForm(
            initial=LinkSettingsForm.initial_for(link), owner=owner, questions=questions
        )
        status = 200
    return _render_settings(request, form, link, urls, status=status)


def _render_settings(
    request: HttpRequest,
    form: LinkSettingsForm,
    link: BookingLink,
    urls: dict[str, str],
    *,
    status: int = 200,
    new_type: NewMeetingTypeForm | None = None,
) -> HttpResponse:
    """The settings page; while the link is on it shows the link, Copy and its QR code."""
    token = link.current_token()
    url = services.public_link_url(token) if token else None
    context = {
        "nav": "booking",
        "form": form,
        "link": link,
        "urls": urls,
        "types": [
            {"link": t, "url": _urls(t, i == 0)["settings"], "current": t.pk == link.pk}
            for i, t in enumerate(selectors.links_for_owner(request.user))
        ],
        "new_type": new_type or NewMeetingTypeForm(),
        "stale_sources": [s for s in sources_of(request.user) if is_stale(s)],
        "link_url": url,
        "qr_svg": qr_svg(url) if url else "",
    }
    response = render(request, "booking/settings.html", context, status=status)
    if url:
        response["Cache-Control"] = "no-store, private"
    return response


@login_required
@require_POST
def add_type(request: HttpRequest) -> HttpResponse:
    """A new meeting type, switched on; then its own settings page."""
    form = NewMeetingTypeForm(request.POST)
    if form.is_valid():
        try:
            link, _token = links.create_meeting_type(request.user, form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("The meeting type is made and its link is on."))
            return redirect("booking:type", link.pk)
    first = _link_of(request, None)
    settings_form = LinkSettingsForm(
        initial=LinkSettingsForm.initial_for(first),
        owner=request.user,
        questions=len(first.questions),
    )
    return _render_settings(
        request, settings_form, first, _urls(first, True), status=400, new_type=form
    )


@login_required
@require_POST
def switch_on(request: HttpRequest, link_id: int | None = None) -> HttpResponse:
    """Switch on, or mint a new link (which kills the old one at once); then back to the
    settings page, which shows the link (derived again, never stored)."""
    link = _link_of(request, link_id)
    _link, token = services.configure_link(
        request.user,
        switch_on=True,
        new_link=request.POST.get("new") == "1",
        link=link if link.pk else None,
    )
    if token is None:
        messages.info(request, _("Your link is already on."))
    else:
        messages.success(
            request,
            _(
                "Your link is on. Share it with your contacts; turning it off or making a "
                "new one kills it at once."
            ),
        )
    return redirect(_urls(_link, _is_first(request, _link))["settings"])


@login_required
@require_http_methods(["GET"])
def new_link_confirm(request: HttpRequest, link_id: int | None = None) -> HttpResponse:
    """What a new link does to the one people have, before it is made."""
    link = _link_of(request, link_id)
    urls = _urls(link, _is_first(request, link))
    if not link.is_on:
        return redirect(urls["settings"])
    return render(
        request, "booking/new_link_confirm.html", {"nav": "booking", "link": link, "urls": urls}
    )


@login_required
@require_POST
def switch_off(request: HttpRequest, link_id: int | None = None) -> HttpResponse:
    link = _link_of(request, link_id)
    if link.pk:
        services.switch_off(request.user, link)
    messages.success(
        request, _("Your booking link is off. Anyone opening it now sees “not found”.")
    )
    return redirect(_urls(link, _is_first(request, link))["settings"])


@login_required
@require_POST
def remove_type(request: HttpRequest, link_id: int) -> HttpResponse:
    link = _link_of(request, link_id)
    try:
        links.remove_meeting_type(request.user, link)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("booking:type", link.pk)
    messages.success(request, _("The meeting type is removed; its link no longer opens."))
    return redirect("booking:settings")


@login_required
@require_http_methods(["GET"])
def preview(request: HttpRequest, link_id: int | None = None) -> HttpResponse:
    """The public page as visitors see it, for the owner (no token needed, nothing bookable)."""
    link = _link_of(request, link_id)
    base_url = _urls(link, _is_first(request, link))["preview"]
    context = public_context(request, link, base_url=base_url)
    context["preview"] = True
    return render(request, "booking/public.html", context)
