"""HTTP Basic sign-in for calendar apps: user name (e-mail) and an app password.

Only app passwords are accepted (``dav.app_passwords``): never the web password, never
the session cookie (so no CSRF surface: a page in a browser cannot ride on a login).
Failures count per user name and per client address, as sign-in does; once a budget is
spent, even the right password waits (``429`` with ``Retry-After``).
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from accounts import throttle

from .app_passwords import user_for_app_password

REALM = "Rendezvous calendar"


def credentials(request: HttpRequest) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    scheme, _space, value = header.partition(" ")
    if scheme.lower() != "basic" or not value or len(value) > 1000:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, colon, password = decoded.partition(":")
    return (username, password) if colon else None


def _challenge() -> HttpResponse:
    response = HttpResponse(
        _("Sign in with your e-mail and an app password from your settings page.") + "\n",
        status=401,
        content_type="text/plain; charset=utf-8",
    )
    response["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
    return response


def dav_login_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``request.user`` becomes the employee the app password belongs to."""

    @csrf_exempt
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        given = credentials(request)
        if given is None:
            return _challenge()
        username, password = given
        wait = throttle.signin_wait(request, username, kind="dav")
        if wait is not None:
            response = HttpResponse(
                _("Too many failed sign-ins; try again later.") + "\n",
                status=429,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = str(wait)
            return response
        user = user_for_app_password(username, password)
        if user is None:
            throttle.signin_failed(request, username, kind="dav")
            return _challenge()
        request.user = user
        # Messages to the client (a refused event, a bad filter) in the person's language.
        with translation.override(user.language or None):
            return view(request, *args, **kwargs)

    return wrapper
