"""Who acts on what arrives at a guest's reply address.

The app that owns invitations (``events``) registers, in its ``AppConfig.ready``, the
function that applies a calendar answer (``"reply"``) and the one that keeps and passes
on what a guest wrote (``"message"``); ``mail.inbound`` calls them by name. So ``mail``
never imports ``events``: dependencies point down.
"""

from __future__ import annotations

from collections.abc import Callable

Handler = Callable[..., str]

_HANDLERS: dict[str, Handler] = {}


def register(name: str, handler: Handler) -> None:
    """Make ``handler`` the one for ``name`` (again: replaced)."""
    _HANDLERS[name] = handler


def get(name: str) -> Handler:
    try:
        return _HANDLERS[name]
    except KeyError:
        raise LookupError(f"no inbound handler is registered as {name!r}") from None
