"""The settings page "Your calendar on other devices": a calendar app (CalDAV, with app
passwords and a one-tap profile for Apple devices) and the subscription feed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.capability_links import qr_svg
from accounts.forms import apply_service_errors

from . import apple_profile, services
from .app_passwords import create_app_password, revoke_app_password
from .forms import AppPasswordForm
from .models import AppPassword, CalendarFeed


def _page(request: HttpRequest, form: AppPasswordForm | None = None, status: int = 200):
    user = request.user
    feed = CalendarFeed.objects.filter(user=user).first()
    urls = services.feed_urls(feed) if feed is not None else None
    profile = apple_profile.profile_url(user)
    response = render(
        request,
        "dav/devices.html",
        {
            "nav": "settings",
            "feed": feed,
            "urls": urls,
            "qr_svg": qr_svg(urls["webcal_url"]) if urls else "",
            "server": services.caldav_address(),
            "app_passwords": AppPassword.objects.filter(user=user),
            "form": form or AppPasswordForm(),
            "profile_url": profile,
            "profile_qr": qr_svg(profile),
        },
        status=status,
    )
    response["Cache-Control"] = "no-store, private"
    return response


@login_required
@require_GET
def devices(request: HttpRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_POST
def app_password_create(request: HttpRequest) -> HttpResponse:
    form = AppPasswordForm(request.POST)
    if form.is_valid():
        try:
            row, password = create_app_password(request.user, form.cleaned_data["name"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            # Rendered, not redirected: the password exists only in this one response.
            response = render(
                request,
                "dav/app_password_created.html",
                {
                    "nav": "settings",
                    "row": row,
                    "password": password,
                    "server": services.caldav_address(),
                },
            )
            add_never_cache_headers(response)
            return response
    return _page(request, form=form, status=400)


@login_required
@require_POST
def app_password_revoke(request: HttpRequest, password_id: int) -> HttpResponse:
    revoke_app_password(request.user, password_id)  # 404 for someone else's
    messages.success(request, _("The app password was revoked; that device is signed out."))
    return redirect("dav:settings")


@require_GET
def apple_profile_download(request: HttpRequest, token: str) -> HttpResponse:
    """The profile an Apple device installs after scanning the code (no cookie there)."""
    user = apple_profile.user_for_profile(token)
    with translation.override(user.language):
        data = apple_profile.profile(user)
    response = HttpResponse(data, content_type="application/x-apple-aspen-config")
    response["Content-Disposition"] = 'attachment; filename="rendezvous.mobileconfig"'
    response["Cache-Control"] = "no-store, private"
    response["Referrer-Policy"] = "no-referrer"
    return response
