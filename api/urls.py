"""Mounted at ``api/v1/`` by rendezvous/urls.py."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.urls import path, re_path
from django.utils.translation import gettext as _

from .api import api
from .errors import error_body


def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Unknown paths under the API answer in the API's error shape, not an HTML page."""
    return JsonResponse(error_body(_("Not found.")), status=404)


def _json_method_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """ninja answers a wrong method with a plain-text 405; give it the error shape too."""

    @functools.wraps(view)  # keeps csrf_exempt and ninja's markers
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = JsonResponse(
                error_body(
                    _("Method not allowed; use one of: %(methods)s.") % {"methods": allowed}
                ),
                status=405,
            )
            response["Allow"] = allowed
        return response

    return wrapper


_patterns, _app_name, _namespace = api.urls
for _pattern in _patterns:
    _pattern.callback = _json_method_not_allowed(_pattern.callback)

urlpatterns = [
    path("", (_patterns, _app_name, _namespace)),
    re_path(r"^(?P<rest>.*)$", not_found),
]
