"""The one answer for a capability link that opens nothing.

A booking link switched off, a guest removed from an event, a manage link of a booking
long gone, a token mistyped: the person holding the link is a client who has never heard
of us, so they get a page that says what happened and what to do, in their language, and
never Django's debug page (which a developer's ``scripts/serve`` would show for a plain
``Http404``). The page is the site's 404 page, the same for every bad token and every
missing page, and names nothing, so it tells nobody whether a link ever existed (DESIGN
invariant 3).

Views raise ``DeadLink``; ``DeadLinkMiddleware`` answers with the page. The API keeps
its JSON 404 (``DeadLink`` is an ``Http404``).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.views.defaults import page_not_found


class DeadLink(Http404):
    """The token in this request's address opens nothing (any more)."""


def dead_link_response(request: HttpRequest, exception: DeadLink) -> HttpResponse:
    """Exactly what a missing page gets in production (``page_not_found``: the 404.html
    page, the same headers), whatever DEBUG says."""
    return page_not_found(request, exception)


class DeadLinkMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DeadLink):
            return dead_link_response(request, exception)
        return None
