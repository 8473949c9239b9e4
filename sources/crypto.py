"""Credentials at rest (a calendar's secret address, a CalDAV password), encrypted with
``ENCRYPTION_KEY`` (Fernet: AES-128-CBC with HMAC-SHA256, from ``cryptography``).

A database dump alone opens no one's calendar. Rotating the key: the old key may be
given as the second of a comma-separated ``ENCRYPTION_KEY`` until every source has been
saved again (MultiFernet decrypts with any and encrypts with the first).
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils.translation import gettext as _


def _fernet() -> MultiFernet:
    keys = [k.strip() for k in settings.ENCRYPTION_KEY.split(",") if k.strip()]
    return MultiFernet([Fernet(_as_fernet_key(k)) for k in keys])


def _as_fernet_key(key: str) -> bytes:
    """Any text key (32+ characters) as a Fernet key; a Fernet key as itself."""
    try:
        raw = base64.urlsafe_b64decode(key.encode())
        if len(raw) == 32:
            return key.encode()
    except ValueError:
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest())


def encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode() if text else ""


def decrypt(token: str) -> str:
    """The text; a token no key opens is an error worth a clear message, not a crash."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError(
            _(
                "The stored address or password cannot be opened with the server's ENCRYPTION_KEY; enter it again."
            )
        ) from None
