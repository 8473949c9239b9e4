"""Who renders the outbox rows written before their message exists.

An app registers a renderer under a name in its ``AppConfig.ready``; ``queue_later``
writes rows that name it; delivery calls it just before a row's first attempt. This
keeps the direction of imports: ``mail`` knows the name, never the app that renders.

A renderer takes the row's arguments (plain JSON) and a ``memo`` dict shared by the
rows of one delivery run (so that 500 invitations to one event load that event once),
and returns the message, or ``None`` when there is no longer a reason to send it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.mail import EmailMessage

Renderer = Callable[[dict[str, Any], dict[Any, Any]], EmailMessage | None]

_RENDERERS: dict[str, Renderer] = {}


def register(name: str, renderer: Renderer) -> None:
    """Make ``renderer`` the one for rows written with ``name`` (again: replaced)."""
    _RENDERERS[name] = renderer


def get(name: str) -> Renderer:
    try:
        return _RENDERERS[name]
    except KeyError:
        raise LookupError(f"no outbox renderer is registered as {name!r}") from None
