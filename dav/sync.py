"""RFC 6578 sync tokens for a CalDAV calendar: "what changed since I last looked".

A token names a stored snapshot of the calendar (``SyncState``); a sync compares it with
the calendar now. An unchanged calendar gives back the same token (its fingerprint is
the same), so clients polling an idle calendar store nothing new.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import zlib
from collections.abc import Iterable

from accounts.models import User

from .calendar_objects import CalendarObject
from .models import SyncState

#: Snapshots kept per calendar. A client whose token is older syncs afresh (RFC 6578
#: §3.2 lets the server forget); each device usually holds the newest or the one before.
KEEP = 20
PREFIX = "urn:x-rendezvous:sync:"


class InvalidSyncToken(ValueError):
    """Not a token of this calendar, or one too old to compare with."""


def fingerprint(objects: Iterable[CalendarObject]) -> str:
    return _mark({o.name: o.version for o in objects})


def _mark(versions: dict[str, str]) -> str:
    """The same digest for the same calendar state (the ctag, a snapshot's identity)."""
    h = hashlib.sha256()
    for name in sorted(versions):
        h.update(f"{name}\0{versions[name]}\n".encode())
    return h.hexdigest()


def current_token(user: User, objects: list[CalendarObject]) -> str:
    """The token standing for the calendar as these objects show it."""
    return _token(user, {o.name: o.version for o in objects})


def _token(user: User, versions: dict[str, str]) -> str:
    mark = _mark(versions)
    state = SyncState.objects.filter(user=user, fingerprint=mark).order_by("-pk").first()
    if state is None:
        snapshot = zlib.compress(json.dumps(versions).encode())
        state = SyncState.objects.create(
            user=user, key=secrets.token_hex(16), snapshot=snapshot, fingerprint=mark
        )
        stale = SyncState.objects.filter(user=user).order_by("-pk").values_list("pk", flat=True)
        SyncState.objects.filter(pk__in=list(stale[KEEP:])).delete()
    return PREFIX + state.key


def partial_token(user: User, token: str, sent: list[CalendarObject], sent_gone: list[str]) -> str:
    """A token for a sync cut short by the client's limit (RFC 6578 §3.6): the state it
    names holds what was sent and nothing else new, so the next sync sends the rest."""
    versions = _snapshot(user, token) if token else {}
    versions.update({o.name: o.version for o in sent})
    for name in sent_gone:
        versions.pop(name, None)
    return _token(user, versions)


def _snapshot(user: User, token: str) -> dict[str, str]:
    key = token[len(PREFIX) :] if token.startswith(PREFIX) else None
    state = SyncState.objects.filter(user=user, key=key).first() if key else None
    if state is None:
        raise InvalidSyncToken(token)
    return json.loads(zlib.decompress(bytes(state.snapshot)))


def changes_since(
    user: User, token: str, objects: list[CalendarObject]
) -> tuple[list[CalendarObject], list[str]]:
    """Objects new or changed since ``token``, and the names of those gone since."""
    then = _snapshot(user, token)
    now = {o.name for o in objects}
    changed = [o for o in objects if then.get(o.name) != o.version]
    gone = sorted(name for name in then if name not in now)
    return changed, gone
